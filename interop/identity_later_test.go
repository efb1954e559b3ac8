//go:build interop

package interop

import (
	"net"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/protocols"
)

// TestAccountsScheduledFromAnIdentity: a message scheduled from an
// identity with its own SMTP server (Postfix SMTPS; the account's own
// server is down) and its own Sent folder (here alice's INBOX on Dovecot)
// is not sent before its time, then exactly once while two accounts over
// one cache (two posta processes) flush at the same time; bob receives
// one copy and the copy is filed in the identity's folder.
func TestAccountsScheduledFromAnIdentity(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	cfg := s.imapAccount(t)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().(*net.TCPAddr)
	ln.Close()
	cfg.SMTP.Host, cfg.SMTP.Port = "127.0.0.1", dead.Port
	const sales = "sales@example.test"
	cfg.Identities = []accounts.IdentityConfig{{Address: sales, DisplayName: "Sales",
		SMTP: serverConfig(t, s.smtps, "tls", alice, alicePass), SentFolder: inbox}}
	dir := t.TempDir()
	sets := []*accounts.Set{openAccounts(t, dir, cfg), openAccounts(t, dir, cfg)}
	a := sets[0].Default

	m := newMessage(t, bob)
	at := time.Now().Add(2 * time.Second)
	it, err := a.Schedule(sales, []string{bob}, []byte(m.Raw), at)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := a.FlushOutbox(ctx); n != 0 || err != nil {
		t.Fatalf("FlushOutbox() before the send time = %d, %v; want 0, nil", n, err)
	}
	var wg sync.WaitGroup
	sent := make([]int, len(sets))
	for i, set := range sets {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				n, err := set.Default.FlushOutbox(ctx)
				if err != nil {
					t.Errorf("FlushOutbox(): %v", err)
					return
				}
				sent[i] += n
				if _, _, err := set.OutboxItem(it.ID); err != nil {
					return
				}
				time.Sleep(50 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	if sent[0]+sent[1] != 1 {
		t.Fatalf("the two flushes sent %v, want one message in all", sent)
	}
	if time.Now().Before(at) {
		t.Fatalf("sent before its time %v", at)
	}

	bobIMAP := s.imapFetcher(t, protocols.SecurityTLS, bob, bobPass)
	box := newHeaderCache(inbox)
	waitForSubject(t, ctx, bobIMAP, box, m.Subject)
	time.Sleep(time.Second) // give a duplicate time to land
	if _, _, err := box.sync(ctx, bobIMAP); err != nil {
		t.Fatal(err)
	}
	copies := 0
	for _, h := range box.headers {
		if h.Subject == m.Subject {
			copies++
		}
	}
	if copies != 1 {
		t.Errorf("bob received %d copies, want 1", copies)
	}
	aliceIMAP := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
	waitForSubject(t, ctx, aliceIMAP, newHeaderCache(inbox), m.Subject) // the identity's sent_folder
}
