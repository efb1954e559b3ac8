package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/message"
)

// TestScheduledSentOnceBySeveralProcesses: a message scheduled a moment
// ahead is sent once its time came, exactly once, while four accounts
// over the same cache (as four posta processes) flush at the same time;
// one scheduled an hour ahead is not sent.
func TestScheduledSentOnceBySeveralProcesses(t *testing.T) {
	f := startDemoFixture(t, 2)
	var works []*Account
	var sets []*Set
	for range 4 {
		set := f.open(t)
		w, _ := set.Get("work")
		works, sets = append(works, w), append(sets, set)
	}
	stamp := time.Now().UnixNano()
	msg := func(subject string) []byte {
		return []byte("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: " + subject + "\r\n\r\nlater\r\n")
	}
	soon, later := fmt.Sprintf("soon %d", stamp), fmt.Sprintf("later %d", stamp)
	if _, err := works[0].Schedule("alice@work.example", []string{"bob@home.example"}, msg(later), time.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	it, err := works[1].Schedule("alice@work.example", []string{"bob@home.example"}, msg(soon), time.Now().Add(time.Second))
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	var wg sync.WaitGroup
	sent := make([]int, len(works))
	for i, w := range works {
		wg.Add(1)
		go func() {
			defer wg.Done()
			deadline := time.Now().Add(30 * time.Second)
			for time.Now().Before(deadline) {
				n, err := w.FlushOutbox(ctx)
				if err != nil {
					t.Errorf("FlushOutbox(): %v", err)
					return
				}
				sent[i] += n
				if _, err := sets[i].cache.OutboxItem(it.ID); err != nil {
					return // gone: sent by one of us
				}
				time.Sleep(20 * time.Millisecond)
			}
		}()
	}
	wg.Wait()
	total := 0
	for _, n := range sent {
		total += n
	}
	if total != 1 {
		t.Errorf("the flushes sent %d messages (%v), want 1", total, sent)
	}
	items, _ := sets[0].Outbox("work")
	if len(items) != 1 || items[0].SendAt.IsZero() {
		t.Errorf("outbox = %+v, want only the message scheduled an hour ahead", items)
	}
	home, _ := sets[0].Get("home")
	if _, err := home.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if n := countSubject(t, sets[0], "home", "INBOX", soon); n != 1 {
		t.Errorf("home received the scheduled message %d times, want once", n)
	}
	if n := countSubject(t, sets[0], "home", "INBOX", later); n != 0 {
		t.Errorf("home received the message scheduled an hour ahead %d times, want 0", n)
	}
}

// TestTakeBack: a message taken back is not sent, even once due; given
// back it is; one already sent cannot be taken back; cancelled it is
// gone without being sent.
func TestTakeBack(t *testing.T) {
	f := startDemoFixture(t, 2)
	set := f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	raw := []byte("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: undo me\r\n\r\noops\r\n")
	it, err := work.Schedule("alice@work.example", []string{"bob@home.example"}, raw, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := work.Reschedule(it.ID, time.Time{}); err != nil { // due now
		t.Fatal(err)
	}
	got, back, err := work.TakeBack(it.ID)
	if err != nil || string(back) != string(raw) || !got.Held {
		t.Fatalf("TakeBack() = %+v, %q, %v; want the held item and its text", got, back, err)
	}
	if err := work.Reschedule(it.ID, time.Now().Add(time.Hour)); err == nil {
		t.Error("Reschedule() of a message taken back succeeded")
	}
	if n, err := work.FlushOutbox(ctx); n != 0 || err != nil {
		t.Fatalf("FlushOutbox() of a held message = %d, %v; want 0, nil", n, err)
	}
	if n, err := work.RetryOutbox(ctx, true); n != 0 || err != nil {
		t.Fatalf("RetryOutbox() of a held message = %d, %v; want 0, nil", n, err)
	}
	if err := work.GiveBack(it.ID); err != nil {
		t.Fatal(err)
	}
	if n, err := work.FlushOutbox(ctx); n != 1 || err != nil {
		t.Fatalf("FlushOutbox() after GiveBack = %d, %v; want 1, nil", n, err)
	}
	var late *TooLateError
	if _, _, err := work.TakeBack(it.ID); !errors.As(err, &late) || !late.Sent {
		t.Errorf("TakeBack() of a sent message: error = %v, want *TooLateError (sent)", err)
	}

	it, err = work.Schedule("alice@work.example", []string{"bob@home.example"}, raw, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if err := work.CancelOutbox(it.ID); err != nil {
		t.Fatal(err)
	}
	if items, _ := set.Outbox("work"); len(items) != 0 {
		t.Errorf("outbox after CancelOutbox = %+v, want empty", items)
	}
}

// TestTakeBackProtected: a signed or encrypted message is taken back as
// the draft kept beside it (kept encrypted to the sender when it asks for
// encryption), with its Bcc and its protection asked for again; without
// a draft it cannot be edited, and stays in the outbox.
func TestTakeBackProtected(t *testing.T) {
	work, _ := cryptoAccount(t, AccountConfig{Name: "work", Address: "alice@work.example"}, "Alice <alice@work.example>")
	enc := []byte("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: ...\r\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n")
	d := message.Draft{From: "alice@work.example", To: []string{"bob@home.example"}, Bcc: []string{"carol@x.example"},
		Subject: "the plan", Body: "secret text\n", Sign: true, Encrypt: true}
	kept, err := d.BuildDraft(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	it, err := work.ScheduleDraft("alice@work.example", []string{"bob@home.example", "carol@x.example"}, enc, kept, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if stored, err := work.cache.OutboxDraft(it.ID); err != nil || strings.Contains(string(stored), "secret text") || !strings.Contains(string(stored), "multipart/encrypted") {
		t.Fatalf("the kept draft is stored as:\n%s\n(%v); want it encrypted", stored, err)
	}
	_, got, err := work.TakeBackDraft(it.ID, true)
	if err != nil || got.Subject != "the plan" || got.Body != "secret text\n" || !got.Encrypt || !got.Sign || strings.Join(got.Bcc, ",") != "carol@x.example" {
		t.Fatalf("TakeBackDraft() = %+v, %v; want the kept draft, signed and encrypted, Bcc carol once", got, err)
	}

	it, err = work.Schedule("alice@work.example", []string{"bob@home.example"}, enc, time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := work.TakeBackDraft(it.ID, true); !errors.Is(err, ErrProtected) {
		t.Fatalf("TakeBackDraft() of an encrypted message without a draft: error = %v, want ErrProtected", err)
	}
	if items, _ := work.cache.Outbox("work"); len(items) != 2 || items[1].Held {
		t.Errorf("outbox = %+v, want the message given back, not held", items)
	}
}
