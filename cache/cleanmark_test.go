package cache

import (
	"os"
	"testing"
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
