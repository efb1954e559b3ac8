package ui

import (
	"github.com/charmbracelet/bubbles/textinput"
	"github.com/charmbracelet/x/ansi"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// handleKey dispatches a key press to the active screen.
func (m Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		m.cancel()
		return m, tea.Quit
	}
	if m.prompt.kind != promptNone {
		return m.promptKey(msg)
	}
	switch m.mode {
	case modeHelp:
		if keyIs(msg, m.keys.Help) || keyIs(msg, m.keys.Back) {
			m.mode = m.back
		}
		return m, nil
	case modePager:
		return m.pagerKey(msg)
	case modeCompose:
		return m.composeKey(msg)
	}
	return m.indexKey(msg)
}

func (m Model) indexKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	a := m.account()
	if s := msg.String(); len(s) == 1 && s[0] >= '1' && s[0] <= '9' {
		if i := int(s[0] - '1'); i < len(m.set.Accounts) {
			m.openAccount(i)
		}
		return m, nil
	}
	switch {
	case m.search != nil && keyIs(msg, k.Back):
		// Leave the search results for the folder they replaced.
		m.search = nil
		m.index = index{height: m.index.height}
		m.index.load(m.listing())
		m.setInfo("")
	case keyIs(msg, k.Quit):
		m.cancel()
		return m, tea.Quit
	case keyIs(msg, k.Search):
		m.prompt = newPrompt(promptSearch, "Search: ", "")
		return m, textinput.Blink
	case keyIs(msg, k.Help):
		m.back, m.mode = m.mode, modeHelp
	case keyIs(msg, k.Down):
		m.moveCursor(1)
	case keyIs(msg, k.Up):
		m.moveCursor(-1)
	case keyIs(msg, k.PageDown):
		m.moveCursor(m.index.height)
	case keyIs(msg, k.PageUp):
		m.moveCursor(-m.index.height)
	case keyIs(msg, k.Top):
		m.moveCursor(-m.index.total)
	case keyIs(msg, k.Bottom):
		m.moveCursor(m.index.total)
	case keyIs(msg, k.NextAccount):
		m.openAccount((m.acct + 1) % len(m.set.Accounts))
	case keyIs(msg, k.PrevAccount):
		m.openAccount((m.acct + len(m.set.Accounts) - 1) % len(m.set.Accounts))
	case keyIs(msg, k.NextFolder), keyIs(msg, k.PrevFolder):
		if n := len(m.folders); n > 0 {
			step := 1
			if keyIs(msg, k.PrevFolder) {
				step = n - 1
			}
			m.folder = (m.folder + step) % n
			m.search = nil
			m.index = index{height: m.index.height}
			m.index.load(m.listing())
		}
	case keyIs(msg, k.Open):
		if sel, ok := m.index.selected(); ok {
			m.mode = modePager
			m.pager = newPager(sel, m.width, max(m.height-1, 1))
			return m, bodyCmd(m.ctx, m.accountOf(sel), sel.ID)
		}
	case keyIs(msg, k.Compose):
		m.compose = compose{account: a.Name()}
		d := message.Draft{From: a.From()}
		if sig := a.Signature(); sig != "" {
			d.Body = "\n\n-- \n" + sig
		}
		return m, editorCmd(m.opts.Editor, d, m.opts.DraftDir)
	case keyIs(msg, k.Reply), keyIs(msg, k.ReplyAll):
		if sel, ok := m.index.selected(); ok {
			m.setInfo("Preparing reply…")
			return m, replyCmd(m.ctx, m.accountOf(sel), sel, keyIs(msg, k.ReplyAll))
		}
	case keyIs(msg, k.ToggleRead):
		if sel, ok := m.index.selected(); ok {
			return m, flagCmd(m.ctx, m.accountOf(sel), sel.ID, mail.FlagSeen, !sel.Flags.Has(mail.FlagSeen))
		}
	case keyIs(msg, k.ToggleFlag):
		if sel, ok := m.index.selected(); ok {
			return m, flagCmd(m.ctx, m.accountOf(sel), sel.ID, mail.FlagFlagged, !sel.Flags.Has(mail.FlagFlagged))
		}
	case keyIs(msg, k.Sync):
		m.setInfo("Syncing…")
		return m, tea.Batch(m.syncAll()...)
	}
	return m, nil
}

func (m *Model) moveCursor(delta int) {
	m.index.cursor += delta
	m.index.clamp()
	m.index.load(m.listing())
}

// promptKey edits the status-line prompt: Enter submits, Esc cancels.
func (m Model) promptKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEnter:
		return m.submitPrompt()
	case tea.KeyEsc:
		m.prompt = prompt{}
		return m, nil
	}
	var cmd tea.Cmd
	m.prompt.input, cmd = m.prompt.input.Update(msg)
	return m, cmd
}

func (m Model) pagerKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	a := m.accountOf(m.pager.msg)
	switch {
	case keyIs(msg, k.Back):
		m.mode = modeIndex
		m.refresh()
	case keyIs(msg, k.Help):
		m.back, m.mode = m.mode, modeHelp
	case keyIs(msg, k.NextMessage), keyIs(msg, k.PrevMessage):
		step := 1
		if keyIs(msg, k.PrevMessage) {
			step = -1
		}
		m.moveCursor(step)
		if sel, ok := m.index.selected(); ok && sel.ID != m.pager.msg.ID {
			m.pager = newPager(sel, m.width, max(m.height-1, 1))
			return m, bodyCmd(m.ctx, m.accountOf(sel), sel.ID)
		}
	case keyIs(msg, k.SaveAttachment):
		return m.attachmentPrompt(promptSaveAttachment)
	case keyIs(msg, k.OpenAttachment):
		return m.attachmentPrompt(promptOpenAttachment)
	case keyIs(msg, k.Reply), keyIs(msg, k.ReplyAll):
		return m, replyCmd(m.ctx, a, m.pager.msg, keyIs(msg, k.ReplyAll))
	case keyIs(msg, k.ToggleFlag):
		flagged := m.pager.msg.Flags.Has(mail.FlagFlagged)
		m.pager.msg.Flags = m.pager.msg.Flags.Without(mail.FlagFlagged)
		if !flagged {
			m.pager.msg.Flags = m.pager.msg.Flags.With(mail.FlagFlagged)
		}
		return m, flagCmd(m.ctx, a, m.pager.msg.ID, mail.FlagFlagged, !flagged)
	case keyIs(msg, k.Top):
		m.pager.vp.GotoTop()
	case keyIs(msg, k.Bottom):
		m.pager.vp.GotoBottom()
	default:
		var cmd tea.Cmd
		m.pager.vp, cmd = m.pager.vp.Update(msg)
		return m, cmd
	}
	return m, nil
}

func (m Model) composeKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	k := m.keys
	if m.compose.sending {
		return m, nil
	}
	switch {
	case keyIs(msg, k.Send):
		if m.compose.err != nil {
			return m, nil
		}
		a, err := m.set.Get(m.compose.account)
		if err != nil {
			m.setError(err)
			return m, nil
		}
		m.compose.sending = true
		m.setInfo("Sending…")
		return m, sendCmd(m.ctx, a, m.compose.draft)
	case keyIs(msg, k.Edit):
		return m, reopenEditorCmd(m.opts.Editor, m.compose.path)
	case keyIs(msg, k.Abort):
		m.compose.discard()
		m.mode = modeIndex
		m.setInfo("Message discarded")
	}
	return m, nil
}

// truncate cuts s to w cells.
func truncate(s string, w int) string { return ansi.Truncate(s, w, "…") }
