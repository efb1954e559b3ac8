package ui

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// Marking many messages and acting on them at once.
//
// x or space marks the message under the cursor, v starts a range that
// follows the cursor (v again ends it), * marks everything in view (a
// folder or a search result; again: unmarks), T marks the messages in
// view that a search query finds. While messages are marked, d, a, M, N and F act on all of
// them as one bulk action per account (accounts.FlagMany and the rest:
// one queued entry and one server command per folder), and u undoes the
// last bulk action.

type (
	// bulkProgressMsg reports how far a running bulk action is.
	bulkProgressMsg struct {
		label       string
		done, total int
	}
	// bulkDoneMsg reports the end of a bulk action or of its undo.
	bulkDoneMsg struct {
		label string
		count int
		undo  []accounts.BulkUndo // nil after an undo
		err   error
	}
)

// marks is the set of marked messages and the state of v and u.
type marks struct {
	ids    map[int64]string // marked message → its account
	view   string           // the view (viewKey) the marks were made in
	visual bool             // a v range is open
	anchor int              // where the v range started
	busy   bool             // a bulk action or an undo is running
	// last is what undoes the last bulk action; lastLabel names it.
	last      []accounts.BulkUndo
	lastLabel string
}

// count is how many messages are marked, the open range included.
func (k marks) count(cursor int) int {
	n := len(k.ids)
	if k.visual {
		n += abs(cursor-k.anchor) + 1
	}
	return n
}

// in reports whether the row at position pos holding message id shows as
// marked.
func (k marks) in(id int64, pos, cursor int) bool {
	if _, ok := k.ids[id]; ok {
		return true
	}
	return k.visual && pos >= min(k.anchor, cursor) && pos <= max(k.anchor, cursor)
}

