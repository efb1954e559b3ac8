package ui

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/internal/when"
	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// Send later and undo send. Both put the message in the outbox with a
// send time (accounts.Schedule): undo send at now + Options.UndoSendDelay,
// send later at the time the user typed. The outbox timer (outboxTick)
// sends what is due, from this process or any other (the outbox's claim
// makes it once). While an undo delay runs, the status line counts down
// and u (the index's undo key: it undoes the send before it undoes a
// bulk action) takes the message back into the composer.

type (
	// scheduledMsg reports a message put in the outbox with a send time.
	scheduledMsg struct {
		account string
		item    accounts.OutboxItem
		to      []string
		draft   message.Draft // what was composed, to reopen on undo
		undo    bool          // an undo delay, not a chosen time
		err     error
	}
	// undoTickMsg redraws the undo countdown of outbox item id.
	undoTickMsg struct{ id int64 }
	// outboxTickMsg wakes the outbox timer of generation gen.
	outboxTickMsg struct{ gen int }
	// outboxFlushedMsg reports a send of an account's due outbox.
	outboxFlushedMsg struct {
		account string
		sent    int
		err     error
	}
	// takenBackMsg reports a message taken back from the outbox (undo
	// send, or edit from the outbox screen): held, to be reopened.
	takenBackMsg struct {
		account string
		id      int64
		draft   message.Draft
		err     error
	}
)

// later is the reader's state of scheduled and undoable mail.
type later struct {
	// undo is the message whose undo delay runs, nil if none.
	undo *undoSend
	// ending is the message whose undo delay ended and that is being
	// sent: the flush's report says what became of it.
	ending *undoSend
	// gen is the outbox timer's generation: a tick of an older one is
	// dropped, so re-arming never doubles the timer.
	gen int
	// flushing are the accounts whose due outbox is being sent.
	flushing map[string]bool
	// items are the messages of the outbox (all accounts) as last read,
	// with their subjects, for the sidebar and the outbox screen.
	items    []accounts.OutboxItem
	subjects map[int64]string
	// screen is the outbox screen's state (outbox.go).
	screen outboxScreen
}

// undoSend is a sent message in its undo delay.
type undoSend struct {
	account string
	id      int64
	at      time.Time
	to      []string
	draft   message.Draft
}

// outboxPoll bounds how long the outbox timer sleeps: mail scheduled by
// another process (posta send --at) is sent within it.
const outboxPoll = 30 * time.Second

// scheduleCmd builds the draft as sendCmd does and puts it in the
// outbox to be sent at at.
func scheduleCmd(a *accounts.Account, d message.Draft, at time.Time, undo bool) tea.Cmd {
	return func() tea.Msg {
		fail := func(err error) tea.Msg { return scheduledMsg{account: a.Name(), undo: undo, err: err} }
		raw, from, to, err := buildOutgoing(a, d)
		if err != nil {
			return fail(err)
		}
		var kept []byte // a signed or encrypted message keeps its draft, to edit it
		if d.Sign || d.Encrypt {
			if kept, err = d.BuildDraft(time.Now()); err != nil {
				return fail(err)
			}
		}
		it, err := a.ScheduleDraft(from, to, raw, kept, at)
		if err != nil {
			return fail(err)
		}
		return scheduledMsg{account: a.Name(), item: it, to: to, draft: d, undo: undo}
	}
}

// buildOutgoing makes the message to send from the draft, signed or
// encrypted as it asks, with its envelope: the sender's bare address and
// the recipients (sendCmd and scheduleCmd).
func buildOutgoing(a *accounts.Account, d message.Draft) (raw []byte, from string, to []string, err error) {
	if raw, err = d.Build(time.Now()); err != nil {
		return nil, "", nil, err
	}
	from = a.Address()
	if addr, err := netmail.ParseAddress(d.From); err == nil {
		from = addr.Address
	}
	to = d.Recipients()
	if raw, err = protectDraft(a, raw, d); err != nil {
		return nil, "", nil, err
	}
	return raw, from, to, nil
}

