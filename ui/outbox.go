package ui

import (
	"fmt"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/sanitize"
)

// The outbox screen (L in the index) lists every message waiting to be
// sent, scheduled ones with their time: E or Enter takes one back into
// the composer, d cancels it, $ sends it with the next flush, q goes
// back. It moves with the index's keys.

// outboxScreen is the outbox screen's cursor.
type outboxScreen struct {
	cursor int
}

// outboxActionMsg reports a cancel or a "send now" from the outbox screen.
type outboxActionMsg struct {
	done string
	err  error
}

// reloadLater re-reads the outbox for the sidebar and the outbox screen.
func (m *Model) reloadLater(items []accounts.OutboxItem) {
	m.later.items = items
	subjects := map[int64]string{}
	for _, it := range items {
		if s, ok := m.later.subjects[it.ID]; ok {
			subjects[it.ID] = s
		} else {
			subjects[it.ID] = m.set.OutboxSubject(it.ID)
		}
	}
	m.later.subjects = subjects
	m.later.screen.cursor = min(m.later.screen.cursor, max(len(items)-1, 0))
}

// openOutbox shows the outbox screen.
func (m Model) openOutbox() (tea.Model, tea.Cmd) {
	m.reloadOutbox()
	m.mode = modeOutbox
	return m, nil
}

func (m Model) outboxKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	is := func(action string) bool { return m.keys.is(msg, keymap.Index, action) }
	n := len(m.later.items)
	c := &m.later.screen.cursor
	switch {
	case is("quit"), is("outbox"), m.keys.is(msg, keymap.Pager, "back"):
		m.mode = modeIndex
		m.refresh()
		return m, nil
	case is("down"):
		*c = min(*c+1, max(n-1, 0))
	case is("up"):
		*c = max(*c-1, 0)
	case is("top"):
		*c = 0
	case is("bottom"):
		*c = max(n-1, 0)
	case is("help"):
		m.openHelp()
	case n == 0:
	case is("resume"), is("open"):
		it := m.later.items[*c]
		a, err := m.set.Get(it.Account)
		if err != nil {
			m.setError(err)
			return m, nil
		}
		if u := m.later.undo; u != nil && u.id == it.ID {
			return m.undoSendKey()
		}
		m.mode = modeIndex
		m.setInfo("Taking it back…")
		return m, takeBackCmd(a, it.ID, nil)
	case is("delete"):
		it := m.later.items[*c]
		a, err := m.set.Get(it.Account)
		if err != nil {
			m.setError(err)
			return m, nil
		}
		if u := m.later.undo; u != nil && u.id == it.ID {
			m.later.undo = nil
		}
		subject := sanitize.Line(m.later.subjects[it.ID])
		return m, func() tea.Msg {
			return outboxActionMsg{done: "Cancelled: " + subject, err: a.CancelOutbox(it.ID)}
		}
	case is("sync"):
		it := m.later.items[*c]
		a, err := m.set.Get(it.Account)
		if err != nil {
			m.setError(err)
			return m, nil
		}
		return m, func() tea.Msg {
			if err := a.Reschedule(it.ID, time.Time{}); err != nil {
				return outboxActionMsg{err: err}
			}
			return outboxFlushedMsgOf(m.ctx, a)
		}
	}
	return m, nil
}

// outboxFlushedMsgOf sends a's due outbox now (a message just made due).
func outboxFlushedMsgOf(ctx ctxT, a *accounts.Account) tea.Msg {
	n, err := a.FlushOutbox(ctx)
	return outboxFlushedMsg{account: a.Name(), sent: n, err: err}
}

func (m Model) handleOutboxAction(msg outboxActionMsg) (Model, tea.Cmd) {
	if msg.err != nil {
		m.setError(msg.err)
	} else {
		m.setInfo(msg.done)
	}
	m.refresh()
	return m, m.armOutbox()
}

// outboxDetailLines is the most lines the error of the selected outbox
// item takes below the list.
const outboxDetailLines = 4

// outboxWhen writes a send time short: "in 8s", "15:04" today, "Mon
// 15:04" within a week, else the date.
func outboxWhen(t, now time.Time) string {
	t = t.In(now.Location())
	switch d := t.Sub(now); {
	case d < time.Minute:
		return fmt.Sprintf("in %ds", max(int(d.Round(time.Second)/time.Second), 0))
	case t.YearDay() == now.YearDay() && t.Year() == now.Year():
		return t.Format("15:04")
	case d < 6*24*time.Hour:
		return t.Format("Mon 15:04")
	}
	return t.Format("Jan 02 15:04")
}

// outboxState names what happens to an item next.
func outboxState(it accounts.OutboxItem, now time.Time) string {
	switch {
	case it.Held:
		return "held"
	case it.SendAt.After(now):
		return "scheduled"
	case it.Permanent:
		return "refused"
	case it.Attempts > 0:
		return "retrying"
	}
	return "waiting"
}

func (m Model) outboxView(width, height int) string {
	t, now := m.theme, m.opts.Now()
	var b strings.Builder
	b.WriteString(t.Title.Render(pad(fmt.Sprintf(" Outbox · %d waiting to be sent", len(m.later.items)), max(width, 1))) + "\n")
	// The whole error of the item under the cursor, wrapped below the
	// list: a row has room for its start only ("work: smtp host:port:
	// smtp: recipient …"), and the server's reason comes last.
	var detail []string
	if c := m.later.screen.cursor; c < len(m.later.items) && m.later.items[c].LastError != "" {
		text := ansi.Wrap(sanitize.Line(m.later.items[c].LastError), max(width-2, 10), " ")
		detail = strings.Split(text, "\n")
		if len(detail) > outboxDetailLines {
			detail = append(detail[:outboxDetailLines-1], "…")
		}
	}
	rows := max(height-3-len(detail)-min(len(detail), 1), 1)
	top := max(m.later.screen.cursor-rows+1, 0)
	for i := top; i < len(m.later.items) && i < top+rows; i++ {
		it := m.later.items[i]
		state := outboxState(it, now)
		when := "now"
		switch {
		case state == "refused" || state == "held":
			when = "—" // not sent until the user acts
		case !it.SendAt.IsZero():
			when = outboxWhen(it.SendAt, now)
		}
		line := fmt.Sprintf(" %-12s %-9s %-10s %-24s %s", when, state, truncate(sanitize.Line(it.Account), 10),
			truncate(sanitize.Line(strings.Join(it.To, ", ")), 24), sanitize.Line(m.later.subjects[it.ID]))
		if it.LastError != "" {
			line += " · " + sanitize.Line(it.LastError)
		}
		line = pad(truncate(line, max(width, 1)), max(width, 1))
		if i == m.later.screen.cursor {
			line = t.Index.Cursor.Render(line)
		}
		b.WriteString(line + "\n")
	}
	if len(m.later.items) == 0 {
		b.WriteString(" The outbox is empty.\n")
	}
	for i := len(m.later.items); i < rows; i++ {
		b.WriteString("\n")
	}
	if len(detail) > 0 {
		b.WriteString("\n")
		for _, l := range detail {
			b.WriteString(" " + truncate(l, max(width-1, 1)) + "\n")
		}
	}
	k := func(action string) string { return m.keys.binding(keymap.Index, action).Help().Key }
	b.WriteString(truncate(fmt.Sprintf(" %s edit (back into the composer) · %s cancel · %s send now · %s back",
		k("resume"), k("delete"), k("sync"), k("quit")), max(width, 1)))
	return b.String()
}
