package accounts

import (
	"context"
	"testing"
	"time"
)

// TestWatchPushesNewMail delivers a message to the IMAP account through
// SMTP while Watch runs: the work account must be notified promptly,
// without polling.
func TestWatchPushesNewMail(t *testing.T) {
	f := startDemoFixture(t, 2)
	set := f.open(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	got := make(chan string, 16)
	go set.Watch(ctx, WatchOptions{Poll: time.Hour}, func(a, folder string) { got <- a + "/" + folder })

	// IDLE starts asynchronously: deliver until a notification comes, so
	// a delivery made before IDLE began cannot make the test flaky.
	raw := []byte("From: bob@home.example\r\nTo: alice@work.example\r\nSubject: pushed\r\n\r\nhi\r\n")
	deadline := time.After(10 * time.Second)
	for {
		if err := f.srv.Deliver("alice@work.example", raw); err != nil {
			t.Fatal(err)
		}
		select {
		case a := <-got:
			if a != "work/INBOX" {
				t.Errorf("notified %q, want work/INBOX (IDLE news syncs the inbox only)", a)
			}
			return
		case <-time.After(500 * time.Millisecond):
		case <-deadline:
			t.Fatal("no notification within 10 s of deliveries")
		}
	}
}
