package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
)

func TestOutboxBackoff(t *testing.T) {
	for _, tt := range []struct {
		attempts int
		want     time.Duration
	}{{1, 0}, {2, time.Minute}, {3, 2 * time.Minute}, {5, 8 * time.Minute}, {8, time.Hour}, {100, time.Hour}} {
		if got := outboxBackoff(tt.attempts); got != tt.want {
			t.Errorf("outboxBackoff(%d) = %v, want %v", tt.attempts, got, tt.want)
		}
	}
}

// countDelivered syncs home and counts its INBOX messages with subject.
func countDelivered(t *testing.T, set *Set, subject string) int {
	t.Helper()
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
	return n
}

// TestOutboxRetriesWithBackoffAndSendsOnce: the SMTP server is down for
// two attempts, so the item waits out a backoff that Sync respects and
// RetryOutbox ignores; once up, the message arrives exactly once.
func TestOutboxRetriesWithBackoffAndSendsOnce(t *testing.T) {
	f := startDemoFixture(t, 1)
	goodSMTP := f.cfg.Accounts[0].SMTP
	f.cfg.Accounts[0].SMTP.Host, f.cfg.Accounts[0].SMTP.Port = deadAddr(t)
	ctx := context.Background()

	set := f.open(t)
	work, _ := set.Get("work")
	subject := fmt.Sprintf("backoff %d", time.Now().UnixNano())
	raw := []byte("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: " + subject + "\r\n\r\nretry me\r\n")
	var queued *QueuedError
	if err := work.Send(ctx, "alice@work.example", []string{"bob@home.example"}, raw); !errors.As(err, &queued) {
		t.Fatalf("Send with the server down: err = %v, want *QueuedError", err)
	}
	if sent, err := work.FlushOutbox(ctx); sent != 0 || err == nil {
		t.Fatalf("FlushOutbox with the server down = %d, %v; want 0 and an error", sent, err)
	}
	items, _ := set.cache.Outbox("work")
	if len(items) != 1 || items[0].Attempts != 2 || items[0].Permanent || items[0].LastError == "" ||
		!items[0].NextAttempt.After(time.Now()) {
		t.Fatalf("outbox after two failures = %+v, want 2 attempts, an error and a retry time ahead", items)
	}
	set.Close()
	set.cache.Close()

	f.cfg.Accounts[0].SMTP = goodSMTP
	set = f.open(t)
	work, _ = set.Get("work")
	rep, err := work.Sync(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Sent != 0 {
		t.Errorf("Sync sent %d during the backoff, want 0", rep.Sent)
	}
	if sent, err := work.RetryOutbox(ctx, false); sent != 1 || err != nil {
		t.Fatalf("RetryOutbox = %d, %v; want 1, nil", sent, err)
	}
	if rep, _ := work.Sync(ctx, nil); rep.Sent != 0 {
		t.Errorf("Sync after the send sent %d more", rep.Sent)
	}
	if items, _ := set.cache.Outbox("work"); len(items) != 0 {
		t.Errorf("outbox after the send = %+v, want empty", items)
	}
	if n := countDelivered(t, set, subject); n != 1 {
		t.Errorf("home received the message %d times, want exactly once", n)
	}
}

// TestOutboxPermanentRejectionStopsRetrying: an unknown recipient gets a
// 550; the message stays with the error and is not retried by Sync or a
// plain RetryOutbox, only by RetryOutbox(all).
func TestOutboxPermanentRejectionStopsRetrying(t *testing.T) {
	f := startDemoFixture(t, 1)
	set := f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	raw := []byte("From: alice@work.example\r\nTo: nobody@home.example\r\nSubject: lost\r\n\r\nhello?\r\n")
	err := work.Send(ctx, "alice@work.example", []string{"nobody@home.example"}, raw)
	var rejected *RejectedError
	if !errors.As(err, &rejected) {
		t.Fatalf("Send to an unknown recipient: err = %v, want *RejectedError", err)
	}
	check := func(when string, attempts int) {
		t.Helper()
		items, _ := set.cache.Outbox("work")
		if len(items) != 1 || !items[0].Permanent || items[0].Attempts != attempts ||
			!strings.Contains(items[0].LastError, "550") {
			t.Fatalf("%s: outbox = %+v, want one refused item, %d attempts, the 550 error", when, items, attempts)
		}
	}
	check("after Send", 1)
	if rep, err := work.Sync(ctx, nil); err != nil || rep.Sent != 0 {
		t.Fatalf("Sync = %+v, %v", rep, err)
	}
	if sent, err := work.RetryOutbox(ctx, false); sent != 0 || err != nil {
		t.Fatalf("RetryOutbox(false) = %d, %v; want 0, nil", sent, err)
	}
	check("after Sync and RetryOutbox", 1)
	if _, err := work.RetryOutbox(ctx, true); !errors.As(err, &rejected) {
		t.Fatalf("RetryOutbox(all) err = %v, want *RejectedError", err)
	}
	check("after RetryOutbox(all)", 2)
}

func TestPermanentSendError(t *testing.T) {
	if permanentSendError(errors.New("dial tcp: connection refused")) {
		t.Error("a connection error is permanent")
	}
}
