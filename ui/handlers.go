package ui

import (
	"errors"
	"fmt"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// This file holds the handlers of the messages that background work
// sends back (see cmds.go).

// handleSyncDone records a finished sync: status, new-mail count,
// notifications and the account's error mark.
func (m Model) handleSyncDone(msg syncDoneMsg) (Model, tea.Cmd) {
	var notify tea.Cmd
	delete(m.syncing, msg.report.Account)
	delete(m.heard, msg.report.Account)
	m.waiting = m.waitLine()
	if len(m.syncing) == 0 {
		m.progress = ""
	}
	var next tea.Cmd
	if opts, ok := m.again[msg.report.Account]; ok {
		// Asked for while this sync ran (new mail, the timer, $).
		delete(m.again, msg.report.Account)
		if a, err := m.set.Get(msg.report.Account); err == nil {
			next = m.queueSync(a, opts)
		}
	}
	var (
		copyErr *accounts.SentCopyError
		busy    *accounts.BusyError
	)
	if errors.As(msg.err, &busy) {
		m.setInfo(sanitize.Line(busy.Error()))
		m.refresh()
		return m, next
	}
	defer func() {
		if msg.err == nil {
			m.primed[msg.report.Account] = true
		}
	}()
	delete(m.acctErr, msg.report.Account)
	if msg.err == nil && (msg.report.Added > 0 || !m.primed[msg.report.Account]) {
		// New mail, or the session's first sync: what an earlier sync
		// (`posta sync`, a reader quit early) left unindexed is done now.
		if a, err := m.set.Get(msg.report.Account); err == nil {
			next = tea.Batch(next, tidyCmd(m.ctx, a))
		}
	}
	switch {
	case msg.err != nil && !errors.As(msg.err, &copyErr):
		m.acctErr[msg.report.Account] = sanitize.Line(msg.err.Error())
		m.setAccountError(msg.report.Account, msg.err)
	case msg.report.Added > 0:
		m.setInfo(fmt.Sprintf("%s: %d new", msg.report.Account, msg.report.Added))
		if m.primed[msg.report.Account] {
			// Not on an account's very first download: all of it is
			// "new" then, and none of it is news.
			m.newMail += msg.report.Added
			notify = m.notifyCmd(msg.report)
		}
	case m.status == "" || !m.isError:
		m.setInfo(fmt.Sprintf("%s: up to date", msg.report.Account))
	}
	m.showAlerts(msg.report.Account, msg.report.Alerts, msg.err == nil)
	m.refresh()
	return m, tea.Batch(notify, next)
}

// showAlerts logs what the account's server said to the user during a
// sync (sanitized by accounts) and, when show, puts it in the status
// line, marked as an error is: RFC 3501 wants a server's ALERT to catch
// the user's attention.
func (m *Model) showAlerts(account string, alerts []string, show bool) {
	if len(alerts) == 0 {
		return
	}
	if m.opts.Log != nil {
		for _, text := range alerts {
			m.opts.Log.Warn("reader: server alert", "account", account, "text", text)
		}
	}
	if !show {
		return // the sync's error stays in the status line
	}
	m.status = fmt.Sprintf("%s: the server says: %s", account, strings.Join(alerts, " · "))
	m.isError = true
}

// handleSyncEvent shows a running sync's work as it is stored: the
// folder list as soon as the server listed it, the open folder's
// messages batch by batch (the selected message stays selected), the
// counts as each folder ends.
func (m *Model) handleSyncEvent(ev accounts.Event) {
	m.heardFrom(ev.Account)
	if ev.Kind == accounts.EventProgress {
		// Events come through a channel and the sync's end as the
		// command's result: a late progress event must not bring back a
		// progress line for a sync that has ended.
		if m.syncing[ev.Account] {
			m.progress = progressLine(ev.Account, ev.Progress)
		}
		return
	}
	if m.search != nil {
		return // search results do not move under the user
	}
	if m.unified {
		if ev.Kind != accounts.EventFolders && strings.EqualFold(ev.Folder, "INBOX") {
			m.index.reload(m.listing())
		}
		return
	}
	if ev.Account != m.account().Name() {
		return
	}
	m.reloadFolders()
	if ev.Kind == accounts.EventFolders || ev.Folder == m.folderName() {
		m.index.reload(m.listing())
	}
}

// refresh re-reads the folder list, the outbox and the visible rows from
// the cache.
func (m *Model) refresh() {
	m.reloadFolders()
	m.reloadOutbox()
	m.index.load(m.listing())
}

// reloadOutbox notes which accounts have mail waiting to be sent, with
// the last error of each.
func (m *Model) reloadOutbox() {
	m.outbox = map[string]string{}
	if items, err := m.set.Outbox(""); err == nil {
		m.reloadLater(items) // scheduled mail for the sidebar and the outbox screen
		for _, it := range items {
			if it.LastError != "" {
				m.outbox[it.Account] = sanitize.Line(it.LastError)
			} else if _, ok := m.outbox[it.Account]; !ok {
				m.outbox[it.Account] = ""
			}
		}
	}
}

func (m Model) handleBody(msg bodyMsg) (tea.Model, tea.Cmd) {
	if m.mode != modePager || m.pager.msg.ID != msg.id {
		return m, nil // the user moved on
	}
	m.opening = ""
	m.waiting = m.waitLine()
	if msg.err != nil {
		m.pager.loading = false
		m.pager.setContent("Cannot load this message: " + sanitize.Line(msg.err.Error()))
		m.setError(msg.err)
		return m, nil
	}
	m.pager.crypto = msg.crypto
	m.pager.setRaw(m.theme, msg.raw)
	invites := invitesCmd(m.accountOf(m.pager.msg), msg.id, msg.raw)
	if !m.pager.msg.Flags.Has(mail.FlagSeen) {
		m.pager.msg.Flags = m.pager.msg.Flags.With(mail.FlagSeen)
		return m, tea.Batch(flagCmd(m.ctx, m.accountOf(m.pager.msg), msg.id, mail.FlagSeen, true), invites)
	}
	return m, invites
}

func (m Model) handleEditorDone(msg editorDoneMsg) Model {
	m.compose.path = msg.path
	if msg.err != nil {
		m.setError(fmt.Errorf("editor: %w", msg.err))
		if msg.path == "" {
			return m
		}
	}
	m.compose.load()
	m.mode = modeCompose
	return m
}

func (m Model) handleSent(msg sentMsg) (Model, tea.Cmd) {
	m.compose.sending = false
	var (
		copyErr     *accounts.SentCopyError
		queueErr    *accounts.QueuedError
		rejectedErr *accounts.RejectedError
	)
	if msg.err != nil && !errors.As(msg.err, &copyErr) && !errors.As(msg.err, &queueErr) && !errors.As(msg.err, &rejectedErr) {
		// Nothing was saved: stay on the draft so the user can retry.
		m.setError(msg.err)
		return m, nil
	}
	// Sent, or safe in the outbox (waiting to be retried, or refused by
	// the server and kept there with the reason, to be edited from the
	// outbox screen as after the undo delay): the draft file is no
	// longer needed. Staying on the draft after a refusal left the
	// message in the outbox too, and a second y queued a second copy.
	m.compose.discard()
	m.mode = modeIndex
	if msg.err != nil {
		m.setError(msg.err)
	} else {
		m.setInfo(fmt.Sprintf("Sent from %s to %s", msg.account, strings.Join(msg.to, ", ")))
	}
	m.refresh()
	if id := m.compose.resumeOf; id != 0 {
		if a, err := m.set.Get(msg.account); err == nil {
			return m, actionCmd(m.ctx, a, id, "Sent; the draft went to the Trash", func(c ctxT) error { return a.Delete(c, id) })
		}
	}
	return m, nil
}
