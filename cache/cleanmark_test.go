package cache

import (
	"fmt"
	"os"
	"testing"

	postamail "github.com/posta-mail/posta/mail"
)

// TestCleanCloseSkipsTheIntegrityCheck: Close leaves a mark that lets the
// next Open skip quick_check; Open takes the mark away, so a session that
// crashes leaves none and the next Open checks the index.
func TestCleanCloseMark(t *testing.T) {
	opts := testOptions(t)
	c, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	mark := c.cleanMarkPath()
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Fatalf("mark present while the index is open: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mark); err != nil {
		t.Fatalf("no mark after a clean Close: %v", err)
	}
	stamp, _ := os.ReadFile(mark)
	if now, err := indexStamp(c.dbPath()); err != nil || string(stamp) != now {
		t.Fatalf("the mark %q does not match the closed index %q (%v): the check would run every time", stamp, now, err)
	}
	c2, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(mark); !os.IsNotExist(err) {
		t.Errorf("Open left the mark in place: a crash now would skip the next check")
	}
	c2.Close()
	// Garbage in a cleanly closed index is still found and rebuilt.
	if err := os.WriteFile(c2.dbPath(), []byte("not a database at all, not at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	c3, err := Open(opts)
	if err != nil {
		t.Fatalf("Open of a garbled index: %v", err)
	}
	defer c3.Close()
	if !c3.Rebuilt() {
		t.Error("a garbled index was not rebuilt")
	}
}

// TestTruncatedIndexAfterCleanCloseIsRebuilt truncates a cleanly closed
// index: the changed file voids the clean mark, the check runs, finds the
// damage, and the index is rebuilt from the Maildir with no mail lost.
func TestTruncatedIndexAfterCleanCloseIsRebuilt(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	for i := range 200 {
		if _, err := c.DeliverPOP("acct", fmt.Sprintf("u%d", i), postamail.Header{}, stringsReader(rawMessage(i))); err != nil {
			t.Fatal(err)
		}
	}
	c.Close()
	fi, err := os.Stat(c.dbPath())
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Truncate(c.dbPath(), fi.Size()/2); err != nil {
		t.Fatal(err)
	}
	c2, err := Open(opts)
	if err != nil {
		t.Fatalf("Open of a truncated index: %v", err)
	}
	defer c2.Close()
	if !c2.Rebuilt() {
		t.Error("a truncated index was not rebuilt")
	}
	if n, _ := c2.Count(Query{Account: "acct"}); n != 200 {
		t.Errorf("after the rebuild %d messages are indexed, want all 200", n)
	}
}
