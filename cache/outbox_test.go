package cache

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func TestOutbox(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	raw := []byte("From: me@x\r\nTo: a@y\r\nSubject: hi\r\n\r\nbody\r\n")
	a, err := c.OutboxAdd("work", "me@x", []string{"a@y", "b@y"}, raw)
	if err != nil {
		t.Fatal(err)
	}
	b, err := c.OutboxAdd("home", "me@h", []string{"c@z"}, []byte("x"))
	if err != nil {
		t.Fatal(err)
	}
	if all, _ := c.Outbox(""); len(all) != 2 {
		t.Errorf("Outbox(\"\") = %d items, want 2", len(all))
	}
	work, err := c.Outbox("work")
	if err != nil || len(work) != 1 || work[0].ID != a.ID || len(work[0].To) != 2 || work[0].From != "me@x" || work[0].Created.IsZero() {
		t.Fatalf("Outbox(work) = %+v, %v; want item %d", work, err, a.ID)
	}
	rc, err := c.OutboxOpen(a.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != string(raw) {
		t.Errorf("OutboxOpen() = %q, want %q", got, raw)
	}
	if err := c.OutboxFail(a.ID, errors.New("451 try later")); err != nil {
		t.Fatal(err)
	}
	if err := c.OutboxFail(a.ID, errors.New("421 busy")); err != nil {
		t.Fatal(err)
	}
	work, _ = c.Outbox("work")
	if work[0].Attempts != 2 || work[0].LastError != "421 busy" {
		t.Errorf("after two failures: attempts %d, last error %q; want 2, 421 busy", work[0].Attempts, work[0].LastError)
	}

	// Survives a restart.
	c.Close()
	c = openTest(t, opts)
	if all, _ := c.Outbox(""); len(all) != 2 {
		t.Errorf("Outbox() after reopen = %d items, want 2", len(all))
	}
	if err := c.OutboxDone(a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OutboxOpen(a.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("OutboxOpen(done) error = %v, want ErrNotFound", err)
	}
	if err := c.OutboxFail(a.ID, errors.New("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("OutboxFail(done) error = %v, want ErrNotFound", err)
	}
	files, _ := filepath.Glob(filepath.Join(outboxDir(opts.DataDir), "*"))
	if len(files) != 2 { // b's .eml and .json
		t.Errorf("outbox files after done = %v, want only item %d's two", files, b.ID)
	}
	// A done item does not come back on the next Open.
	c.Close()
	c = openTest(t, opts)
	if all, _ := c.Outbox(""); len(all) != 1 || all[0].ID != b.ID {
		t.Errorf("Outbox() after done + reopen = %+v, want only item %d", all, b.ID)
	}
	if _, err := os.Stat(filepath.Join(outboxDir(opts.DataDir))); err != nil {
		t.Fatal(err)
	}
}
