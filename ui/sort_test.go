package ui

import (
	"testing"
	"time"

	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/accounts"
)

// TestSortIsRememberedPerFolder sorts the inbox with o and O and finds
// the order again in a new reader; other folders keep theirs.
func TestSortIsRememberedPerFolder(t *testing.T) {
	set, _ := demoSet(t, 15)
	work, _ := set.Get("work")
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX · 15 messages")
	tm.Type("ooo")
	waitFor(t, tm, "Sorted by subject")
	tm.Type("O")
	waitFor(t, tm, "by subject, reversed")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))

	want := accounts.Sort{Key: accounts.SortKeys[3], Reverse: true}
	if s, _ := work.FolderSort("INBOX"); s != want {
		t.Fatalf("INBOX sort = %v, want %v", s, want)
	}
	if s, _ := work.FolderSort("Archive"); s != (accounts.Sort{}) {
		t.Errorf("Archive sort = %v, want the default", s)
	}
	rows, err := work.ListSorted("INBOX", want, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i < len(rows); i++ {
		if lower(rows[i-1].Subject) < lower(rows[i].Subject) {
			t.Errorf("reversed subject order: %q before %q", rows[i-1].Subject, rows[i].Subject)
		}
	}

	tm = teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "INBOX · by subject, reversed")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

func lower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}
