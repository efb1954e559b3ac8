package ui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/mail"
)

// TestMarkAndActOnce marks messages with x, a v range, T and *, flags and
// archives them at once against the demo servers, and undoes a bulk
// action with u.
func TestMarkAndActOnce(t *testing.T) {
	set, _ := demoSet(t, 40)
	work, _ := set.Get("work")
	before, err := work.List("INBOX", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX · 40 messages")

	tm.Type("xx")
	waitFor(t, tm, "[2 marked]")
	tm.Type("vjj")
	waitFor(t, tm, "[5 marked]")
	tm.Type("kkkk") // the range now holds the two marked before
	waitFor(t, tm, "[3 marked]")
	tm.Type("jjjj")
	waitFor(t, tm, "[5 marked]")
	tm.Type("v")
	tm.Type("F")
	waitFor(t, tm, "u undoes")
	now, _ := work.List("INBOX", 5, 0)
	for _, m := range now {
		if !m.Flags.Has(mail.FlagFlagged) {
			t.Errorf("message %d not flagged after F on 5 marked messages", m.ID)
		}
	}
	tm.Type("u")
	waitFor(t, tm, "Undone")
	now, _ = work.List("INBOX", 5, 0)
	for i, m := range now {
		if m.Flags.Has(mail.FlagFlagged) != before[i].Flags.Has(mail.FlagFlagged) {
			t.Errorf("message %d flagged = %v after undo, want %v", m.ID, !before[i].Flags.Has(mail.FlagFlagged), before[i].Flags.Has(mail.FlagFlagged))
		}
	}

	tm.Type("*")
	waitFor(t, tm, "[40 marked]")
	tm.Type("*")
	waitFor(t, tm, "Unmarked 40")
	tm.Type("T")
	tm.Type("folder:INBOX account:work")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "[40 marked]")
	tm.Type("a")
	waitFor(t, tm, "Archived 40 messages")
	if n, _ := work.Count("INBOX"); n != 0 {
		t.Errorf("INBOX holds %d after archiving all, want 0", n)
	}
	if p, _ := work.Pending(); len(p) != 0 {
		t.Errorf("%d actions still queued, want none", len(p))
	}
	tm.Type("u")
	waitFor(t, tm, "Undone")
	if n, _ := work.Count("INBOX"); n != 40 {
		t.Errorf("INBOX holds %d after undoing the archiving, want 40", n)
	}

	// Marks belong to their view: in another folder none is marked, so
	// d there deletes only the message under the cursor.
	tm.Type("x")
	waitFor(t, tm, "[1 marked]")
	tm.Type("J")
	waitFor(t, tm, "work · Drafts")
	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if n := fm.markCount(); n != 0 {
		t.Errorf("%d marked in Drafts after marking one in INBOX, want 0", n)
	}
}

// TestActOnOneMarkedSaysMessage: the report of an action on one marked
// message is in the singular.
func TestActOnOneMarkedSaysMessage(t *testing.T) {
	set, _ := demoSet(t, 3)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX · 3 messages")
	tm.Type("x")
	waitFor(t, tm, "[1 marked]")
	tm.Type("a")
	waitFor(t, tm, "Archived 1 message ")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}