func (k *marks) add(ms ...accounts.Message) {
	if k.ids == nil {
		k.ids = map[int64]string{}
	}
	for _, m := range ms {
		k.ids[m.ID] = m.Account
	}
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// marksKey handles the marking keys, and the action keys while messages
// are marked. ok is false for any other key.
func (m Model) marksKey(msg tea.KeyMsg) (tea.Model, tea.Cmd, bool) {
	is := func(action string) bool { return m.keys.is(msg, keymap.Index, action) }
	if view := m.viewKey(); m.marks.view != view {
		// Marks belong to the view they were made in: never act on
		// messages the user cannot see.
		m.marks.ids, m.marks.visual, m.marks.view = nil, false, view
	}
	switch {
	case m.marks.visual && msg.String() == "esc":
		m.marks.visual = false
		m.setInfo("Range cancelled")
		return m, nil, true
	case is("mark"):
		if sel, ok := m.index.selected(); ok {
			if _, on := m.marks.ids[sel.ID]; on {
				delete(m.marks.ids, sel.ID)
			} else {
				m.marks.add(sel)
			}
			m.moveCursor(1)
		}
		return m, nil, true
	case is("mark_range"):
		if m.marks.visual {
			m.closeRange()
		} else if m.index.total > 0 {
			m.marks.visual, m.marks.anchor = true, m.index.cursor
			m.setInfo("Range: move to its other end, then v (esc: cancel)")
		}
		return m, nil, true
	case is("mark_all"):
		m.markAll()
		return m, nil, true
	case is("mark_pattern"):
		m.prompt = newPrompt(promptMarkPattern, "Mark messages matching: ", "")
		return m, textinput.Blink, true
	case is("undo"):
		return m.undoBulk()
	}
	if m.markCount() == 0 {
		return m, nil, false
	}
	switch {
	case is("delete"), is("archive"), is("toggle_read"), is("toggle_flag"), is("move"):
	default:
		return m, nil, false
	}
	if m.marks.busy {
		m.setInfo("A bulk action is still running")
		return m, nil, true
	}
	m.closeRange()
	msgs, err := m.markedMessages()
	if err != nil {
		m.setError(err)
		return m, nil, true
	}
	switch {
	case is("delete"):
		return m.startBulk(msgs, "Deleted", func(ctx context.Context, a *accounts.Account, ids []int64, p accounts.BulkProgress) (accounts.BulkUndo, error) {
			return a.DeleteMany(ctx, ids, p)
		})
	case is("archive"):
		return m.startBulk(msgs, "Archived", func(ctx context.Context, a *accounts.Account, ids []int64, p accounts.BulkProgress) (accounts.BulkUndo, error) {
			return a.ArchiveMany(ctx, ids, p)
		})
	case is("toggle_read"), is("toggle_flag"):
		flag, on, off := mail.FlagSeen, "Marked read", "Marked unread"
		if is("toggle_flag") {
			flag, on, off = mail.FlagFlagged, "Flagged", "Unflagged"
		}
		// Like toggling one: if any lacks the flag, all get it.
		add := false
		for _, msg := range msgs {
			add = add || !msg.Flags.Has(flag)
		}
		label := off
		if add {
			label = on
		}
		return m.startBulk(msgs, label, func(ctx context.Context, a *accounts.Account, ids []int64, p accounts.BulkProgress) (accounts.BulkUndo, error) {
			return a.FlagMany(ctx, ids, flag, add, p)
		})
	default: // move
		// Completion offers the folders of the marked messages' account
		// (the account in view when they come from several).
		a := m.account()
		if len(msgs) > 0 && !slices.ContainsFunc(msgs, func(x accounts.Message) bool { return x.Account != msgs[0].Account }) {
			if first, err := m.set.Get(msgs[0].Account); err == nil {
				a = first
			}
		}
		label := fmt.Sprintf("Move %d marked messages to folder: ", len(msgs))
		if len(msgs) == 1 {
			label = "Move the marked message to folder: "
		}
		m.prompt = folderPrompt(promptMoveMarked, label, a)
		return m, textinput.Blink, true
	}
}

// viewKey names what the index shows: a folder, a search or the inboxes.
func (m Model) viewKey() string {
	switch {
	case m.search != nil:
		return "search\x00" + m.search.query
	case m.unified:
		return "unified"
	}
	return m.account().Name() + "\x00" + m.folderName()
}

// markCount is how many messages are marked in the view on screen.
func (m Model) markCount() int {
	if m.marks.view != m.viewKey() {
		return 0
	}
	n := m.marks.count(m.index.cursor)
	if m.marks.visual {
		// Do not count twice the marked rows inside the open range (those
		// on screen: the range may reach further).
		lo, hi := min(m.marks.anchor, m.index.cursor), max(m.marks.anchor, m.index.cursor)
		for i, r := range m.index.rows {
			if pos := m.index.top + i; pos >= lo && pos <= hi {
				if _, ok := m.marks.ids[r.ID]; ok {
					n--
				}
			}
		}
	}
	return n
}

// closeRange turns an open v range into marks.
func (m *Model) closeRange() {
	if !m.marks.visual {
		return
	}
	m.marks.visual = false
	lo, hi := min(m.marks.anchor, m.index.cursor), max(m.marks.anchor, m.index.cursor)
	rows, err := m.listing().page(hi-lo+1, lo)
	if err != nil {
		m.setError(err)
		return
	}
	m.marks.add(rows...)
	m.setInfo(fmt.Sprintf("%d marked", len(m.marks.ids)))
}

// markAll marks every message in view, or unmarks them when they all are.
func (m *Model) markAll() {
	m.marks.visual = false
	src := m.listing()
	n, err := src.count()
	if err != nil {
		m.setError(err)
		return
	}
	rows, err := src.page(n, 0)
	if err != nil {
		m.setError(err)
		return
	}
	all := len(rows) > 0
	for _, r := range rows {
		if _, ok := m.marks.ids[r.ID]; !ok {
			all = false
			break
		}
	}
	if all {
		for _, r := range rows {
			delete(m.marks.ids, r.ID)
		}
		m.setInfo(fmt.Sprintf("Unmarked %d", len(rows)))
		return
	}
	m.marks.add(rows...)
	m.setInfo(fmt.Sprintf("%d marked", len(m.marks.ids)))
}

// markPattern marks the messages in view that a search query finds in
// the local index.
func (m Model) markPattern(query string) (tea.Model, tea.Cmd) {
	if query == "" {
		return m, nil
	}
	ids, err := m.set.SearchIDs(query, 0)
	if err != nil {
		m.setError(err)
		return m, nil
	}
	found, err := m.set.MessagesByID(ids)
	if err != nil {
		m.setError(err)
		return m, nil
	}
	// Only what is in view: the folder, the search result or the inboxes.
	var msgs []accounts.Message
	inView := m.inView()
	for _, msg := range found {
		if inView(msg) {
			msgs = append(msgs, msg)
		}
	}
	m.marks.add(msgs...)
	m.setInfo(fmt.Sprintf("%d here match %s · %d marked", len(msgs), sanitize.Line(query), len(m.marks.ids)))
	return m, nil
}

// inView returns a test of whether a message belongs to what the index
// shows.
func (m Model) inView() func(accounts.Message) bool {
	switch {
	case m.search != nil:
		ids := make(map[int64]bool, len(m.search.ids))
		for _, id := range m.search.ids {
			ids[id] = true
		}
		return func(msg accounts.Message) bool { return ids[msg.ID] }
	case m.unified:
		return func(msg accounts.Message) bool { return msg.Folder == "INBOX" }
	}
	account, folder := m.account().Name(), m.folderName()
	return func(msg accounts.Message) bool { return msg.Account == account && msg.Folder == folder }
}

// markedMessages reads the marked messages from the cache, oldest mark
// order not kept: by id.
func (m Model) markedMessages() ([]accounts.Message, error) {
	ids := make([]int64, 0, len(m.marks.ids))
	for id := range m.marks.ids {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return m.set.MessagesByID(ids)
}

// bulkFunc is one bulk action on an account's messages.
type bulkFunc func(ctx context.Context, a *accounts.Account, ids []int64, p accounts.BulkProgress) (accounts.BulkUndo, error)

// startBulk runs do over the marked messages, account by account.
func (m Model) startBulk(msgs []accounts.Message, label string, do bulkFunc) (tea.Model, tea.Cmd, bool) {
	groups := map[string][]int64{}
	var names []string
	for _, msg := range msgs {
		if _, ok := groups[msg.Account]; !ok {
			names = append(names, msg.Account)
		}
		groups[msg.Account] = append(groups[msg.Account], msg.ID)
	}
	var accts []*accounts.Account
	for _, name := range names {
		a, err := m.set.Get(name)
		if err != nil {
			m.setError(err)
			return m, nil, true
		}
		accts = append(accts, a)
	}
	m.marks.busy = true
	m.marks.ids = nil
	m.setInfo(fmt.Sprintf("%s 0/%d…", label, len(msgs)))
	return m, bulkCmd(m.ctx, accts, groups, label, len(msgs), do, m.events), true
}

// bulkCmd runs a bulk action; progress goes through events without
// blocking, the end comes back as a bulkDoneMsg.
func bulkCmd(ctx context.Context, accts []*accounts.Account, groups map[string][]int64, label string, total int, do bulkFunc, events chan<- tea.Msg) tea.Cmd {
	return func() tea.Msg {
		var undos []accounts.BulkUndo
		var errs []error
		before, count := 0, 0
		for _, a := range accts {
			ids := groups[a.Name()]
			u, err := do(ctx, a, ids, func(done, _ int) {
				select {
				case events <- bulkProgressMsg{label: label, done: before + done, total: total}:
				default:
				}
			})
			before += len(ids)
			count += u.Count
			undos = append(undos, u)
			if err != nil {
				errs = append(errs, err)
			}
		}
		return bulkDoneMsg{label: label, count: count, undo: undos, err: errors.Join(errs...)}
	}
}

// undoBulk undoes the last bulk action.
func (m Model) undoBulk() (tea.Model, tea.Cmd, bool) {
	switch {
	case m.marks.busy:
		m.setInfo("A bulk action is still running")
		return m, nil, true
	case m.marks.last == nil:
		m.setInfo("Nothing to undo")
		return m, nil, true
	}
	undos, label := m.marks.last, m.marks.lastLabel
	m.marks.last = nil
	m.marks.busy = true
	m.setInfo("Undoing: " + label + "…")
	set, ctx, events := m.set, m.ctx, m.events
	return m, func() tea.Msg {
		var errs []error
		count := 0
		for _, u := range undos {
			a, err := set.Get(u.Account)
			if err == nil {
				count += u.Count
				err = a.Undo(ctx, u, func(done, total int) {
					select {
					case events <- bulkProgressMsg{label: "Undoing", done: done, total: total}:
					default:
					}
				})
			}
			if err != nil {
				errs = append(errs, err)
			}
		}
		return bulkDoneMsg{label: "Undone: " + label, count: count, err: errors.Join(errs...)}
	}, true
}

// handleBulk shows a bulk action's progress and end.
func (m Model) handleBulk(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case bulkProgressMsg:
		if !m.marks.busy {
			return m, waitEvent(m.events) // late: the action has ended
		}
		m.setInfo(fmt.Sprintf("%s %d/%d…", msg.label, msg.done, msg.total))
		m.refresh()
		return m, waitEvent(m.events)
	case bulkDoneMsg:
		m.marks.busy = false
		verb, rest, _ := strings.Cut(msg.label, " ") // "Moved to X": "Moved 2 messages to X"
		if rest != "" {
			rest = " " + rest
		}
		text := verb + " " + messagesCount(msg.count) + rest
		if msg.undo != nil {
			m.marks.last, m.marks.lastLabel = msg.undo, strings.ToLower(verb)+text[len(verb):]
		}
		if msg.undo == nil {
			text = msg.label
		} else if msg.count > 0 {
			text += " · u undoes"
		}
		var pending *accounts.PendingError
		switch {
		case errors.As(msg.err, &pending) && !hasConflict(msg.err):
			m.setInfo(text + " here; the server is unreachable, so it is queued and replayed on the next sync")
		case msg.err != nil:
			m.setError(fmt.Errorf("%s: %w", text, msg.err))
		default:
			m.setInfo(text)
		}
		m.refresh()
	}
	return m, nil
}

func hasConflict(err error) bool {
	var c *accounts.ConflictError
	return errors.As(err, &c)
}

// moveMarked moves the marked messages to folder.
func (m Model) moveMarked(folder string) (tea.Model, tea.Cmd) {
	if folder == "" {
		return m, nil
	}
	msgs, err := m.markedMessages()
	if err != nil {
		m.setError(err)
		return m, nil
	}
	model, cmd, _ := m.startBulk(msgs, "Moved to "+sanitize.Line(folder), func(ctx context.Context, a *accounts.Account, ids []int64, p accounts.BulkProgress) (accounts.BulkUndo, error) {
		return a.MoveMany(ctx, ids, folder, p)
	})
	return model, cmd
}

// messagesCount is "1 message" or "N messages".
func messagesCount(n int) string {
	if n == 1 {
		return "1 message"
	}
	return fmt.Sprintf("%d messages", n)
}
