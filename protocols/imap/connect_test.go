package imap

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

func TestLoginSecurityModes(t *testing.T) {
	ts := startServer(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			f := ts.fetcher(t, sec)
			folders, err := f.Folders(testCtx(t))
			if err != nil {
				t.Fatalf("Folders() error = %v", err)
			}
			if len(folders) != 1 || folders[0].Name != "INBOX" {
				t.Errorf("Folders() = %+v, want INBOX only", folders)
			}
			if err := f.Close(); err != nil {
				t.Errorf("Close() = %v", err)
			}
			if sec == protocols.SecurityStartTLS && !strings.Contains(ts.received.String(), "STARTTLS\r\n") {
				t.Error("server never received STARTTLS")
			}
		})
	}
}

func TestWrongPasswordIsAuthFailed(t *testing.T) {
	ts := startServer(t)
	ep := ts.endpoint(protocols.SecurityTLS)
	ep.Password = func(context.Context) (string, error) { return "wrong", nil }
	f := New(Options{Endpoint: ep})
	defer f.Close()
	_, err := f.Folders(testCtx(t))
	if !errors.Is(err, protocols.ErrAuthFailed) {
		t.Fatalf("Folders() error = %v, want ErrAuthFailed", err)
	}
}

func TestPlainConnectionRefusesLogin(t *testing.T) {
	ts := startServer(t)
	f := ts.fetcher(t, protocols.SecurityNone)
	_, err := f.Folders(testCtx(t))
	if !errors.Is(err, protocols.ErrInsecure) {
		t.Fatalf("Folders() error = %v, want ErrInsecure", err)
	}
	if log := ts.received.String(); strings.Contains(strings.ToUpper(log), "LOGIN") || strings.Contains(log, testPassword) {
		t.Fatalf("server received credentials:\n%s", log)
	}

	ep := ts.endpoint(protocols.SecurityNone)
	ep.AllowPlainAuth = true
	allowed := New(Options{Endpoint: ep})
	defer allowed.Close()
	if _, err := allowed.Folders(testCtx(t)); err != nil {
		t.Fatalf("Folders() with AllowPlainAuth error = %v", err)
	}
}

func TestUntrustedCertificate(t *testing.T) {
	ts := startServer(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			ep := ts.endpoint(sec)
			ep.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()}
			f := New(Options{Endpoint: ep})
			defer f.Close()
			_, err := f.Folders(testCtx(t))
			var unknown x509.UnknownAuthorityError
			var verify *tls.CertificateVerificationError
			if !errors.As(err, &unknown) && !errors.As(err, &verify) {
				t.Fatalf("Folders() error = %v, want a certificate verification error", err)
			}
			if strings.Contains(ts.received.String(), testPassword) {
				t.Fatal("password reached the server")
			}
		})
	}
}

func TestFoldersCountsAndRoles(t *testing.T) {
	ts := startServer(t)
	for _, name := range []string{"Sent", "Drafts", "Trash", "Archive", "Spam", "Lists/Go", "Caf\u00e9"} {
		if err := ts.user.Create(name, nil); err != nil {
			t.Fatal(err)
		}
	}
	seedMessages(t, ts)
	f := ts.fetcher(t, protocols.SecurityTLS)
	folders, err := f.Folders(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]mail.Folder{}
	for _, fo := range folders {
		got[fo.Name] = fo
	}
	want := map[string]mail.Folder{
		"INBOX":    {Name: "INBOX", Delim: "/", Role: mail.RoleInbox, Total: 3, Unread: 2},
		"Sent":     {Name: "Sent", Delim: "/", Role: mail.RoleSent},
		"Drafts":   {Name: "Drafts", Delim: "/", Role: mail.RoleDrafts},
		"Trash":    {Name: "Trash", Delim: "/", Role: mail.RoleTrash},
		"Archive":  {Name: "Archive", Delim: "/", Role: mail.RoleArchive},
		"Spam":     {Name: "Spam", Delim: "/", Role: mail.RoleJunk},
		"Lists/Go": {Name: "Lists/Go", Delim: "/"},
		"Café":     {Name: "Café", Delim: "/"},
	}
	for name, w := range want {
		g := got[name]
		if g.State == "" || !strings.HasPrefix(g.State, "v") {
			t.Errorf("folder %q: State %q, want a STATUS summary", name, g.State)
		}
		g.State = ""
		if g != w {
			t.Errorf("folder %q = %+v, want %+v", name, g, w)
		}
	}
	// The summary changes when a message arrives, and only in that folder.
	ts.seed(t, "Lists/Go", "From: a@example.com\nSubject: new\n\nhi\n", nil, time.Now())
	again, err := f.Folders(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, fo := range again {
		if changed := fo.State != got[fo.Name].State; changed != (fo.Name == "Lists/Go") {
			t.Errorf("folder %q: State %q -> %q after a message arrived in Lists/Go", fo.Name, got[fo.Name].State, fo.State)
		}
	}
}

func TestReconnectAfterCancel(t *testing.T) {
	ts := startServer(t)
	f := ts.fetcher(t, protocols.SecurityTLS)
	if _, err := f.Folders(testCtx(t)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Folders(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("Folders(cancelled) error = %v, want context.Canceled", err)
	}
	// Drop the connection under the fetcher: it must reconnect.
	f.client.Close()
	if _, err := f.Folders(testCtx(t)); err != nil {
		t.Fatalf("Folders() after dropped connection error = %v", err)
	}
}
