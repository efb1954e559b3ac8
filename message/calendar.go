package message

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/posta-mail/posta/sanitize"
)

// Limits of CalendarParts.
const (
	MaxCalendarBytes = 256 << 10 // decoded bytes of one calendar part
	maxCalendarParts = 4         // calendar parts returned
)

// CalendarPart is a text/calendar (or application/ics) part of a message:
// an invitation, a cancellation or an answer (iMIP, RFC 6047).
type CalendarPart struct {
	Index     int    // part number, as in Attachment.Index
	Method    string // the method parameter of its Content-Type, upper-cased and sanitized ("" when absent)
	Data      []byte // decoded content in UTF-8; nil when the part is larger than MaxCalendarBytes
	TooLarge  bool
	Truncated bool // more calendar parts than are returned
}

// isCalendar reports whether a media type is a calendar object.
func isCalendar(mediaType string) bool {
	return mediaType == "text/calendar" || mediaType == "application/ics"
}

// CalendarParts returns the calendar parts of the message read from raw,
// in order, at most four; a part whose content repeats an earlier one's
// (an invitation's text/calendar alternative and its invite.ics
// attachment) is left out. Protected parts are not opened.
func CalendarParts(raw []byte) (parts []CalendarPart, err error) {
	defer func() {
		if p := recover(); p != nil {
			parts, err = nil, fmt.Errorf("message: calendar parts: internal error: %s", sanitize.Line(fmt.Sprint(p)))
		}
	}()
	w := newWalker(0)
	root := w.parseMessage(bytes.NewReader(raw), 0)
	var found []*node
	more := false
	var walk func(n *node, depth int)
	walk = func(n *node, depth int) {
		if n == nil || depth > 2*maxDepth+2 {
			return
		}
		if n.isLeaf() && isCalendar(n.mediaType) {
			if len(found) == maxCalendarParts {
				more = true
				return
			}
			found = append(found, n)
		}
		for _, c := range n.children {
			walk(c, depth+1)
		}
		walk(n.inner, depth+1)
	}
	walk(root, 0)
	for _, n := range found {
		p := CalendarPart{Index: n.number, Method: strings.ToUpper(sanitize.Line(n.params["method"]))}
		data, tooLarge, err := calendarData(raw, n.number)
		if err != nil {
			return nil, err
		}
		if tooLarge {
			p.TooLarge = true
		} else {
			p.Data = []byte(decodeCharset(data, n.params["charset"], func(string) {}))
		}
		dup := false
		for _, q := range parts {
			if q.Data != nil && bytes.Equal(bytes.TrimSpace(q.Data), bytes.TrimSpace(p.Data)) {
				dup = true
			}
		}
		if !dup {
			parts = append(parts, p)
		}
	}
	if more && len(parts) > 0 {
		parts[len(parts)-1].Truncated = true
	}
	return parts, nil
}

// calendarData reads the decoded content of leaf index, up to the limit.
func calendarData(raw []byte, index int) (data []byte, tooLarge bool, err error) {
	w := newWalker(0)
	w.saveIndex = index
	w.save = func(n *node, r io.Reader) error {
		b, err := io.ReadAll(io.LimitReader(r, MaxCalendarBytes+1))
		if err != nil {
			return err
		}
		if len(b) > MaxCalendarBytes {
			tooLarge = true
			return nil
		}
		data = b
		return nil
	}
	w.parseMessage(bytes.NewReader(raw), 0)
	return data, tooLarge, w.saveErr
}

// MentionsCalendar is a quick test before CalendarParts: whether raw
// holds "text/calendar" or "application/ics" in any case, as every
// message with a calendar part does in a Content-Type.
func MentionsCalendar(raw []byte) bool {
	return MentionsFold(raw, "text/calendar", "application/ics")
}

// asciiLower maps each byte to its ASCII lower case.
var asciiLower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] += 'a' - 'A'
		}
	}
	return t
}()

// MentionsFold reports whether raw holds one of markers (given in lower
// case) in any ASCII case. It lower-cases raw a chunk at a time into a
// buffer of its own (chunks overlap by the longest marker) and looks for
// the markers there: neither a lower-case copy of a big message (one
// copy too many for the reader's memory bound) nor a look at every "/"
// (slow on base64 attachments, whose alphabet has it).
func MentionsFold(raw []byte, markers ...string) bool {
	keep := 0 // a match may straddle two chunks
	for _, m := range markers {
		keep = max(keep, len(m)-1)
	}
	var buf [16 << 10]byte
	for len(raw) > 0 {
		n := min(len(raw), len(buf))
		low := buf[:n]
		for i, c := range raw[:n] {
			low[i] = asciiLower[c]
		}
		for _, m := range markers {
			if bytes.Contains(low, []byte(m)) {
				return true
			}
		}
		if n == len(raw) {
			break
		}
		raw = raw[n-keep:]
	}
	return false
}