// sendOrSchedule is the review screen's send: at once, or with the undo
// delay when there is one.
func (m Model) sendOrSchedule(a *accounts.Account, d message.Draft) tea.Cmd {
	if m.opts.UndoSendDelay <= 0 {
		return sendCmd(m.ctx, a, d)
	}
	return scheduleCmd(a, d, m.opts.Now().Add(m.opts.UndoSendDelay), true)
}

// handleScheduled leaves the composer once the message is safe in the
// outbox, and starts the undo countdown or says when it goes.
func (m Model) handleScheduled(msg scheduledMsg) (Model, tea.Cmd) {
	m.compose.sending = false
	if msg.err != nil {
		m.setError(msg.err) // nothing was saved: stay on the draft
		return m, nil
	}
	m.compose.discard()
	m.mode = modeIndex
	var cmds []tea.Cmd
	if id := m.compose.resumeOf; id != 0 {
		// The outbox holds the message now: the saved draft goes.
		if a, err := m.set.Get(msg.account); err == nil {
			cmds = append(cmds, actionCmd(m.ctx, a, id, "The draft went to the Trash", func(c ctxT) error { return a.Delete(c, id) }))
		}
	}
	if msg.undo {
		m.later.undo = &undoSend{account: msg.account, id: msg.item.ID, at: msg.item.SendAt, to: msg.to, draft: msg.draft}
		m.setInfo("")
		cmds = append(cmds, undoTick(msg.item.ID))
	} else {
		m.setInfo(fmt.Sprintf("Scheduled from %s to %s for %s (L: the outbox)", sanitize.Line(msg.account),
			sanitize.Line(strings.Join(msg.to, ", ")), msg.item.SendAt.In(m.opts.Now().Location()).Format(when.Layout)))
	}
	m.refresh()
	return m, tea.Batch(append(cmds, m.armOutbox())...)
}

func undoTick(id int64) tea.Cmd {
	return tea.Tick(time.Second, func(time.Time) tea.Msg { return undoTickMsg{id: id} })
}

// undoLine is the status line while an undo delay runs, "" otherwise.
func (m Model) undoLine() string {
	u := m.later.undo
	if u == nil {
		return ""
	}
	left := max(int(u.at.Sub(m.opts.Now()).Round(time.Second)/time.Second), 0)
	line := fmt.Sprintf("Sending to %s in %ds", sanitize.Line(strings.Join(u.to, ", ")), left)
	if m.mode == modeIndex {
		line += " · " + m.keys.binding(keymap.Index, "undo").Help().Key + " takes it back"
	}
	return line
}

// SendPending sends the message whose undo delay was running when the
// reader ended: quitting gives up taking it back, not the sending. It
// returns what to tell the user, "" when no message was waiting. Call
// it after the program returned; ctx bounds the sending.
func (m Model) SendPending(ctx context.Context) string {
	u := m.later.undo
	if u == nil {
		return ""
	}
	to := sanitize.Line(strings.Join(u.to, ", "))
	kept := fmt.Sprintf("the message to %s stays in the outbox: the next posta sync sends it", to)
	a, err := m.set.Get(u.account)
	if err != nil {
		return kept
	}
	var late *accounts.TooLateError
	if err := a.Reschedule(u.id, time.Time{}); errors.As(err, &late) {
		return "" // sent meanwhile, or being sent, by another posta
	} else if err != nil {
		return kept
	}
	if _, err := a.FlushOutbox(ctx); err != nil {
		return kept + " (" + sanitize.Line(err.Error()) + ")"
	}
	if _, _, err := m.set.OutboxItem(u.id); err == nil {
		return kept
	}
	return "sent the message to " + to
}

