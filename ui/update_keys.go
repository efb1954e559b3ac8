package ui

import (
	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/mail"
)

// handleKey dispatches a key press to the active screen.
func (m Model) handleKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if msg.String() == "ctrl+c" {
		m.cancel()
		return m, tea.Quit
	}
	if msg.Type == tea.KeyRunes && !msg.Paste && len(msg.Runes) > 1 &&
		m.prompt.kind == promptNone && m.mode != modeEditInline {
		return m.eachRune(msg.Runes)
	}
	if m.prompt.kind != promptNone {
		return m.promptKey(msg)
	}
	switch m.mode {
	case modeHelp:
		if m.keys.is(msg, keymap.Index, "help") || m.keys.is(msg, keymap.Pager, "back") {
			m.mode = m.back
			return m, nil
		}
		// The help may be taller than the terminal: it scrolls.
		switch {
		case m.keys.is(msg, keymap.Pager, "bottom"):
			m.help.GotoBottom()
			return m, nil
		case m.keys.is(msg, keymap.Pager, "top"):
			m.help.GotoTop()
			return m, nil
		}
		var cmd tea.Cmd
		m.help, cmd = m.help.Update(msg)
		return m, cmd
	case modePager:
		return m.pagerKey(msg)
	case modeCompose:
		return m.composeKey(msg)
	case modeEditInline:
		return m.inlineKey(msg)
	case modeOutbox:
		return m.outboxKey(msg)
	}
	if model, cmd, ok := m.sidebarKey(msg); ok {
		return model, cmd
	}
	return m.indexKey(msg)
}

// eachRune handles keys that arrived together (typed fast, over a slow
// link, or sent by tmux), which Bubble Tea delivers as one message of
// several runes: outside a text field each is a key of its own, so "jjj"
// moves three lines rather than matching no binding. A key that opens a
// prompt (/ for search) gets the runes after it as its text.
func (m Model) eachRune(runes []rune) (tea.Model, tea.Cmd) {
	var cmds []tea.Cmd
	var model tea.Model = m
	for _, r := range runes {
		var cmd tea.Cmd
		model, cmd = model.(Model).handleKey(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
		cmds = append(cmds, cmd)
	}
	return model, tea.Batch(cmds...)
}

// sidebarKey handles the account and folder keys, which work while the
// index has focus.
func (m Model) sidebarKey(msg tea.KeyMsg) (tea.Model, tea.Cmd, bool) {
	is := func(action string) bool { return m.keys.is(msg, keymap.Sidebar, action) }
	if s := msg.String(); len(s) == 1 && s[0] >= '1' && s[0] <= '9' {
		if i := int(s[0] - '1'); i < len(m.set.Accounts) {
			m.openAccount(i)
		}
		return m, nil, true
	}
	switch {
	case is("next_account"):
		m.openAccount((m.acct + 1) % len(m.set.Accounts))
	case is("prev_account"):
		m.openAccount((m.acct + len(m.set.Accounts) - 1) % len(m.set.Accounts))
	case is("next_folder"), is("prev_folder"):
		if n := len(m.folders); n > 0 {
			step := 1
			if is("prev_folder") {
				step = n - 1
			}
			m.folder = (m.folder + step) % n
			m.search = nil
			m.unified = false
			m.index = index{height: m.index.height}
			m.index.load(m.listing())
		}
	case is("all_inboxes"):
		m.search = nil
		m.unified = true
		m.index = index{height: m.index.height}
		m.index.load(m.listing())
	default:
		return m, nil, false
	}
	return m, nil, true
}

func (m Model) indexKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	if m.later.undo != nil && m.keys.is(msg, keymap.Index, "undo") {
		return m.undoSendKey() // while a sent message waits, u takes it back
	}
	if model, cmd, ok := m.marksKey(msg); ok {
		return model, cmd
	}
	if model, ok := m.sortKey(msg); ok {
		return model, nil
	}
	is := func(action string) bool { return m.keys.is(msg, keymap.Index, action) }
	a := m.account()
	sel, hasSel := m.index.selected()
	switch {
	case (m.search != nil || m.unified) && m.keys.is(msg, keymap.Pager, "back"):
		// Leave the search results or the merged inboxes for the folder.
		m.search = nil
		m.unified = false
		m.index = index{height: m.index.height}
		m.index.load(m.listing())
		m.setInfo("")
	case is("quit"):
		m.cancel()
		return m, tea.Quit
	case is("help"):
		m.openHelp()
	case is("search"):
		m.prompt = newPrompt(promptSearch, "Search: ", "")
		return m, textinput.Blink
	case is("down"):
		m.moveCursor(1)
	case is("up"):
		m.moveCursor(-1)
	case is("page_down"):
		m.moveCursor(m.index.height)
	case is("page_up"):
		m.moveCursor(-m.index.height)
	case is("top"):
		m.moveCursor(-m.index.total)
	case is("bottom"):
		m.moveCursor(m.index.total)
	case is("compose"):
		m.compose = compose{account: a.Name()}
		d := m.compose.setCryptoDefaults(a, newDraft(a))
		return m, editorCmd(m.opts.Editor, d, m.opts.DraftDir)
	case is("toggle_threads"):
		m.threaded = !m.threaded
		m.index = index{height: m.index.height}
		m.index.load(m.listing())
	case is("sync"):
		m.setInfo("Syncing…")
		return m, tea.Batch(m.syncAll(true)...)
	case is("outbox"):
		return m.openOutbox()
	case !hasSel:
	case is("open"):
		m.mode = modePager
		return m.openPager(sel)
	default:
		return m.messageAction(msg, keymap.Index, sel)
	}
	return m, nil
}

