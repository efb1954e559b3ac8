package ui

import (
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"
)

// TestKeysArrivingTogether: keys that arrive in one read (typed fast over
// a slow link, or sent by tmux) reach Bubble Tea as one message of
// several runes. In the index each is a key of its own: "jjj" moves three
// lines, as three separate presses do (TestAccountKeepsPosition).
func TestKeysArrivingTogether(t *testing.T) {
	set, _ := demoSet(t, 20)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("jjj")})
	waitFor(t, tm, "4/20")
	tm.Send(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune("kq")})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if fm.index.cursor != 2 {
		t.Errorf("cursor = %d, want 2 (jjj then k)", fm.index.cursor)
	}
}