// handleUndoTick counts down; at the end the account's due outbox is sent.
func (m Model) handleUndoTick(msg undoTickMsg) (Model, tea.Cmd) {
	u := m.later.undo
	if u == nil || u.id != msg.id {
		return m, nil
	}
	if m.opts.Now().Before(u.at) {
		return m, undoTick(u.id)
	}
	m.later.undo = nil
	m.later.ending = u
	m.setInfo(fmt.Sprintf("Sending to %s…", sanitize.Line(strings.Join(u.to, ", "))))
	a, err := m.set.Get(u.account)
	if err != nil {
		return m, nil
	}
	return m, m.flushOutbox(a)
}

// flushOutbox sends a's due outbox in the background, unless that runs.
func (m *Model) flushOutbox(a *accounts.Account) tea.Cmd {
	if m.later.flushing == nil {
		m.later.flushing = map[string]bool{}
	}
	if m.later.flushing[a.Name()] {
		return nil
	}
	m.later.flushing[a.Name()] = true
	ctx := m.ctx
	return func() tea.Msg {
		n, err := a.FlushOutbox(ctx)
		return outboxFlushedMsg{account: a.Name(), sent: n, err: err}
	}
}

func (m Model) handleOutboxFlushed(msg outboxFlushedMsg) (Model, tea.Cmd) {
	delete(m.later.flushing, msg.account)
	var copyErr *accounts.SentCopyError
	switch {
	case msg.err != nil && !errors.As(msg.err, &copyErr):
		m.setAccountError(msg.account, msg.err)
	case msg.sent > 0:
		m.setInfo("Sent " + messagesCount(msg.sent) + " from " + sanitize.Line(msg.account))
	}
	if msg.err != nil && errors.As(msg.err, &copyErr) {
		m.setError(msg.err)
	}
	if u := m.later.ending; u != nil && u.account == msg.account {
		// The message whose undo delay ended: sent by this flush or by
		// another posta, or still in the outbox, and why.
		m.later.ending = nil
		to := sanitize.Line(strings.Join(u.to, ", "))
		_, it, err := m.set.OutboxItem(u.id)
		switch {
		case err != nil && msg.err == nil:
			m.setInfo(fmt.Sprintf("Sent from %s to %s", sanitize.Line(u.account), to))
		case err != nil:
		case it.Held:
			m.setError(fmt.Errorf("the message to %s was taken back by another posta (pid %d): not sent", to, it.SendingPID))
		case msg.err == nil:
			m.setInfo(fmt.Sprintf("The message to %s is still in the outbox (L)", to))
		}
	}
	m.refresh()
	return m, m.armOutbox()
}

// armOutbox (re)starts the outbox timer: it wakes when the next message
// is due, or after outboxPoll at the latest. A timer armed before is
// dropped when it fires.
func (m *Model) armOutbox() tea.Cmd {
	m.later.gen++
	return m.outboxTimer()
}

// outboxTimer is the outbox timer of the current generation; Init starts
// the first one (it cannot change the model).
func (m Model) outboxTimer() tea.Cmd {
	gen, now := m.later.gen, m.opts.Now()
	wait := outboxPoll
	for _, it := range m.later.items {
		if it.Held || it.Permanent || it.SendAt.IsZero() {
			continue
		}
		if d := it.SendAt.Sub(now); d < wait {
			wait = d
		}
	}
	wait = max(wait, 200*time.Millisecond)
	return tea.Tick(wait, func(time.Time) tea.Msg { return outboxTickMsg{gen: gen} })
}

// handleOutboxTick sends the due outbox of every account that has some.
// A message in its undo delay is left to the countdown.
func (m Model) handleOutboxTick(msg outboxTickMsg) (Model, tea.Cmd) {
	if msg.gen != m.later.gen {
		return m, nil
	}
	m.reloadOutbox()
	now := m.opts.Now()
	var cmds []tea.Cmd
	due := map[string]bool{}
	for _, it := range m.later.items {
		if it.SendAt.IsZero() || it.Permanent || !it.Due(now) || due[it.Account] {
			continue
		}
		if u := m.later.undo; u != nil && u.id == it.ID {
			continue
		}
		due[it.Account] = true
		if a, err := m.set.Get(it.Account); err == nil {
			cmds = append(cmds, m.flushOutbox(a))
		}
	}
	return m, tea.Batch(append(cmds, m.armOutbox())...)
}

