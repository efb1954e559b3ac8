package ui

import (
	"fmt"
	"testing"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
)

// growingListing is a folder as a sync fills it: rows newest first, ids
// fixed, more rows coming above (new mail) or below (older batches).
type growingListing struct{ rows []accounts.Message }

func (l *growingListing) count() (int, error) { return len(l.rows), nil }
func (l *growingListing) title() string       { return "test" }
func (l *growingListing) page(limit, offset int) ([]accounts.Message, error) {
	if offset >= len(l.rows) {
		return nil, nil
	}
	return append([]accounts.Message(nil), l.rows[offset:min(offset+limit, len(l.rows))]...), nil
}

func msgs(from, to int64) []accounts.Message {
	var out []accounts.Message
	for id := from; id < to; id++ {
		out = append(out, accounts.Message{ID: id, Header: mail.Header{Subject: fmt.Sprint("message ", id)}})
	}
	return out
}

// TestReloadKeepsTheSelectedMessage streams batches into the listing the
// index shows: older batches below the cursor, new mail above it, and a
// message that vanished. The selected message stays selected throughout.
func TestReloadKeepsTheSelectedMessage(t *testing.T) {
	l := &growingListing{rows: msgs(1000, 1100)} // the first batch
	x := index{height: 20}
	x.load(l)
	x.cursor = 15
	x.scroll(l)
	want, _ := x.selected()

	check := func(step string) {
		t.Helper()
		got, ok := x.selected()
		if !ok || got.ID != want.ID {
			t.Fatalf("%s: selected %v (cursor %d, top %d), want message %d", step, got.ID, x.cursor, x.top, want.ID)
		}
		if x.cursor < x.top || x.cursor >= x.top+x.height {
			t.Fatalf("%s: cursor %d off screen (top %d)", step, x.cursor, x.top)
		}
	}
	l.rows = append(l.rows, msgs(1100, 1600)...) // an older batch below
	x.reload(l)
	check("older batch below")
	top := x.top
	if x.total != 600 || top != 0 {
		t.Errorf("after a batch below: total %d, top %d; want 600 and the screen unmoved", x.total, top)
	}
	l.rows = append(msgs(1, 4), l.rows...) // new mail above
	x.reload(l)
	check("new mail above")
	l.rows = append(l.rows[:2], l.rows[3:]...) // one above the cursor vanished
	x.reload(l)
	check("a message above vanished")
	l.rows = append(msgs(4, 300), l.rows...) // a screenful and more above
	x.reload(l)
	check("many above")

	// The selected message itself is gone: the cursor keeps its place.
	cursor := x.cursor
	for i, r := range l.rows {
		if r.ID == want.ID {
			l.rows = append(l.rows[:i:i], l.rows[i+1:]...)
			break
		}
	}
	x.reload(l)
	if x.cursor != cursor {
		t.Errorf("selected message gone: cursor moved from %d to %d", cursor, x.cursor)
	}
}