// messageAction handles the keys that act on one message, from the
// index or the pager.
func (m Model) messageAction(msg tea.KeyMsg, ctx keymap.Context, sel messageRef) (tea.Model, tea.Cmd) {
	is := func(action string) bool { return m.keys.is(msg, ctx, action) }
	a := m.accountOf(sel)
	switch {
	case is("reply"), is("reply_all"):
		m.setInfo("Preparing reply…")
		return m, replyCmd(m.ctx, a, sel, is("reply_all"))
	case is("forward"), is("forward_attachment"):
		m.setInfo("Preparing forward…")
		return m, forwardCmd(m.ctx, a, sel, is("forward_attachment"))
	case is("toggle_read"):
		return m, flagCmd(m.ctx, a, sel.ID, mail.FlagSeen, !sel.Flags.Has(mail.FlagSeen))
	case is("toggle_flag"):
		return m, flagCmd(m.ctx, a, sel.ID, mail.FlagFlagged, !sel.Flags.Has(mail.FlagFlagged))
	case is("delete"):
		return m.leavePager(ctx), actionCmd(m.ctx, a, sel.ID, "Deleted", func(c ctxT) error { return a.Delete(c, sel.ID) })
	case is("archive"):
		return m.leavePager(ctx), actionCmd(m.ctx, a, sel.ID, "Archived", func(c ctxT) error { return a.Archive(c, sel.ID) })
	case is("resume"):
		m.setInfo("Opening the draft…")
		return m, resumeCmd(m.ctx, a, sel)
	case is("move"):
		m.prompt = folderPrompt(promptMove, "Move to folder: ", a)
		m.moveTarget = sel
		return m, textinput.Blink
	case is("unsubscribe"):
		return m.unsubscribeStart(sel)
	}
	return m, nil
}

// leavePager returns to the index after an action that takes the
// message out of the folder.
func (m Model) leavePager(ctx keymap.Context) Model {
	if ctx == keymap.Pager {
		m.mode = modeIndex
	}
	return m
}

func (m *Model) moveCursor(delta int) {
	m.index.cursor += delta
	m.index.scroll(m.listing())
}

