//go:build interop

package interop

import (
	"context"
	"errors"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/protocols"
)

// mailstackMore runs `scripts/mailstack-more.sh VERB NAME`.
func mailstackMore(t *testing.T, verb, name string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := exec.CommandContext(ctx, "bash", filepath.Join("..", "scripts", "mailstack-more.sh"), verb, name).CombinedOutput()
	if err != nil {
		t.Fatalf("mailstack-more.sh %s %s: %v\n%s", verb, name, err, out)
	}
}

// TestServersOutboxAcrossRestart: with the submission server stopped,
// Send keeps the message in the outbox; once it is back, a sync sends it
// and bob receives exactly one copy. (Postfix: see
// TestAccountsOutboxAcrossPostfixRestart.)
func TestServersOutboxAcrossRestart(t *testing.T) {
	forEach(t, func(s *server) bool { return s.name == "maddy" }, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		cfg := s.account(t, inbox)
		cfg.SMTP = cfg.Fetch.ServerConfig
		host, port := splitAddr(t, s.submission)
		cfg.SMTP.Host, cfg.SMTP.Port, cfg.SMTP.Security = host, port, "starttls"
		set := openAccountsFor(t, cfg)
		a, _ := set.Get(s.name)

		mailstackMore(t, "stop", s.name)
		started := false
		t.Cleanup(func() {
			if !started {
				mailstackMore(t, "start", s.name)
			}
		})
		m := newMessage(t, bob)
		var queued *accounts.QueuedError
		if err := a.Send(ctx, alice, []string{bob}, []byte(m.Raw)); !errors.As(err, &queued) {
			t.Fatalf("Send with %s stopped: err = %v, want *accounts.QueuedError", s.name, err)
		}
		mailstackMore(t, "start", s.name)
		started = true
		rep, err := a.Sync(ctx, nil)
		if err != nil {
			t.Fatalf("Sync with %s back: %v", s.name, err)
		}
		if rep.Sent != 1 {
			t.Errorf("Sync report Sent = %d, want 1", rep.Sent)
		}
		if items, _ := set.Outbox(s.name); len(items) != 0 {
			t.Errorf("outbox after the flush holds %d items, want none", len(items))
		}
		f := s.imapFetcher(t, protocols.SecurityTLS, bob, bobPass)
		box := newHeaderCache(inbox)
		waitForSubject(t, ctx, f, box, m.Subject)
		if rep, err := a.Sync(ctx, nil); err != nil || rep.Sent != 0 {
			t.Errorf("second Sync = %+v, %v; want nothing sent", rep, err)
		}
		time.Sleep(time.Second)
		if _, _, err := box.sync(ctx, f); err != nil {
			t.Fatal(err)
		}
		copies := 0
		for _, h := range box.headers {
			if h.Subject == m.Subject {
				copies++
			}
		}
		if copies != 1 {
			t.Errorf("bob received %d copies, want exactly 1", copies)
		}
	})
}

func splitAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	c := serverConfig(t, addr, "tls", "", "")
	return c.Host, c.Port
}
