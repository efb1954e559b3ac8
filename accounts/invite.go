package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/calendar"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// Invitation is a calendar part of a message, read for the reader: the
// parsed object, or the reason it could not be read.
type Invitation struct {
	Part   int              // the part number, as attachments count
	Invite *calendar.Invite // nil when Err is set
	Err    string           // why the part cannot be shown (sanitized), or ""
	// Conflicts are, per event of Invite, the other invitations of the
	// account's cached mail it overlaps.
	Conflicts [][]calendar.Conflict
}

// calendarScan is how many not yet looked at messages one look for
// conflicts reads from the cache (never from the server).
const calendarScan = 300

// InvitationsIn reads the calendar parts of raw, the body of message id
// (already fetched): each is parsed, recorded for later conflict checks,
// and its events compared with the account's other invitations. A
// message without calendar parts gives none. It reads only the cache.
func (a *Account) InvitationsIn(id int64, raw []byte) ([]Invitation, error) {
	parts, err := message.CalendarParts(raw)
	if err != nil {
		return nil, err
	}
	if len(parts) == 0 {
		_ = a.cache.RecordCalendar(id, nil)
		return nil, nil
	}
	out := make([]Invitation, 0, len(parts))
	var events []cache.CalendarEvent
	for _, p := range parts {
		inv := Invitation{Part: p.Index}
		if p.TooLarge {
			inv.Err = fmt.Sprintf("calendar part %d is larger than %d KiB; not shown (export it to read it)", p.Index, message.MaxCalendarBytes>>10)
			out = append(out, inv)
			continue
		}
		parsed, err := calendar.Parse(p.Data)
		if err != nil {
			inv.Err = sanitize.Line(fmt.Sprintf("calendar part %d: %v", p.Index, err))
			out = append(out, inv)
			continue
		}
		if parsed.Method == "" {
			parsed.Method = p.Method
		}
		inv.Invite = parsed
		events = append(events, recordOf(a.Name(), id, len(events), parsed)...)
		out = append(out, inv)
	}
	_ = a.cache.RecordCalendar(id, events)
	a.scanCalendars()
	others, err := a.cache.CalendarEvents(a.Name(), id)
	if err != nil {
		return out, nil // the card shows without conflicts
	}
	for i := range out {
		if out[i].Invite == nil {
			continue
		}
		out[i].Conflicts = conflicts(out[i].Invite, others)
	}
	return out, nil
}

// recordOf turns an object's events into cache rows.
func recordOf(account string, id int64, n int, inv *calendar.Invite) []cache.CalendarEvent {
	var out []cache.CalendarEvent
	for _, e := range inv.Events {
		zone := ""
		if e.ZoneKnown && e.Start.Location() != time.UTC {
			zone = e.Start.Location().String()
		}
		out = append(out, cache.CalendarEvent{MessageID: id, N: n + len(out), Account: account, UID: e.UID,
			Method: inv.Method, Summary: e.Summary, Start: e.Start, End: e.End, Zone: zone, Rule: e.Rule})
	}
	return out
}

// scanCalendars records the calendar parts of up to calendarScan cached
// messages not yet looked at, newest first.
func (a *Account) scanCalendars() {
	ids, err := a.cache.CalendarUnscanned(a.Name(), calendarScan)
	if err != nil {
		return
	}
	for _, id := range ids {
		raw, err := a.cachedBody(id)
		if err != nil {
			continue
		}
		var events []cache.CalendarEvent
		if message.MentionsCalendar(raw) {
			parts, _ := message.CalendarParts(raw)
			for _, p := range parts {
				if inv, err := calendar.Parse(p.Data); err == nil && p.Data != nil {
					if inv.Method == "" {
						inv.Method = p.Method
					}
					events = append(events, recordOf(a.Name(), id, len(events), inv)...)
				}
			}
		}
		_ = a.cache.RecordCalendar(id, events)
	}
}

// cachedBody reads a message's body from the cache only.
func (a *Account) cachedBody(id int64) ([]byte, error) {
	rc, err := a.cache.OpenBody(id)
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	var b bytes.Buffer
	_, err = b.ReadFrom(rc)
	return b.Bytes(), err
}

// conflicts lists, per event of inv, the other invitations (REQUEST) it
// overlaps; an event with the same UID (an earlier or later version of
// the same meeting) and one cancelled since are not conflicts.
func conflicts(inv *calendar.Invite, others []cache.CalendarEvent) [][]calendar.Conflict {
	cancelled := map[string]bool{}
	for _, o := range others {
		if o.Method == "CANCEL" {
			cancelled[o.UID] = true
		}
	}
	out := make([][]calendar.Conflict, len(inv.Events))
	if inv.Method == "CANCEL" {
		return out
	}
	seen := map[string]bool{}
	for i, e := range inv.Events {
		for _, o := range others {
			if o.Method != "REQUEST" || o.UID == e.UID || cancelled[o.UID] || seen[o.UID] {
				continue
			}
			span := calendar.Span{Start: o.Start, End: o.End, Rule: o.Rule}
			if loc, err := time.LoadLocation(o.Zone); o.Zone != "" && err == nil {
				span.Start, span.End = span.Start.In(loc), span.End.In(loc)
			}
			if _, at, ok := calendar.Overlap(e.Span(), span); ok {
				seen[o.UID] = true
				out[i] = append(out[i], calendar.Conflict{Summary: o.Summary, Start: at})
			}
		}
	}
	return out
}

