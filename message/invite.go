package message

import (
	"bytes"
	"fmt"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
)

// CalendarReply is an iMIP answer to an invitation (RFC 6047 2.4): a
// multipart/alternative of a text/plain part for people and the
// text/calendar part (method=REPLY) for their calendar.
type CalendarReply struct {
	From       string // "Name <addr>" or "addr"
	To         string // the organizer
	Subject    string
	Text       string // the plain text alternative
	Calendar   []byte // the METHOD:REPLY object
	InReplyTo  string // the invitation's Message-ID, without angle brackets
	References []string
}

// Build returns the reply as RFC 5322 bytes with CRLF line endings.
func (c CalendarReply) Build(now time.Time) ([]byte, error) {
	from, err := parseAddrs("From", []string{c.From})
	if err != nil || len(from) != 1 {
		return nil, fmt.Errorf("message: calendar reply: need one From address")
	}
	to, err := parseAddrs("To", []string{c.To})
	if err != nil || len(to) == 0 {
		return nil, fmt.Errorf("message: calendar reply: need the organizer's address")
	}
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", from)
	h.SetAddressList("To", to)
	h.SetSubject(oneLine(c.Subject))
	id, err := newMessageID(from[0].Address)
	if err != nil {
		return nil, err
	}
	h.SetMessageID(id)
	if c.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{cleanID(c.InReplyTo)})
	}
	if refs := cleanIDs(append(append([]string(nil), c.References...), c.InReplyTo)); len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	h.Set("MIME-Version", "1.0")
	h.SetContentType("multipart/alternative", nil)
	var buf bytes.Buffer
	mw, err := gomessage.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("message: calendar reply: %w", err)
	}
	var th gomessage.Header
	setTextPart(&th, c.Text)
	if err := writePart(mw, th, []byte(crlfText(c.Text))); err != nil {
		return nil, err
	}
	var ch gomessage.Header
	ch.SetContentType("text/calendar", map[string]string{"charset": "utf-8", "method": "REPLY"})
	if needsQP(string(c.Calendar)) {
		ch.Set("Content-Transfer-Encoding", "quoted-printable")
	} else {
		ch.Set("Content-Transfer-Encoding", "7bit")
	}
	if err := writePart(mw, ch, []byte(crlfText(string(c.Calendar)))); err != nil {
		return nil, err
	}
	if err := mw.Close(); err != nil {
		return nil, fmt.Errorf("message: calendar reply: %w", err)
	}
	return buf.Bytes(), nil
}

func writePart(mw *gomessage.Writer, h gomessage.Header, content []byte) error {
	pw, err := mw.CreatePart(h)
	if err != nil {
		return fmt.Errorf("message: calendar reply: %w", err)
	}
	if _, err := pw.Write(content); err != nil {
		return fmt.Errorf("message: calendar reply: %w", err)
	}
	if err := pw.Close(); err != nil {
		return fmt.Errorf("message: calendar reply: %w", err)
	}
	return nil
}
