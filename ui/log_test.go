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
	model, logged := loggedReader(t, 100, "/home/u/.local/state/posta/posta.log")
	long := errors.New("imap 127.0.0.1:993: INBOX: " + strings.Repeat("the server explains at length ", 8))
	model, _ = model.Update(syncDoneMsg{report: accounts.SyncReport{Account: "work"}, err: long})
	if got := logged.String(); !strings.Contains(got, "account=work") || !strings.Contains(got, "explains at length") {
		t.Errorf("log = %q, want the account and the whole error", got)
	}
	status := statusLine(model)
	if !strings.Contains(status, "(whole text in /home/u/.local/state/posta/posta.log)") {
		t.Errorf("status line %q does not name the log", status)
	}
	if w := len([]rune(strings.TrimRight(status, " "))); w > 100 {
		t.Errorf("status line is %d columns wide", w)
	}
}

// loggedReader is a reader over a demo set, width columns by 20 rows,
// logging to the returned buffer (logPath names its file), with a sync
// of the work account running.
func loggedReader(t *testing.T, width int, logPath string) (tea.Model, *bytes.Buffer) {
	t.Helper()
	set, _ := demoSet(t, 3)
	logged := new(bytes.Buffer)
	m := New(set, Options{NoSyncOnStart: true, NoWatch: true,
		Log: slog.New(slog.NewTextHandler(logged, nil)), LogPath: logPath})
	m.syncing["work"] = true
	model, _ := tea.Model(m).Update(tea.WindowSizeMsg{Width: width, Height: 20})
	return model, logged
}

// statusLine is the last line of model's screen.
func statusLine(model tea.Model) string {
	lines := strings.Split(model.View(), "\n")
	return lines[len(lines)-1]
}
