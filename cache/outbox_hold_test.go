package cache

import (
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
)

// clock is a settable time for the caches of one test.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time  { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) set(t time.Time) { c.mu.Lock(); c.t = t; c.mu.Unlock() }

// TestOutboxSendAt: an item whose time has not come is listed with its
// time and cannot be claimed, by any process; once its time came it can.
func TestOutboxSendAt(t *testing.T) {
	root := t.TempDir()
	clk := &clock{t: time.Date(2026, 12, 23, 20, 0, 0, 0, time.UTC)}
	opts := rootOptions(root)
	opts.Now = clk.now
	a, b := openTest(t, opts), openTest(t, opts)
	at := clk.now().Add(12*time.Hour + 300*time.Millisecond)
	it, err := a.OutboxAddAt("work", "me@x", []string{"you@y"}, []byte("Subject: s\r\n\r\nx"), at)
	if err != nil {
		t.Fatal(err)
	}
	want := at.Truncate(time.Second).Add(time.Second) // never early
	if !it.SendAt.Equal(want) {
		t.Errorf("OutboxAddAt() SendAt = %v, want %v", it.SendAt, want)
	}
	items, err := b.Outbox("")
	if err != nil || len(items) != 1 || !items[0].SendAt.Equal(want) || items[0].Due(clk.now()) {
		t.Fatalf("Outbox() = %+v, %v; want the item with SendAt %v, not due", items, err, want)
	}
	var notDue *OutboxNotDueError
	for _, c := range []*Cache{a, b} {
		if _, err := c.OutboxClaim(it.ID, 0); !errors.As(err, &notDue) || notDue.Held || !notDue.SendAt.Equal(want) {
			t.Fatalf("OutboxClaim() before the send time: error = %v, want *OutboxNotDueError at %v", err, want)
		}
	}
	clk.set(want.Add(-time.Millisecond))
	if _, err := b.OutboxClaim(it.ID, 0); !errors.As(err, &notDue) {
		t.Fatalf("OutboxClaim() a millisecond early: error = %v, want *OutboxNotDueError", err)
	}
	clk.set(want)
	if _, err := b.OutboxClaim(it.ID, 0); err != nil {
		t.Fatalf("OutboxClaim() at the send time: error = %v", err)
	}
	// Rescheduling an item being sent is refused.
	var claimed *OutboxClaimedError
	if err := a.OutboxReschedule(it.ID, want.Add(time.Hour)); !errors.As(err, &claimed) {
		t.Errorf("OutboxReschedule() of a claimed item: error = %v, want *OutboxClaimedError", err)
	}
}

// TestOutboxHold: a held item is not claimed; a claimed one is not held;
// an unheld one is sent as before; a cancelled one is gone.
func TestOutboxHold(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	a, b := openTest(t, opts), openTest(t, opts)
	add := func() OutboxItem {
		it, err := a.OutboxAddAt("work", "me@x", []string{"you@y"}, []byte("Subject: s\r\n\r\nx"), time.Now().Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		return it
	}
	it := add()
	if err := b.OutboxReschedule(it.ID, time.Time{}); err != nil { // "send now"
		t.Fatal(err)
	}
	got, err := b.OutboxHold(it.ID)
	if err != nil || !got.Held {
		t.Fatalf("OutboxHold() = %+v, %v; want the item held", got, err)
	}
	var notDue *OutboxNotDueError
	if _, err := a.OutboxClaim(it.ID, 0); !errors.As(err, &notDue) || !notDue.Held {
		t.Fatalf("OutboxClaim() of a held item: error = %v, want *OutboxNotDueError (held)", err)
	}
	if _, err := a.OutboxHold(it.ID); !errors.As(err, &notDue) || !notDue.Held {
		t.Fatalf("OutboxHold() twice: error = %v, want *OutboxNotDueError (held)", err)
	}
	if err := b.OutboxUnhold(it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.OutboxClaim(it.ID, 0); err != nil {
		t.Fatalf("OutboxClaim() after OutboxUnhold: error = %v", err)
	}
	var claimed *OutboxClaimedError
	if _, err := b.OutboxHold(it.ID); !errors.As(err, &claimed) {
		t.Fatalf("OutboxHold() of an item being sent: error = %v, want *OutboxClaimedError", err)
	}
	if err := b.OutboxCancel(it.ID); !errors.As(err, &claimed) {
		t.Fatalf("OutboxCancel() of an item being sent: error = %v, want *OutboxClaimedError", err)
	}
	if err := a.OutboxDone(it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := b.OutboxHold(it.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("OutboxHold() of a sent item: error = %v, want ErrNotFound", err)
	}

	it = add()
	if err := b.OutboxCancel(it.ID); err != nil {
		t.Fatal(err)
	}
	if items, _ := a.Outbox(""); len(items) != 0 {
		t.Errorf("Outbox() after OutboxCancel = %+v, want empty", items)
	}
}

// TestOutboxSendAtSurvivesALostRow: an item restored from its files
// keeps its (rescheduled) send time, so it is not sent early.
func TestOutboxSendAtSurvivesALostRow(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	c := openTest(t, opts)
	at := time.Now().Add(time.Hour).Truncate(time.Second)
	it, err := c.OutboxAddAt("work", "me@x", []string{"you@y"}, []byte("Subject: s\r\n\r\nx"), at)
	if err != nil {
		t.Fatal(err)
	}
	later := at.Add(24 * time.Hour)
	if err := c.OutboxReschedule(it.ID, later); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Exec(`DELETE FROM outbox`); err != nil {
		t.Fatal(err)
	}
	if err := c.reconcileOutbox(); err != nil {
		t.Fatal(err)
	}
	items, err := c.Outbox("")
	if err != nil || len(items) != 1 || !items[0].SendAt.Equal(later) {
		t.Fatalf("Outbox() after the row was restored = %+v, %v; want one item at %v", items, err, later)
	}
}

// TestOutboxHoldRacesClaim: several processes' caches claim and hold the
// same items at once; each item ends either sent by exactly one claimer
// or taken back, never both.
func TestOutboxHoldRacesClaim(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	var cs []*Cache
	for range 4 {
		cs = append(cs, openTest(t, opts))
	}
	const n = 40
	var ids []int64
	for i := range n {
		it, err := cs[0].OutboxAdd("work", "me@x", []string{"you@y"}, []byte(fmt.Sprintf("Subject: %d\r\n\r\nx", i)))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, it.ID)
	}
	var mu sync.Mutex
	claims, holds := map[int64]int{}, map[int64]int{}
	var wg sync.WaitGroup
	for i, c := range cs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for _, id := range ids {
				var err error
				if (i+int(id))%2 == 0 {
					if _, err = c.OutboxClaim(id, 0); err == nil {
						mu.Lock()
						claims[id]++
						mu.Unlock()
					}
				} else if _, err = c.OutboxHold(id); err == nil {
					mu.Lock()
					holds[id]++
					mu.Unlock()
				}
				var claimed *OutboxClaimedError
				var notDue *OutboxNotDueError
				if err != nil && !errors.As(err, &claimed) && !errors.As(err, &notDue) {
					t.Errorf("item %d: unexpected error %v", id, err)
				}
			}
		}()
	}
	wg.Wait()
	for _, id := range ids {
		if claims[id]+holds[id] != 1 {
			t.Errorf("item %d: claimed %d times and held %d times, want one of them once", id, claims[id], holds[id])
		}
	}
}