// undoSendKey takes the message of the running undo delay back.
func (m Model) undoSendKey() (tea.Model, tea.Cmd) {
	u := m.later.undo
	m.later.undo = nil
	a, err := m.set.Get(u.account)
	if err != nil {
		m.setError(err)
		return m, nil
	}
	m.setInfo("Taking it back…")
	return m, takeBackCmd(a, u.id, &u.draft)
}

// takeBackCmd holds outbox item id (nobody sends it any more) and
// returns its draft: d when the composer's own is known (undo send),
// else read back from the message.
func takeBackCmd(a *accounts.Account, id int64, d *message.Draft) tea.Cmd {
	var draft message.Draft
	if d != nil {
		draft = *d
	}
	known := d != nil
	return func() tea.Msg {
		if known {
			_, _, err := a.TakeBack(id)
			return takenBackMsg{account: a.Name(), id: id, draft: draft, err: err}
		}
		_, got, err := a.TakeBackDraft(id, noPinentry())
		return takenBackMsg{account: a.Name(), id: id, draft: got, err: err}
	}
}

// handleTakenBack reopens a message taken back in the composer: its
// draft file is written first, and only then does it leave the outbox,
// so it is never in neither place.
func (m Model) handleTakenBack(msg takenBackMsg) (Model, tea.Cmd) {
	if msg.err != nil {
		var late *accounts.TooLateError
		if errors.As(msg.err, &late) && late.Sent {
			m.setError(errors.New("too late to take it back: it was sent"))
		} else {
			m.setError(msg.err)
		}
		m.refresh()
		return m, m.armOutbox()
	}
	a, err := m.set.Get(msg.account)
	if err != nil {
		m.setError(err)
		return m, nil
	}
	path, err := writeDraftFile(msg.draft, m.opts.DraftDir)
	if err != nil {
		m.setError(fmt.Errorf("taking it back: %w (it stays in the outbox, held: L shows it)", err))
		return m, nil
	}
	m.compose = compose{account: msg.account, orig: msg.draft}
	m.mode = modeIndex
	m.setInfo("Taken back: not sent")
	id := msg.id
	drop := func() tea.Msg {
		if err := a.DropTaken(id); err != nil {
			return actionDoneMsg{err: err}
		}
		return actionDoneMsg{done: "Taken back: not sent"}
	}
	return m, tea.Batch(drop, reopenEditorCmd(m.opts.Editor, path))
}

// writeDraftFile writes d for the editor into a private file in dir ("":
// the temporary folder), as editorCmd does.
func writeDraftFile(d message.Draft, dir string) (string, error) {
	f, err := os.CreateTemp(dir, "posta-draft-*.eml")
	if err != nil {
		return "", err
	}
	_, err = f.WriteString(d.EditorText())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(f.Name())
		return "", err
	}
	return f.Name(), nil
}

// sendLaterKey asks when to send the message under review.
func (m Model) sendLaterKey() (tea.Model, tea.Cmd) {
	if m.compose.err != nil {
		return m, nil
	}
	m.prompt = newPrompt(promptSendAt, "Send at (in 2h, tomorrow 8:00, mon 9:00, 2026-12-24 09:00): ", "")
	return m, nil
}

// submitSendAt schedules the message under review for the time typed.
func (m Model) submitSendAt(value string) (tea.Model, tea.Cmd) {
	if value == "" || m.mode != modeCompose || m.compose.sending {
		return m, nil
	}
	at, err := when.Parse(value, m.opts.Now())
	if err != nil {
		m.setError(err)
		return m, nil
	}
	a, err := m.set.Get(m.compose.account)
	if err != nil {
		m.setError(err)
		return m, nil
	}
	m.compose.sending = true
	m.setInfo("Scheduling…")
	return m, scheduleCmd(a, m.compose.sendDraft(), at, false)
}
