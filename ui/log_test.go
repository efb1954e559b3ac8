package ui

import (
	"bytes"
	"errors"
	"log/slog"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
)

// TestErrorsGoToTheLog: an error the reader shows is kept in the log with
// its account, and one longer than the status line names the log file.
func TestErrorsGoToTheLog(t *testing.T) {
	set, _ := demoSet(t, 3)
	var logged bytes.Buffer
	m := New(set, Options{NoSyncOnStart: true, NoWatch: true,
		Log: slog.New(slog.NewTextHandler(&logged, nil)), LogPath: "/home/u/.local/state/posta/posta.log"})
	m.syncing["work"] = true
	var model tea.Model = m
	model, _ = model.Update(tea.WindowSizeMsg{Width: 100, Height: 20})
	long := errors.New("imap 127.0.0.1:993: INBOX: " + strings.Repeat("the server explains at length ", 8))
	model, _ = model.Update(syncDoneMsg{report: accounts.SyncReport{Account: "work"}, err: long})
	if got := logged.String(); !strings.Contains(got, "account=work") || !strings.Contains(got, "explains at length") {
		t.Errorf("log = %q, want the account and the whole error", got)
	}
	lines := strings.Split(model.View(), "\n")
	status := lines[len(lines)-1]
	if !strings.Contains(status, "(whole text in /home/u/.local/state/posta/posta.log)") {
		t.Errorf("status line %q does not name the log", status)
	}
	if w := len([]rune(strings.TrimRight(status, " "))); w > 100 {
		t.Errorf("status line is %d columns wide", w)
	}
}
