package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
)

// The answers an attendee can give (RFC 5545 PARTSTAT).
const (
	Accepted  = "ACCEPTED"
	Tentative = "TENTATIVE"
	Declined  = "DECLINED"
)

// CanReply reports whether event i is an invitation that takes an
// answer: a REQUEST with an organizer whose address can be written to.
func (inv *Invite) CanReply(i int) error {
	if i < 0 || i >= len(inv.Events) {
		return errors.New("calendar: no such event")
	}
	if inv.Method != "REQUEST" {
		return fmt.Errorf("calendar: only an invitation (METHOD:REQUEST) is answered; this is %s", strings.ToLower(inv.Title()))
	}
	e := inv.Events[i]
	if e.Organizer.addr == "" {
		return errors.New("calendar: the invitation names no organizer address to answer")
	}
	if e.UID == "" {
		return errors.New("calendar: the invitation has no UID")
	}
	return nil
}

// Organizer returns the organizer's address of event i, as the reply is
// sent to it ("" when there is none).
func (inv *Invite) Organizer(i int) string {
	if i < 0 || i >= len(inv.Events) {
		return ""
	}
	return inv.Events[i].Organizer.addr
}

// Attendee returns the attendee of event i that is one of addrs (compared
// without case), and whether there is one.
func (inv *Invite) Attendee(i int, addrs ...string) (Person, bool) {
	if i < 0 || i >= len(inv.Events) {
		return Person{}, false
	}
	for _, a := range inv.Events[i].Attendees {
		for _, addr := range addrs {
			if a.addr != "" && strings.EqualFold(a.addr, addr) {
				return a, true
			}
		}
	}
	return Person{}, false
}

// Reply returns the iMIP reply (METHOD:REPLY, RFC 5546 3.2.3) of attendee
// to event i: the same UID, SEQUENCE and RECURRENCE-ID, a DTSTAMP of now,
// the organizer, the time and summary of the event, and one ATTENDEE
// with the answer (ACCEPTED, TENTATIVE or DECLINED), plus the comment
// when there is one. attendee is a bare address; name, when not empty,
// is its common name when the invitation did not give one.
func (inv *Invite) Reply(i int, attendee, name, partstat, comment string, now time.Time) ([]byte, error) {
	if err := inv.CanReply(i); err != nil {
		return nil, err
	}
	switch partstat {
	case Accepted, Tentative, Declined:
	default:
		return nil, fmt.Errorf("calendar: unknown answer %q", partstat)
	}
	if attendee == "" || strings.ContainsAny(attendee, "\r\n\" ;:,") {
		return nil, fmt.Errorf("calendar: bad attendee address %q", attendee)
	}
	src := inv.Events[i].comp
	ev := ical.NewComponent(ical.CompEvent)
	for _, name := range []string{ical.PropUID, ical.PropSequence, ical.PropRecurrenceID, ical.PropDateTimeStart,
		ical.PropDateTimeEnd, ical.PropDuration, ical.PropSummary, ical.PropOrganizer} {
		if p := src.Props.Get(name); p != nil {
			cp := copyProp(p)
			ev.Props.Set(&cp)
		}
	}
	ev.Props.SetDateTime(ical.PropDateTimeStamp, now.UTC())
	at := ical.NewProp(ical.PropAttendee)
	found := false
	for _, p := range src.Props.Values(ical.PropAttendee) {
		v := strings.TrimSpace(p.Value)
		if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") && strings.EqualFold(v[7:], attendee) {
			cp := copyProp(&p)
			at = &cp
			found = true
			break
		}
	}
	if !found {
		at.Value = "mailto:" + attendee
		if name != "" {
			at.Params.Set(ical.ParamCommonName, strings.ReplaceAll(oneLine(name), `"`, "'"))
		}
	}
	at.Params.Del(ical.ParamRSVP)
	at.Params.Set(ical.ParamParticipationStatus, partstat)
	ev.Props.Set(at)
	if c := strings.TrimSpace(comment); c != "" {
		ev.Props.SetText(ical.PropComment, c)
	}
	cal := ical.NewCalendar()
	cal.Props.SetText(ical.PropProductID, "-//posta//posta//EN")
	cal.Props.SetText(ical.PropVersion, "2.0")
	cal.Props.SetText(ical.PropMethod, "REPLY")
	// The time zones the copied times name.
	used := map[string]bool{}
	for _, name := range []string{ical.PropDateTimeStart, ical.PropDateTimeEnd, ical.PropRecurrenceID} {
		if p := ev.Props.Get(name); p != nil {
			if tz := p.Params.Get(ical.PropTimezoneID); tz != "" {
				used[tz] = true
			}
		}
	}
	for _, c := range inv.cal.Children {
		if c.Name == ical.CompTimezone {
			if p := c.Props.Get(ical.PropTimezoneID); p != nil && used[p.Value] {
				cal.Children = append(cal.Children, c)
			}
		}
	}
	cal.Children = append(cal.Children, ev)
	var buf bytes.Buffer
	if err := ical.NewEncoder(&buf).Encode(cal); err != nil {
		return nil, fmt.Errorf("calendar: write the reply: %w", err)
	}
	return fold(buf.Bytes()), nil
}

// fold breaks content lines longer than 75 octets (RFC 5545 3.1) with
// CRLF and a space, never inside a UTF-8 sequence.
func fold(b []byte) []byte {
	var out bytes.Buffer
	for len(b) > 0 {
		line := b
		next := []byte(nil)
		if i := bytes.Index(b, []byte("\r\n")); i >= 0 {
			line, next = b[:i], b[i+2:]
		}
		for n := 0; len(line) > 75-n; n = 1 {
			cut := 75 - n
			for cut > 0 && line[cut]&0xC0 == 0x80 {
				cut-- // a continuation byte: cut before its sequence
			}
			out.Write(line[:cut])
			out.WriteString("\r\n ")
			line = line[cut:]
		}
		out.Write(line)
		out.WriteString("\r\n")
		b = next
	}
	return out.Bytes()
}

func copyProp(p *ical.Prop) ical.Prop {
	cp := ical.Prop{Name: p.Name, Value: p.Value, Params: ical.Params{}}
	for k, v := range p.Params {
		cp.Params[k] = append([]string(nil), v...)
	}
	return cp
}

func oneLine(s string) string { return strings.Join(strings.Fields(s), " ") }