// Invitation answers are the calendar package's PARTSTAT values.
const (
	Accept    = calendar.Accepted
	Tentative = calendar.Tentative
	Decline   = calendar.Declined
)

// InviteReply is what RespondInvite sent.
type InviteReply struct {
	To      string // the organizer (sanitized)
	Summary string
	Answer  string
}

// RespondInvite answers the invitation of message id (its first calendar
// part with a REQUEST): an iMIP REPLY with the answer (Accept, Tentative
// or Decline) and the optional comment goes to the organizer through the
// account's outbox, as any sent mail (a *QueuedError means it waits
// there for the next sync).
func (a *Account) RespondInvite(ctx context.Context, id int64, answer, comment string) (InviteReply, error) {
	m, err := a.Message(id)
	if err != nil {
		return InviteReply{}, err
	}
	raw, err := a.Body(ctx, id)
	if err != nil {
		return InviteReply{}, err
	}
	inv, err := firstRequest(raw)
	if err != nil {
		return InviteReply{}, err
	}
	from, attendee, name := a.attendeeFor(inv, raw)
	ics, err := inv.Reply(0, attendee, name, answer, comment, time.Now())
	if err != nil {
		return InviteReply{}, err
	}
	e := inv.Events[0]
	verb := map[string]string{Accept: "Accepted", Tentative: "Tentatively accepted", Decline: "Declined"}[answer]
	who := name
	if who == "" {
		who = attendee
	}
	text := who + " " + strings.ToLower(verb[:1]) + verb[1:] + " the invitation"
	if e.Summary != "" {
		text += " \"" + e.Summary + "\""
	}
	text += ".\n"
	if c := strings.TrimSpace(comment); c != "" {
		text += "\n" + c + "\n"
	}
	subject := verb + ": " + e.Summary
	reply := message.CalendarReply{From: from, To: inv.Organizer(0), Subject: subject, Text: text, Calendar: ics,
		InReplyTo: m.MessageID, References: m.References}
	out, err := reply.Build(time.Now())
	if err != nil {
		return InviteReply{}, err
	}
	res := InviteReply{To: e.Organizer.Addr, Summary: e.Summary, Answer: answer}
	err = a.Send(ctx, attendee, []string{inv.Organizer(0)}, out)
	var queued *QueuedError
	if err == nil || errors.As(err, &queued) {
		// Answered, as a replied message is (queued when offline).
		_ = a.SetFlag(ctx, id, mail.FlagAnswered, true)
	}
	return res, err
}

// attendeeFor picks which of the account's identities answers: the one
// the invitation lists as an attendee, else the one the message was
// addressed to (ReplyIdentity). It returns the From header, the bare
// address and the name.
func (a *Account) attendeeFor(inv *calendar.Invite, raw []byte) (from, addr, name string) {
	pick := a.ReplyIdentity(raw)
	for _, id := range a.Identities() {
		if _, ok := inv.Attendee(0, id.Address); ok {
			pick = id
			break
		}
	}
	return pick.From(), pick.Address, pick.DisplayName
}

// firstRequest returns the first calendar part of raw that is an
// invitation that takes an answer.
func firstRequest(raw []byte) (*calendar.Invite, error) {
	parts, err := message.CalendarParts(raw)
	if err != nil {
		return nil, err
	}
	var last error = errors.New("the message has no invitation")
	for _, p := range parts {
		if p.Data == nil {
			continue
		}
		inv, err := calendar.Parse(p.Data)
		if err != nil {
			last = err
			continue
		}
		if inv.Method == "" {
			inv.Method = p.Method
		}
		if err := inv.CanReply(0); err != nil {
			last = err
			continue
		}
		return inv, nil
	}
	return nil, last
}

// ExportInvite writes the first calendar part of message id, as it came,
// to a new file at path (an existing file is not overwritten), readable
// by its owner alone.
func (a *Account) ExportInvite(ctx context.Context, id int64, path string) error {
	raw, err := a.Body(ctx, id)
	if err != nil {
		return err
	}
	parts, err := message.CalendarParts(raw)
	if err != nil {
		return err
	}
	for _, p := range parts {
		if p.Data == nil {
			continue
		}
		f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return fmt.Errorf("export: %w", err)
		}
		if _, err := f.Write(p.Data); err != nil {
			f.Close()
			os.Remove(path)
			return fmt.Errorf("export: %w", err)
		}
		return f.Close()
	}
	return errors.New("export: the message has no calendar part to export")
}
