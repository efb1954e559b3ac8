package ui

import (
	"fmt"
	"github.com/posta-mail/posta/accounts"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/sanitize"
)

// wheelStep is how many rows a mouse wheel notch moves.
const wheelStep = 3

// handleMouse: the wheel scrolls the index or the pager, a click selects
// a message, an account or a folder.
func (m Model) handleMouse(msg tea.MouseMsg) Model {
	if msg.Action != tea.MouseActionPress || m.prompt.kind != promptNone {
		return m
	}
	switch m.mode {
	case modePager:
		switch msg.Button {
		case tea.MouseButtonWheelUp:
			m.pager.vp.ScrollUp(wheelStep)
		case tea.MouseButtonWheelDown:
			m.pager.vp.ScrollDown(wheelStep)
		}
		return m
	case modeIndex:
	default:
		return m
	}
	switch msg.Button {
	case tea.MouseButtonWheelUp:
		m.moveCursor(-wheelStep)
	case tea.MouseButtonWheelDown:
		m.moveCursor(wheelStep)
	case tea.MouseButtonLeft:
		if msg.X < sidebarWidth {
			m.clickSidebar(msg.Y)
		} else if row := msg.Y - 1; row >= 0 && row < len(m.index.rows) {
			m.index.cursor = m.index.top + row
			m.index.clamp()
		}
	}
	return m
}

// clickSidebar selects the account or folder drawn on line y, in the
// order sidebarView draws them.
func (m *Model) clickSidebar(y int) {
	line := 0
	for i := range m.set.Accounts {
		if line == y {
			m.openAccount(i)
			return
		}
		line++
		if i != m.acct {
			continue
		}
		for j := range m.folders {
			if line == y {
				m.folder = j
				m.search, m.unified = nil, false
				m.index = index{height: m.index.height}
				m.index.load(m.listing())
				return
			}
			line++
		}
		if _, waiting := m.outbox[m.set.Accounts[i].Name()]; waiting {
			line++ // the outbox line
		}
	}
}

// progressLine shows a sync's progress: a bar, counts and bytes.
func progressLine(account string, p accounts.Progress) string {
	const width = 12
	bar := ""
	if p.Total > 0 {
		filled := min(width*p.Done/p.Total, width)
		bar = "[" + strings.Repeat("█", filled) + strings.Repeat("·", width-filled) + "] "
	}
	line := fmt.Sprintf("%s: %s %s%d/%d", sanitize.Line(account), sanitize.Line(p.Folder), bar, p.Done, p.Total)
	if p.Bytes > 0 {
		line += " · " + humanSize(p.Bytes)
	}
	return line
}