// TestOutboxHoldOfACrashedProcess: an item another live process holds
// cannot be held, cancelled or rescheduled here; once that process is
// gone it can be taken back again, and it was never sendable meanwhile.
func TestOutboxHoldOfACrashedProcess(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	c := openTest(t, opts)
	it, err := c.OutboxAdd("work", "me@x", []string{"you@y"}, []byte("Subject: s\r\n\r\nx"))
	if err != nil {
		t.Fatal(err)
	}
	h := startHolder(t, root, fmt.Sprintf("hold:%d", it.ID))
	var notDue *OutboxNotDueError
	if _, err := c.OutboxHold(it.ID); !errors.As(err, &notDue) || !notDue.Held || notDue.PID != h.cmd.Process.Pid {
		t.Fatalf("OutboxHold() of an item another process holds: error = %v, want *OutboxNotDueError with its pid", err)
	}
	if err := c.OutboxCancel(it.ID); !errors.As(err, &notDue) {
		t.Errorf("OutboxCancel() of an item another process holds: error = %v, want *OutboxNotDueError", err)
	}
	if err := c.OutboxReschedule(it.ID, time.Now().Add(time.Hour)); !errors.As(err, &notDue) {
		t.Errorf("OutboxReschedule() of a held item: error = %v, want *OutboxNotDueError", err)
	}
	h.kill()
	if _, err := c.OutboxClaim(it.ID, 0); !errors.As(err, &notDue) || !notDue.Held {
		t.Fatalf("OutboxClaim() of an item held by a crashed process: error = %v, want it still held", err)
	}
	got, err := c.OutboxHold(it.ID)
	if err != nil || !got.Held || got.SendingPID != os.Getpid() {
		t.Fatalf("OutboxHold() after the holder crashed = %+v, %v; want it held by this process", got, err)
	}
	if err := c.OutboxUnhold(it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OutboxClaim(it.ID, 0); err != nil {
		t.Errorf("OutboxClaim() after OutboxUnhold: %v", err)
	}
}

// TestOutboxDraft: a draft kept beside a message is read back, and goes
// with it; a message without one says so.
func TestOutboxDraft(t *testing.T) {
	root := t.TempDir()
	c := openTest(t, rootOptions(root))
	it, err := c.OutboxAddDraft("work", "me@x", []string{"you@y"}, []byte("Content-Type: multipart/encrypted\r\n\r\nx"),
		[]byte("Subject: plain\r\n\r\nthe text"), time.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if d, err := c.OutboxDraft(it.ID); err != nil || string(d) != "Subject: plain\r\n\r\nthe text" {
		t.Fatalf("OutboxDraft() = %q, %v", d, err)
	}
	plain, err := c.OutboxAdd("work", "me@x", []string{"you@y"}, []byte("Subject: s\r\n\r\nx"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.OutboxDraft(plain.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("OutboxDraft() of a message without one: error = %v, want ErrNotFound", err)
	}
	if err := c.OutboxCancel(it.ID); err != nil {
		t.Fatal(err)
	}
	left, _ := os.ReadDir(outboxDir(c.dataDir))
	for _, e := range left {
		if strings.HasSuffix(e.Name(), ".draft") {
			t.Errorf("%s is left after the message was cancelled", e.Name())
		}
	}
}
