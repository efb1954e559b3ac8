//go:build interop

package interop

import (
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// cachedCount returns how many messages an account's folder holds in
// the cache.
func cachedCount(t *testing.T, set *accounts.Set, account, folder string) (int, error) {
	t.Helper()
	a, err := set.Get(account)
	if err != nil {
		t.Fatal(err)
	}
	return a.Count(folder)
}

func mustFolders(t *testing.T, set *accounts.Set) []mail.Folder {
	t.Helper()
	fs, err := set.Default.Folders()
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

func mustUID(t *testing.T, s string) goimap.UID {
	t.Helper()
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		t.Fatalf("cached UID %q is not an IMAP UID", s)
	}
	return goimap.UID(n)
}

// onServer reports which of subjects are in bob's POP3 maildrop now,
// read without deleting anything.
func (s *stack) onPOP3Server(t *testing.T, subjects []string) map[string]bool {
	t.Helper()
	f := s.pop3Fetcher(t, protocols.SecurityTLS, bob, bobPass, true)
	store := &pop3Store{msgs: map[string][]byte{}}
	if _, err := f.Sync(testCtx(t), store.request()); err != nil {
		t.Fatalf("checking POP3 Sync: %v", err)
	}
	out := make(map[string]bool)
	for _, subj := range subjects {
		_, _, out[subj] = store.find(subj)
	}
	return out
}

// sendToBob submits n messages from alice to bob and waits until all of
// them are in bob's maildrop.
func (s *stack) sendToBob(t *testing.T, n int) []string {
	t.Helper()
	ctx := testCtx(t)
	sender := s.sender(t, protocols.SecurityStartTLS, alicePass)
	var subjects []string
	for range n {
		m := newMessage(t, bob)
		if err := sender.Send(ctx, alice, []string{bob}, strings.NewReader(m.Raw)); err != nil {
			t.Fatalf("Send: %v", err)
		}
		subjects = append(subjects, m.Subject)
	}
	deadline := time.Now().Add(deliveryIn)
	for {
		there := s.onPOP3Server(t, subjects)
		all := true
		for _, ok := range there {
			all = all && ok
		}
		if all {
			return subjects
		}
		if time.Now().After(deadline) {
			t.Fatalf("not all of %d messages reached bob's maildrop after %v: %v", n, deliveryIn, there)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestAccountsPOP3DeletePolicies runs posta's POP3 account against
// Dovecot: with leave_on_server (the default) nothing is deleted; with
// leave_on_server=false a sync whose connection drops after storing one
// message deletes nothing (Dovecot commits DELE only on QUIT), and the next sync stores
// the rest, then deletes exactly what it stored, each message kept once.
func TestAccountsPOP3DeletePolicies(t *testing.T) {
	s := requireStack(t)
	subjects := s.sendToBob(t, 3)

	// Default policy: everything stays on the server.
	keep := openAccounts(t, t.TempDir(), s.pop3Account(t, true))
	if _, err := keep.Default.Sync(testCtx(t), nil); err != nil {
		t.Fatalf("leave_on_server Sync: %v", err)
	}
	for subj, there := range s.onPOP3Server(t, subjects) {
		if !there {
			t.Errorf("leave_on_server=true deleted %q on the server", subj)
		}
	}

	// leave_on_server=false, through a relay whose connection drops right
	// after the first message was stored: Dovecot must not have applied
	// any DELE, since no QUIT arrived.
	cut := startRelay(t, s.pop3TLS)
	cfg := s.pop3Account(t, false)
	cfg.Fetch.ServerConfig = serverConfig(t, cut.Addr(), "tls", bob, bobPass)
	set := openAccounts(t, t.TempDir(), cfg)
	progress := func(p protocols.Progress) {
		if p.Done == 1 {
			cut.Cut()
		}
	}
	if _, err := set.Default.Sync(testCtx(t), progress); err == nil {
		t.Fatalf("Sync whose connection dropped after one message: nil error, want an error")
	}
	storedFirst, err := cachedCount(t, set, "bob", "INBOX")
	if err != nil {
		t.Fatal(err)
	}
	if storedFirst < 1 {
		t.Fatalf("the cut sync stored %d messages, want at least 1", storedFirst)
	}
	for subj, there := range s.onPOP3Server(t, subjects) {
		if !there {
			t.Errorf("a sync cut before QUIT deleted %q on the server", subj)
		}
	}

	if _, err := set.Default.Sync(testCtx(t), nil); err != nil {
		t.Fatalf("leave_on_server=false Sync: %v", err)
	}
	got := cachedSubjects(t, set, "bob", "INBOX")
	for _, subj := range subjects {
		if got[subj] != 1 {
			t.Errorf("%q stored %d times, want once", subj, got[subj])
		}
	}
	for subj, there := range s.onPOP3Server(t, subjects) {
		if there {
			t.Errorf("%q still on the server after a leave_on_server=false sync stored it", subj)
		}
	}
	// The local copies are intact and readable.
	m := cachedBySubject(t, set, "bob", "INBOX", subjects[0])
	body, err := set.Default.Body(testCtx(t), m.ID)
	if err != nil || len(body) == 0 {
		t.Errorf("Body(%d) after the server copy was deleted: %d bytes, %v", m.ID, len(body), err)
	}
}

// TestAccountsOutboxAcrossPostfixRestart: with Postfix stopped, Send
// keeps the message in the outbox (*QueuedError); once Postfix is back,
// an accounts Sync flushes it over submission with AUTH LOGIN and bob
// receives exactly one copy.
func TestAccountsOutboxAcrossPostfixRestart(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	cfg := s.imapAccount(t, "INBOX")
	cfg.SMTP.Auth = "login"
	set := openAccounts(t, t.TempDir(), cfg)
	a := set.Default

	mailstack(t, "stop-postfix")
	started := false
	t.Cleanup(func() {
		if !started {
			mailstack(t, "start-postfix")
		}
	})
	m := newMessage(t, bob)
	err := a.Send(ctx, alice, []string{bob}, []byte(m.Raw))
	var queued *accounts.QueuedError
	if !errors.As(err, &queued) {
		t.Fatalf("Send with Postfix stopped: err = %v, want *accounts.QueuedError", err)
	}
	items, err := set.Outbox("alice")
	if err != nil || len(items) != 1 {
		t.Fatalf("outbox after the failed send: %d items, %v; want 1", len(items), err)
	}

	mailstack(t, "start-postfix")
	started = true
	rep, err := a.Sync(ctx, nil)
	if err != nil {
		t.Fatalf("Sync with Postfix back: %v", err)
	}
	if rep.Sent != 1 {
		t.Errorf("Sync report Sent = %d, want 1", rep.Sent)
	}
	if items, _ := set.Outbox("alice"); len(items) != 0 {
		t.Errorf("outbox after the flush holds %d items, want none", len(items))
	}

	bobIMAP := s.imapFetcher(t, protocols.SecurityTLS, bob, bobPass)
	inbox := newHeaderCache(inbox)
	waitForSubject(t, ctx, bobIMAP, inbox, m.Subject)
	// A second sync must not send it again; give a duplicate time to land.
	if rep, err := a.Sync(ctx, nil); err != nil || rep.Sent != 0 {
		t.Errorf("second Sync = %+v, %v; want nothing sent", rep, err)
	}
	time.Sleep(time.Second)
	if _, _, err := inbox.sync(ctx, bobIMAP); err != nil {
		t.Fatalf("bob Sync: %v", err)
	}
	copies := 0
	for _, h := range inbox.headers {
		if h.Subject == m.Subject {
			copies++
		}
	}
	if copies != 1 {
		t.Errorf("bob received %d copies of the queued message, want exactly 1", copies)
	}
}

// TestAccountsSubmissionAuthLogin sends through the accounts layer with
// AUTH LOGIN on submission (STARTTLS) and on SMTPS.
func TestAccountsSubmissionAuthLogin(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	bobIMAP := s.imapFetcher(t, protocols.SecurityTLS, bob, bobPass)
	for _, tt := range []struct{ name, addr, security string }{
		{"submission STARTTLS", s.submission, "starttls"},
		{"SMTPS", s.smtps, "tls"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			cfg := s.imapAccount(t, "INBOX")
			cfg.SMTP = serverConfig(t, tt.addr, tt.security, alice, alicePass)
			cfg.SMTP.Auth = "login"
			set := openAccounts(t, t.TempDir(), cfg)
			// A first sync tells the account its Sent folder (for the copy).
			if _, err := set.Default.Sync(ctx, nil); err != nil {
				t.Fatalf("Sync: %v", err)
			}
			m := newMessage(t, bob)
			if err := set.Default.Send(ctx, alice, []string{bob}, []byte(m.Raw)); err != nil {
				t.Fatalf("Send with AUTH LOGIN: %v", err)
			}
			waitForSubject(t, ctx, bobIMAP, newHeaderCache(inbox), m.Subject)

			bad := cfg
			bad.SMTP.Password = "wrong"
			badSet := openAccounts(t, t.TempDir(), bad)
			err := badSet.Default.Send(ctx, alice, []string{bob}, []byte(m.Raw))
			if err == nil || !errors.Is(err, protocols.ErrAuthFailed) {
				t.Errorf("Send with a wrong password over AUTH LOGIN: %v, want ErrAuthFailed", err)
			}
		})
	}
}
