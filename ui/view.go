package ui

import (
	"fmt"

	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/sanitize"
)

// View draws the screen.
func (m Model) View() string {
	var body string
	switch m.mode {
	case modeHelp:
		body = m.help.View()
	case modePager:
		body = m.pager.vp.View()
	case modeCompose:
		body = m.composeView()
	case modeEditInline:
		body = m.inlineView()
	case modeOutbox:
		body = m.outboxView(m.width, m.height-1)
	default:
		side := sidebarView(m.theme, m.set.Accounts, m.acctErr, m.outbox, m.acct, m.folders, m.folder, m.height-1, m.scheduledLines())
		w := max(m.width-sidebarWidth, 10)
		title := pad(" "+m.listing().title()+" · "+messagesCount(m.index.total), w)
		if m.account().InsecureTLS() && m.search == nil && !m.unified {
			// The user turned certificate checks off: never hide it.
			title = m.theme.Status.Error.Render(truncate(title+" · TLS NOT VERIFIED", w))
		} else {
			title = m.theme.Title.Render(title)
		}
		x := m.index
		if m.markCount() > 0 {
			x.marked = func(id int64, pos int) bool { return m.marks.in(id, pos, m.index.cursor) }
		}
		list := lipgloss.NewStyle().Width(w).Height(m.height - 2).Render(x.view(m.theme, w, m.opts.Now(), m.search != nil || m.unified, m.threaded && m.search == nil && !m.unified))
		body = lipgloss.JoinHorizontal(lipgloss.Top, side, lipgloss.JoinVertical(lipgloss.Left, title, list))
	}
	body = lipgloss.NewStyle().Height(m.height - 1).MaxHeight(m.height - 1).Render(body)
	return body + "\n" + m.statusView()
}

func (m Model) statusView() string {
	if m.prompt.kind != promptNone {
		return pad(truncate(m.prompt.input.View(), m.width), m.width)
	}
	left := m.status
	switch {
	case m.later.undo != nil:
		left = m.undoLine() // the countdown of a sent message, which u takes back
	case m.waiting != "":
		left = m.waiting // a server is silent: say which
	case m.progress != "":
		left = m.progress
	}
	right := "? help"
	if m.newMail > 0 {
		left = fmt.Sprintf("[%d new] %s", m.newMail, left)
	}
	if n := m.markCount(); n > 0 && m.mode == modeIndex {
		left = fmt.Sprintf("[%d marked] %s", n, left)
	}
	switch m.mode {
	case modePager:
		right = fmt.Sprintf("%d%% · q back · r reply", int(m.pager.vp.ScrollPercent()*100))
	case modeHelp:
		right = fmt.Sprintf("%d%% · j/k scroll · ? or q close", int(m.help.ScrollPercent()*100))
	case modeIndex:
		if m.index.total > 0 {
			right = fmt.Sprintf("%d/%d · ? help", m.index.cursor+1, m.index.total)
		}
	}
	w := max(m.width, 1)
	line := " " + left
	if space := w - len([]rune(right)) - 1; space > 0 {
		if hint := " (whole text in " + sanitize.Line(m.opts.LogPath) + ")"; m.isError && m.progress == "" && m.waiting == "" && m.opts.LogPath != "" &&
			ansi.StringWidth(line) > space && space > len([]rune(hint))+20 {
			line = truncate(line, space-len([]rune(hint))) + hint
		}
		line = pad(truncate(line, space), space) + right + " "
	}
	style := m.theme.Status.Info
	if m.isError && m.progress == "" && m.waiting == "" {
		style = m.theme.Status.Error
	}
	return style.Render(truncate(line, w))
}
