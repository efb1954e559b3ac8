package ui

import (
	"fmt"
	"slices"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/sanitize"
)

// This file says in the status line what is being waited for: a sync or
// an open that has heard nothing from its server for waitAfter shows
// "work: waiting for imap.example.org:993… 5s" until it does.

// waitAfter is how long a sync or an open may go without news before the
// status line says it is waiting; the line is refreshed as often.
const waitAfter = time.Second

// waitTickMsg re-checks what is being waited for.
type waitTickMsg struct{}

// armWait starts the wait ticks unless they run already; they stop by
// themselves once nothing is waited for.
func (m *Model) armWait() tea.Cmd {
	if m.waitTicking {
		return nil
	}
	m.waitTicking = true
	return tea.Tick(waitAfter, func(time.Time) tea.Msg { return waitTickMsg{} })
}

// heardFrom notes that account's sync reported something: its wait, if
// any, is over.
func (m *Model) heardFrom(account string) {
	if m.syncing[account] {
		m.heard[account] = m.opts.Now()
	}
	m.waiting = m.waitLine()
}

// handleWaitTick refreshes the waiting line and keeps ticking while a
// sync runs or a message is loading.
func (m Model) handleWaitTick() (Model, tea.Cmd) {
	m.waitTicking = false
	m.waiting = m.waitLine()
	if len(m.syncing) > 0 || (m.mode == modePager && m.pager.loading) {
		return m, m.armWait()
	}
	return m, nil
}

// waitLine says what has been waited for longest without news, "" when
// nothing is: the message being opened first, then the syncs by account
// name.
func (m *Model) waitLine() string {
	now := m.opts.Now()
	line := func(account string, since time.Time, what string) string {
		server := account
		if a, err := m.set.Get(account); err == nil {
			server = a.Server()
		}
		return fmt.Sprintf("%s: waiting for %s%s… %ds", sanitize.Line(account), sanitize.Line(server), what, int(now.Sub(since)/time.Second))
	}
	if m.mode == modePager && m.pager.loading && m.opening != "" && now.Sub(m.openedAt) >= waitAfter {
		return line(m.opening, m.openedAt, " (opening the message)")
	}
	var names []string
	for name := range m.syncing {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		if since, ok := m.heard[name]; ok && now.Sub(since) >= waitAfter {
			return line(name, since, "")
		}
	}
	return ""
}

// waitForBody notes that the pager waits for account to send a message's
// body.
func (m *Model) waitForBody(account string) tea.Cmd {
	m.opening, m.openedAt = account, m.opts.Now()
	return m.armWait()
}
