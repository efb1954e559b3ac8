package ui

import (
	"fmt"
	"strings"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// index is the message list of one folder. It is virtualised: it holds
// only the rows on screen, read from the cache page by page, so a folder
// of 100,000 messages opens as fast as one of 100.
type index struct {
	total  int                // messages in the folder
	cursor int                // selected position, 0 = newest
	top    int                // position of the first visible row
	rows   []accounts.Message // the visible rows: positions top..top+len-1
	height int
	err    error
	// marked, when set, says which rows show as marked (marks.go).
	marked func(id int64, pos int) bool
}

// load reads the visible page from the cache. It touches only the local
// index, never the network.
func (x *index) load(src listing) {
	x.err = nil
	n, err := src.count()
	if err != nil {
		x.err = err
		return
	}
	x.total = n
	x.scroll(src)
}

// reload is load for a listing that changed under the user (a sync
// stored messages): the selected message stays selected, wherever its
// row moved, and the rows above it on screen stay as they were when
// they can. When the message is gone, the cursor keeps its position.
func (x *index) reload(src listing) {
	sel, ok := x.selected()
	cursor, top, total := x.cursor, x.top, x.total
	x.load(src)
	if !ok || x.err != nil {
		return
	}
	if got, ok := x.selected(); ok && got.ID == sel.ID {
		return
	}
	// Messages came or went above the selected one: look where the
	// change in the count would put it, then on the rows read.
	if d := x.total - total; d != 0 {
		x.cursor, x.top = cursor+d, top+d
		x.scroll(src)
		if got, ok := x.selected(); ok && got.ID == sel.ID {
			return
		}
	}
	for i, r := range x.rows {
		if r.ID == sel.ID {
			x.cursor = x.top + i
			return
		}
	}
	x.cursor, x.top = cursor, top
	x.scroll(src)
}

// scroll reads the visible page for the cursor's position without
// counting the folder again: moving through 100,000 messages costs a page
// read per key, not a COUNT over the folder.
func (x *index) scroll(src listing) {
	x.clamp()
	rows, err := src.page(max(x.height, 1), x.top)
	if err != nil {
		x.err = err
		return
	}
	x.rows = rows
}

// clamp keeps the cursor in range and on screen.
func (x *index) clamp() {
	if x.cursor >= x.total {
		x.cursor = x.total - 1
	}
	if x.cursor < 0 {
		x.cursor = 0
	}
	h := max(x.height, 1)
	if x.cursor < x.top {
		x.top = x.cursor
	}
	if x.cursor >= x.top+h {
		x.top = x.cursor - h + 1
	}
	if x.top > max(x.total-h, 0) {
		x.top = max(x.total-h, 0)
	}
}

// selected returns the message under the cursor.
func (x *index) selected() (accounts.Message, bool) {
	i := x.cursor - x.top
	if i < 0 || i >= len(x.rows) {
		return accounts.Message{}, false
	}
	return x.rows[i], true
}

// view draws the visible rows; showAccount adds each row's account, for
// listings that mix accounts.
func (x *index) view(t Theme, width int, now time.Time, showAccount, threaded bool) string {
	if x.err != nil {
		return t.Index.Empty.Render(sanitize.Line(x.err.Error()))
	}
	if x.total == 0 {
		return t.Index.Empty.Render("No messages in this folder.")
	}
	lines := make([]string, 0, len(x.rows))
	for i, m := range x.rows {
		if !threaded {
			m.Depth = 0 // depth means something only in thread order
		}
		// The cursor is marked in the text too, so it shows where styles
		// do not (NO_COLOR, monochrome terminals).
		mark := " "
		if x.top+i == x.cursor {
			mark = "▸"
		}
		if x.marked != nil && x.marked(m.ID, x.top+i) {
			mark = "*"
		}
		row := mark + formatRow(m, width-1, now)
		if showAccount {
			cut := len(mark) + 5 // after the mark, the four flags and their space
			row = row[:cut] + pad(ansi.Truncate(sanitize.Line(m.Account), 8, "…"), 9) + row[cut:]
		}
		line := ansi.Truncate(row, width, "…")
		if pad := width - ansi.StringWidth(line); pad > 0 {
			line += strings.Repeat(" ", pad)
		}
		style := t.Index.Row
		switch {
		case x.top+i == x.cursor:
			style = t.Index.Cursor
		case m.Flags.Has(mail.FlagFlagged):
			style = t.Index.Flagged
		case !m.Flags.Has(mail.FlagSeen):
			style = t.Index.Unread
		}
		lines = append(lines, style.Render(line))
	}
	return strings.Join(lines, "\n")
}

// formatRow lays out one index line: flags, date, sender, subject. Every
// field from the message is sanitized.
func formatRow(m accounts.Message, width int, now time.Time) string {
	flags := []byte("    ")
	if !m.Flags.Has(mail.FlagSeen) {
		flags[0] = 'N'
	}
	if m.Flags.Has(mail.FlagFlagged) {
		flags[1] = '!'
	} else if m.Flags.Has(mail.FlagAnswered) {
		flags[1] = 'r'
	}
	if m.HasAttachment {
		flags[2] = '@'
	}
	flags[3] = securityMark(m.Security)
	from := "(nobody)"
	if len(m.From) > 0 {
		from = senderName(m.From[0])
	}
	fromW := min(20, max(width/4, 8))
	from = ansi.Truncate(sanitize.Line(from), fromW, "…")
	from += strings.Repeat(" ", max(fromW-ansi.StringWidth(from), 0))
	subject := sanitize.Line(m.Subject)
	if subject == "" {
		subject = "(no subject)"
	}
	if m.Depth > 0 {
		// Thread order: replies indented under what they answer.
		subject = strings.Repeat("  ", min(m.Depth, 8)-1) + "└─" + subject
	}
	return fmt.Sprintf("%s %-10s %s  %s", flags, shortDate(m.Date, now), from, subject)
}

// shortDate shows the time for today's mail, the day for this year's,
// the full date otherwise.
func shortDate(d, now time.Time) string {
	if d.IsZero() {
		return "?"
	}
	d = d.Local()
	switch {
	case d.Year() == now.Year() && d.YearDay() == now.YearDay():
		return d.Format("15:04")
	case d.Year() == now.Year():
		return d.Format("Jan 02")
	default:
		return d.Format("2006-01-02")
	}
}
