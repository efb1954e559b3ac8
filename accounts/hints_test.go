package accounts

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/internal/selfsigned"
	"github.com/posta-mail/posta/protocols"
)

// TestSyncErrorsNameTheFix points an account at servers that fail in
// the usual ways and checks that the error names the account, the server
// and the likely fix.
func TestSyncErrorsNameTheFix(t *testing.T) {
	f := startDemoFixture(t, 1)
	other, err := selfsigned.New("someone else")
	if err != nil {
		t.Fatal(err)
	}
	otherCA := t.TempDir() + "/other.pem"
	if err := writeFile(otherCA, other.PEM); err != nil {
		t.Fatal(err)
	}
	deadHost, deadPort := deadAddr(t)
	imapPlainHost, imapPlainPort := splitFixtureAddr(t, f.srv.IMAPStartTLSAddr)
	tests := []struct {
		name   string
		change func(s *ServerConfig)
		want   string
	}{
		{"wrong password", func(s *ServerConfig) { s.Password = "wrong" }, "wrong username or password"},
		{"untrusted certificate", func(s *ServerConfig) { s.CAFile = otherCA }, "not trusted"},
		{"port closed", func(s *ServerConfig) { s.Host, s.Port = deadHost, deadPort }, "nothing listens"},
		{"TLS on a plain port", func(s *ServerConfig) { s.Host, s.Port = imapPlainHost, imapPlainPort }, "does not speak TLS"},
		{"pinned wrong fingerprint", func(s *ServerConfig) {
			s.CAFile = ""
			s.TLSFingerprint = strings.Repeat("ab", 32)
		}, "fingerprint"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := *f.cfg
			cfg.Accounts = append([]AccountConfig(nil), f.cfg.Accounts...)
			tt.change(&cfg.Accounts[0].Fetch.ServerConfig)
			fx := *f
			fx.cfg = &cfg
			fx.cacheDir = t.TempDir()
			set := fx.open(t)
			work, _ := set.Get("work")
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := work.Sync(ctx, nil)
			var se *ServerError
			if !errors.As(err, &se) {
				t.Fatalf("Sync error = %v, want a *ServerError", err)
			}
			if se.Account != "work" || !strings.HasPrefix(se.Server, "imap ") {
				t.Errorf("error names %q/%q, want work and the imap server", se.Account, se.Server)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("error %q does not contain %q", err, tt.want)
			}
			if strings.Contains(err.Error(), "password\"") || strings.Contains(err.Error(), "wrong\"") {
				t.Errorf("error leaks a secret: %q", err)
			}
		})
	}
	_ = protocols.ErrAuthFailed
}

// TestPinnedFingerprintAccepted trusts the demo server by its
// certificate's fingerprint alone, with no CA file.
func TestPinnedFingerprintAccepted(t *testing.T) {
	f := startDemoFixture(t, 2)
	fp := certFingerprint(t, f.srv.CACertPEM)
	f.cfg.Accounts[0].Fetch.CAFile = ""
	f.cfg.Accounts[0].Fetch.TLSFingerprint = fp
	set := f.open(t)
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatalf("Sync with a pinned fingerprint: %v", err)
	}
	if n, _ := work.Count("INBOX"); n != 2 {
		t.Errorf("INBOX has %d messages, want 2", n)
	}
}

// TestMissingCAFileKeepsCacheReadable: a ca_file that disappeared (the
// demo removes its own) must not stop posta from opening the account and
// reading what is cached; connecting fails and says why.
func TestMissingCAFileKeepsCacheReadable(t *testing.T) {
	f := startDemoFixture(t, 2)
	set := f.open(t)
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	set.Close()
	set.cache.Close()
	f.cfg.Accounts[0].Fetch.CAFile = filepath.Join(t.TempDir(), "gone.pem")
	set = f.open(t)
	work, _ = set.Get("work")
	if n, err := work.Count("INBOX"); err != nil || n != 2 {
		t.Errorf("cached INBOX = %d, %v; want 2", n, err)
	}
	_, err := work.Sync(context.Background(), nil)
	if err == nil || !strings.Contains(err.Error(), "gone.pem") {
		t.Errorf("Sync error = %v, want one naming the missing ca_file", err)
	}
}
