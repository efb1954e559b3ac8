package ui

import (
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
)

// TestStatusSaysWhatIsWaitedFor (issue 18): a sync that hears nothing
// from its server for a second says so in the status line, with the
// server and the time waited; news from the sync clears it, and so does
// its end. Opening a message whose body does not come says it too.
func TestStatusSaysWhatIsWaitedFor(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	set := invisibleSet(t)
	m := New(set, Options{NoSyncOnStart: true, NoWatch: true, Now: func() time.Time { return now }})
	status := func(m Model) string { return ansi.Strip(m.statusView()) }
	tick := func(m Model) (Model, tea.Cmd) {
		next, cmd := m.Update(waitTickMsg{})
		return next.(Model), cmd
	}

	work, _ := set.Get("work")
	if cmd := m.queueSync(work, accounts.SyncOptions{}); cmd == nil {
		t.Fatal("queueSync() = nil, want the sync and the wait ticks")
	}
	m, _ = tick(m)
	if s := status(m); strings.Contains(s, "waiting") {
		t.Errorf("status = %q right after the sync started, want no waiting yet", s)
	}
	now = now.Add(3 * time.Second)
	m, cmd := tick(m)
	if s := status(m); !strings.Contains(s, "work: waiting for 127.0.0.1:1… 3s") {
		t.Errorf("status = %q after 3 s without news, want it to say what is waited for", s)
	}
	if cmd == nil {
		t.Error("the wait ticks stopped while the sync runs")
	}

	next, _ := m.Update(syncEventMsg{ev: accounts.Event{Account: "work", Kind: accounts.EventProgress}})
	m = next.(Model)
	if s := status(m); strings.Contains(s, "waiting") {
		t.Errorf("status = %q after the sync reported, want no waiting", s)
	}
	now = now.Add(2 * time.Second)
	m, _ = tick(m)
	if s := status(m); !strings.Contains(s, "waiting for 127.0.0.1:1… 2s") {
		t.Errorf("status = %q, want the wait counted from the last news", s)
	}
	next, _ = m.Update(syncDoneMsg{report: accounts.SyncReport{Account: "work"}})
	m = next.(Model)
	if s := status(m); strings.Contains(s, "waiting") {
		t.Errorf("status = %q after the sync ended, want no waiting", s)
	}
	if _, cmd := tick(m); cmd != nil {
		t.Error("the wait ticks go on with nothing to wait for")
	}

	// Opening a message: the body command is not run, as if the server
	// never answered.
	next, _ = m.Update(tea.KeyMsg{Type: tea.KeyEnter})
	m = next.(Model)
	now = now.Add(2 * time.Second)
	m, _ = tick(m)
	if s := status(m); !strings.Contains(s, "work: waiting for 127.0.0.1:1 (opening the message)… 2s") {
		t.Errorf("status = %q while the body does not come, want it to say so", s)
	}
	next, _ = m.Update(bodyMsg{account: "work", id: m.pager.msg.ID, raw: []byte("Subject: x\r\n\r\nbody\r\n")})
	m = next.(Model)
	if s := status(m); strings.Contains(s, "waiting") {
		t.Errorf("status = %q once the body came, want no waiting", s)
	}
}