// promptKey edits the status-line prompt: Enter submits, Esc cancels.
func (m Model) promptKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.Type {
	case tea.KeyEnter:
		if model, cmd, ok := m.submitOwnPrompt(); ok {
			return model, cmd
		}
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
	is := func(action string) bool { return m.keys.is(msg, keymap.Pager, action) }
	if model, cmd, ok := m.inviteKey(msg); ok {
		return model, cmd
	}
	switch {
	case is("back"):
		m.mode = modeIndex
		m.refresh()
	case m.keys.is(msg, keymap.Index, "help"):
		m.openHelp()
	case is("next_message"), is("prev_message"):
		step := 1
		if is("prev_message") {
			step = -1
		}
		m.moveCursor(step)
		if sel, ok := m.index.selected(); ok && sel.ID != m.pager.msg.ID {
			return m.openPager(sel)
		}
	case is("search"):
		m.prompt = newPrompt(promptFind, "Find: ", "")
		return m, textinput.Blink
	case is("search_next"), is("search_prev"):
		return m.findNext(is("search_next")), nil
	case is("full_headers"):
		m.fullHeaders = !m.fullHeaders
		m.pager.full = m.fullHeaders
		m.pager.render(m.theme)
	case is("pipe"):
		if m.pager.raw == nil {
			m.setInfo("The message is not loaded yet.")
			return m, nil
		}
		m.prompt = newPrompt(promptPipe, "Pipe to command: ", m.lastPipe)
		return m, textinput.Blink
	case is("save_attachment"):
		return m.attachmentPrompt(promptSaveAttachment)
	case is("open_attachment"):
		return m.attachmentPrompt(promptOpenAttachment)
	case is("open_link"):
		return m.linkPrompt()
	case is("toggle_flag"):
		flagged := m.pager.msg.Flags.Has(mail.FlagFlagged)
		m.pager.msg.Flags = m.pager.msg.Flags.Without(mail.FlagFlagged)
		if !flagged {
			m.pager.msg.Flags = m.pager.msg.Flags.With(mail.FlagFlagged)
		}
		return m, flagCmd(m.ctx, m.accountOf(m.pager.msg), m.pager.msg.ID, mail.FlagFlagged, !flagged)
	case is("top"):
		m.pager.vp.GotoTop()
	case is("bottom"):
		m.pager.vp.GotoBottom()
	case is("down"):
		m.pager.vp.ScrollDown(1)
	case is("up"):
		m.pager.vp.ScrollUp(1)
	case is("page_down"):
		m.pager.vp.PageDown()
	case is("page_up"):
		m.pager.vp.PageUp()
	default:
		return m.messageAction(msg, keymap.Pager, m.pager.msg)
	}
	return m, nil
}

func (m Model) composeKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	is := func(action string) bool { return m.keys.is(msg, keymap.Compose, action) }
	if m.compose.sending {
		return m, nil
	}
	switch {
	case is("send"):
		if m.compose.err != nil {
			return m, nil
		}
		if why := m.compose.cryptoBlocks(); why != "" {
			m.setInfo("Not sent: " + why)
			return m, nil
		}
		if m.compose.askBeforeSending() {
			return m, nil // the review screen asks; a second send sends
		}
		a, err := m.set.Get(m.compose.account)
		if err != nil {
			m.setError(err)
			return m, nil
		}
		m.compose.sending = true
		m.setInfo("Sending…")
		return m, m.sendOrSchedule(a, m.compose.sendDraft())
	case is("edit"):
		return m, reopenEditorCmd(m.opts.Editor, m.compose.path)
	case is("identity"):
		return m.nextIdentity()
	case is("send_later"):
		if why := m.compose.cryptoBlocks(); why != "" && m.compose.err == nil {
			m.setInfo("Not scheduled: " + why)
			return m, nil
		}
		return m.sendLaterKey()
	case is("sign"):
		return m.toggleCrypto("sign")
	case is("encrypt"):
		return m.toggleCrypto("encrypt")
	case is("smime"):
		return m.toggleCrypto("smime")
	case is("postpone"):
		if m.compose.err != nil {
			// Nothing parseable to file: keep the file for the user.
			m.mode = modeIndex
			m.setInfo("Draft left in " + m.compose.path)
			return m, nil
		}
		a, err := m.set.Get(m.compose.account)
		if err != nil {
			m.setError(err)
			return m, nil
		}
		m.compose.sending = true
		return m, saveDraftCmd(m.ctx, a, m.compose.draft)
	case is("discard"):
		m.compose.discard()
		m.mode = modeIndex
		m.setInfo("Message discarded")
	}
	return m, nil
}

// truncate cuts s to w cells.
func truncate(s string, w int) string { return ansi.Truncate(s, w, "…") }

// openPager shows sel in the pager and asks for its body.
func (m Model) openPager(sel messageRef) (tea.Model, tea.Cmd) {
	if m.pager.search.query != "" {
		m.setInfo("") // the status said where the last message's search stood
	}
	m.pager = newPager(sel, m.width, max(m.height-1, 1))
	m.pager.full = m.fullHeaders
	a := m.accountOf(sel)
	return m, tea.Batch(bodyCmd(m.ctx, a, sel.ID), m.waitForBody(a.Name()))
}
