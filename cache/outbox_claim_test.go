package cache

import (
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"
)

// TestOutboxClaim: an item claimed by one process cannot be claimed by
// another (nor twice by one) until the claim is released, runs out, or
// its process is gone; the claim shows in Outbox.
func TestOutboxClaim(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	a := openTest(t, opts)
	b := openTest(t, opts)
	it, err := a.OutboxAdd("work", "me@x", []string{"you@y"}, []byte("Subject: s\r\n\r\nx"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.OutboxClaim(it.ID, 0)
	if err != nil {
		t.Fatalf("OutboxClaim() error = %v", err)
	}
	if got.ID != it.ID || got.SendingPID == 0 || got.SendingUntil.Before(time.Now().Add(OutboxClaimTTL-time.Minute)) {
		t.Errorf("OutboxClaim() = %+v, want the item claimed by this process for OutboxClaimTTL", got)
	}
	var claimed *OutboxClaimedError
	for _, c := range []*Cache{a, b} {
		if _, err := c.OutboxClaim(it.ID, 0); !errors.As(err, &claimed) {
			t.Fatalf("OutboxClaim() of a claimed item: error = %v, want *OutboxClaimedError", err)
		}
	}
	if err := a.OutboxRetryLater(it.ID, errors.New("451 later"), time.Time{}, false); err != nil {
		t.Fatal(err)
	}
	if items, _ := a.Outbox(""); items[0].SendingPID != 0 || items[0].Attempts != 1 {
		t.Errorf("after OutboxRetryLater: %+v, want the claim released and one attempt", items[0])
	}
	if _, err := b.OutboxClaim(it.ID, 0); err != nil {
		t.Fatalf("OutboxClaim() after the claim was released: error = %v", err)
	}
	// RetryLater by a process that does not hold the claim leaves it alone.
	if err := a.OutboxFail(it.ID, errors.New("x")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.OutboxClaim(it.ID, 0); !errors.As(err, &claimed) {
		t.Fatalf("OutboxClaim() after another process's OutboxFail: error = %v, want *OutboxClaimedError", err)
	}
	if err := b.OutboxRelease(it.ID); err != nil {
		t.Fatal(err)
	}
	// A claim runs out.
	if _, err := a.OutboxClaim(it.ID, 50*time.Millisecond); err != nil {
		t.Fatal(err)
	}
	time.Sleep(100 * time.Millisecond)
	if _, err := b.OutboxClaim(it.ID, 0); err != nil {
		t.Fatalf("OutboxClaim() after the claim ran out: error = %v", err)
	}
	if err := b.OutboxDone(it.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := a.OutboxClaim(it.ID, 0); !errors.Is(err, ErrNotFound) {
		t.Errorf("OutboxClaim() of a sent item: error = %v, want ErrNotFound", err)
	}
}

// TestOutboxClaimOfACrashedProcess: a claim whose process is gone is void
// at once; while it runs, the error names it.
func TestOutboxClaimOfACrashedProcess(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	c, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	it, err := c.OutboxAdd("work", "me@x", []string{"you@y"}, []byte("Subject: s\r\n\r\nx"))
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	h := startHolder(t, root, fmt.Sprintf("claim:%d", it.ID))
	c = openTest(t, opts)
	_, err = c.OutboxClaim(it.ID, 0)
	var claimed *OutboxClaimedError
	if !errors.As(err, &claimed) || claimed.PID != h.cmd.Process.Pid {
		t.Fatalf("OutboxClaim() of an item another process sends: error = %v, want *OutboxClaimedError with its pid", err)
	}
	if want := fmt.Sprintf("being sent by another posta process (pid %d)", h.cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	h.kill()
	if _, err := c.OutboxClaim(it.ID, 0); err != nil {
		t.Fatalf("OutboxClaim() after the claiming process crashed: error = %v", err)
	}
}
