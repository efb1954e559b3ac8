package accounts

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
)

// TestOutboxKeepsMessageUntilAccepted sends while the SMTP server cannot
// be reached: the message must stay in the outbox, survive a restart, and
// go out on the next sync once the server is back.
func TestOutboxKeepsMessageUntilAccepted(t *testing.T) {
	f := startDemoFixture(t, 2)
	goodSMTP := f.cfg.Accounts[0].SMTP
	f.cfg.Accounts[0].SMTP.Host, f.cfg.Accounts[0].SMTP.Port = deadAddr(t)

	set := f.open(t)
	work, _ := set.Get("work")
	subject := fmt.Sprintf("queued %d", time.Now().UnixNano())
	raw := []byte("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: " + subject + "\r\n\r\nwait for me\r\n")
	err := work.Send(context.Background(), "alice@work.example", []string{"bob@home.example"}, raw)
	var queued *QueuedError
	if !errors.As(err, &queued) {
		t.Fatalf("Send with the server down: err = %v, want *QueuedError", err)
	}
	if items, _ := set.cache.Outbox("work"); len(items) != 1 || items[0].Attempts != 1 {
		t.Fatalf("outbox after failed send = %+v, want one item with one attempt", items)
	}
	set.Close()
	set.cache.Close()

	// Restart with the server reachable: the sync sends the queued message.
	f.cfg.Accounts[0].SMTP = goodSMTP
	set = f.open(t)
	work, _ = set.Get("work")
	rep, err := work.Sync(context.Background(), nil)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if rep.Sent != 1 {
		t.Errorf("Sync sent %d outbox messages, want 1", rep.Sent)
	}
	if items, _ := set.cache.Outbox("work"); len(items) != 0 {
		t.Errorf("outbox after a successful send = %+v, want empty", items)
	}
	home, _ := set.Get("home")
	if _, err := home.Sync(context.Background(), nil); err != nil {
		t.Fatalf("home Sync: %v", err)
	}
	msgs, err := set.cache.List(cache.Query{Account: "home", Folder: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range msgs {
		if m.Subject == subject {
			n++
		}
	}
	if n != 1 {
		t.Errorf("home received the queued message %d times, want once", n)
	}
}

// TestBodyReadableOffline reads an IMAP message once, then opens the
// account with its server unreachable: the index and the body come from
// the cache.
func TestBodyReadableOffline(t *testing.T) {
	f := startDemoFixture(t, 5)
	set := f.open(t)
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := work.List("INBOX", 1, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("List = %v, %v", msgs, err)
	}
	online, err := work.Body(context.Background(), msgs[0].ID)
	if err != nil {
		t.Fatal(err)
	}
	set.Close()
	set.cache.Close()

	f.cfg.Accounts[0].Fetch.Host, f.cfg.Accounts[0].Fetch.Port = deadAddr(t)
	set = f.open(t)
	work, _ = set.Get("work")
	if n, err := work.Count("INBOX"); err != nil || n != 5 {
		t.Errorf("offline Count = %d, %v; want 5", n, err)
	}
	offline, err := work.Body(context.Background(), msgs[0].ID)
	if err != nil {
		t.Fatalf("offline Body: %v", err)
	}
	if string(offline) != string(online) {
		t.Error("offline body differs from the one read online")
	}
	if _, err := work.Sync(context.Background(), nil); err == nil {
		t.Error("Sync with the server unreachable succeeded")
	}
}

// TestPOPDeletesOnlyWhatIsStored syncs a POP3 account that does not leave
// mail on the server: afterwards every message is local and none is left
// on the server.
func TestPOPDeletesOnlyWhatIsStored(t *testing.T) {
	f := startDemoFixture(t, 12)
	leave := false
	f.cfg.Accounts[1].Fetch.LeaveOnServer = &leave
	set := f.open(t)
	home, _ := set.Get("home")
	before := f.srv.POP3.Messages("bob")
	rep, err := home.Sync(context.Background(), nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != len(before) {
		t.Errorf("Added = %d, want %d", rep.Added, len(before))
	}
	if left := f.srv.POP3.Messages("bob"); len(left) != 0 {
		t.Errorf("%d messages left on the server, want 0", len(left))
	}
	for _, m := range before {
		known, _ := set.cache.KnownUIDLs("home")
		if _, ok := known[m.UID]; !ok {
			t.Errorf("UIDL %s deleted on the server but not stored locally", m.UID)
		}
	}
	if n, _ := home.Count("INBOX"); n != len(before) {
		t.Errorf("local INBOX has %d messages, want %d", n, len(before))
	}
}

// TestFlagsReachTheServer marks a message read and flagged; a fresh cache
// synced from the server sees both flags.
func TestFlagsReachTheServer(t *testing.T) {
	f := startDemoFixture(t, 3)
	set := f.open(t)
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, _ := work.List("INBOX", 1, 0)
	ctx := context.Background()
	if err := work.SetFlag(ctx, msgs[0].ID, `\Flagged`, true); err != nil {
		t.Fatal(err)
	}
	if err := work.SetFlag(ctx, msgs[0].ID, `\Seen`, true); err != nil {
		t.Fatal(err)
	}
	f.cacheDir += "-fresh"
	fresh := f.open(t)
	w2, _ := fresh.Get("work")
	if _, err := w2.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	all, _ := w2.List("INBOX", 0, 0)
	for _, m := range all {
		if m.MessageID == msgs[0].MessageID {
			if !m.Flags.Has(`\Flagged`) || !m.Flags.Has(`\Seen`) {
				t.Errorf("flags on the server = %v, want \\Seen and \\Flagged", m.Flags)
			}
			return
		}
	}
	t.Errorf("message %s not found after a fresh sync", msgs[0].MessageID)
}

// TestSendBeforeFirstSyncKeepsSentCopy sends from an IMAP account that
// never synced: posta learns the folders then and files the copy in Sent.
func TestSendBeforeFirstSyncKeepsSentCopy(t *testing.T) {
	f := startDemoFixture(t, 1)
	set := f.open(t)
	work, _ := set.Get("work")
	raw := []byte("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: first thing\r\n\r\nhi\r\n")
	if err := work.Send(context.Background(), "alice@work.example", []string{"bob@home.example"}, raw); err != nil {
		t.Fatalf("Send before any sync: %v", err)
	}
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	sent, _ := work.List("Sent", 0, 0)
	found := false
	for _, m := range sent {
		found = found || m.Subject == "first thing"
	}
	if !found {
		t.Error("no copy of the message in Sent")
	}
}
