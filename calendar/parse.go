// Package calendar reads and writes the iCalendar (RFC 5545) objects of
// invitations sent by mail (iMIP, RFC 6047): it parses a text/calendar
// part into events made safe for the terminal, describes them in words
// (an event card, a recurrence rule as a sentence), finds which of two
// events overlap, and writes the METHOD:REPLY an attendee sends back.
// Parsing and encoding go through github.com/emersion/go-ical.
//
// # Hostile input
//
// A calendar part comes from anyone who can send mail. [Parse] refuses
// data larger than [MaxSize], keeps at most [MaxEvents] events and
// [MaxAttendees] attendees of each, cuts every string to a bounded length
// and passes it through the sanitize package, and turns a malformed
// object (or a panic inside the decoder) into an error.
package calendar

import (
	"bytes"
	"errors"
	"fmt"
	"net/mail"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"
	// Invitations name IANA zones; systems without a zone database
	// (Windows) read them from the copy in the binary.
	_ "time/tzdata"

	ical "github.com/emersion/go-ical"

	"github.com/posta-mail/posta/sanitize"
)

// Limits of what Parse keeps.
const (
	MaxSize      = 256 << 10 // bytes of a calendar object
	MaxEvents    = 20        // events of one object
	MaxAttendees = 100       // attendees of one event
	maxText      = 300       // runes of a shown string
)

// ErrTooLarge is returned for a calendar object over MaxSize.
var ErrTooLarge = fmt.Errorf("calendar: larger than %d KiB", MaxSize>>10)

// Invite is a parsed calendar object. Its exported strings are sanitized.
type Invite struct {
	Method  string // REQUEST, CANCEL, REPLY, COUNTER, PUBLISH…; "" when absent
	Events  []Event
	Omitted int // events beyond MaxEvents, not kept
	cal     *ical.Calendar
}

// Person is an organizer or an attendee.
type Person struct {
	Name     string // CN, sanitized
	Addr     string // the mailto: address, sanitized for display
	PartStat string // NEEDS-ACTION, ACCEPTED, DECLINED, TENTATIVE, DELEGATED
	Role     string // REQ-PARTICIPANT, OPT-PARTICIPANT, CHAIR…
	addr     string // the address as written, checked by net/mail (for replies)
}

// String is the person as shown: "Name <addr>" or the address.
func (p Person) String() string {
	switch {
	case p.Name != "" && p.Addr != "":
		return p.Name + " <" + p.Addr + ">"
	case p.Addr != "":
		return p.Addr
	}
	return p.Name
}

// Event is one VEVENT.
type Event struct {
	UID          string
	Sequence     int
	RecurrenceID string // the occurrence a REPLY or CANCEL is about, as written
	Summary      string
	Location     string
	Status       string // TENTATIVE, CONFIRMED, CANCELLED
	Comment      string
	Organizer    Person
	Attendees    []Person
	MoreAttendee int // attendees beyond MaxAttendees
	Start, End   time.Time
	AllDay       bool
	Zone         string // the time zone it was written in ("UTC", an IANA name, or the TZID as given)
	ZoneKnown    bool   // Zone could be loaded; otherwise times are read as UTC or from its VTIMEZONE offset
	Rule         string // the RRULE as written (sanitized); "" when it does not recur
	Recurrence   string // Rule in words; "" when it does not recur
	comp         *ical.Component
}

// Parse reads one calendar object (the content of a text/calendar part).
func Parse(data []byte) (inv *Invite, err error) {
	if len(data) > MaxSize {
		return nil, ErrTooLarge
	}
	defer func() {
		if p := recover(); p != nil {
			inv, err = nil, fmt.Errorf("calendar: malformed: %s", sanitize.Line(fmt.Sprint(p)))
		}
	}()
	if !utf8.Valid(data) {
		data = bytes.ToValidUTF8(data, []byte("\uFFFD"))
	}
	cal, err := ical.NewDecoder(bytes.NewReader(data)).Decode()
	if err != nil {
		return nil, fmt.Errorf("calendar: malformed: %s", clean(err.Error()))
	}
	inv = &Invite{cal: cal}
	if p := cal.Props.Get(ical.PropMethod); p != nil {
		inv.Method = strings.ToUpper(clean(p.Value))
	}
	zones := vtimezones(cal)
	for _, child := range cal.Children {
		if child.Name != ical.CompEvent {
			continue
		}
		if len(inv.Events) == MaxEvents {
			inv.Omitted++
			continue
		}
		inv.Events = append(inv.Events, readEvent(child, zones))
	}
	if len(inv.Events) == 0 {
		return nil, errors.New("calendar: no event in the calendar object")
	}
	return inv, nil
}

func readEvent(c *ical.Component, zones map[string]vzone) Event {
	e := Event{comp: c}
	e.UID = text(c, ical.PropUID)
	if p := c.Props.Get(ical.PropSequence); p != nil {
		if n, err := strconv.Atoi(strings.TrimSpace(p.Value)); err == nil && n >= 0 {
			e.Sequence = n
		}
	}
	if p := c.Props.Get(ical.PropRecurrenceID); p != nil {
		e.RecurrenceID = clean(p.Value)
	}
	e.Summary = text(c, ical.PropSummary)
	e.Location = text(c, ical.PropLocation)
	e.Status = strings.ToUpper(text(c, ical.PropStatus))
	e.Comment = text(c, ical.PropComment)
	if p := c.Props.Get(ical.PropOrganizer); p != nil {
		e.Organizer = person(p)
	}
	for _, p := range c.Props.Values(ical.PropAttendee) {
		if len(e.Attendees) == MaxAttendees {
			e.MoreAttendee++
			continue
		}
		e.Attendees = append(e.Attendees, person(&p))
	}
	e.Start, e.AllDay, e.Zone, e.ZoneKnown = when(c.Props.Get(ical.PropDateTimeStart), zones)
	if p := c.Props.Get(ical.PropDateTimeEnd); p != nil {
		e.End, _, _, _ = when(p, zones)
	} else if p := c.Props.Get(ical.PropDuration); p != nil && !e.Start.IsZero() {
		if d, err := p.Duration(); err == nil && d >= 0 && d < 400*24*time.Hour {
			e.End = e.Start.Add(d)
		}
	}
	if e.End.IsZero() && !e.Start.IsZero() {
		if e.AllDay {
			e.End = e.Start.AddDate(0, 0, 1)
		} else {
			e.End = e.Start
		}
	}
	if e.End.Before(e.Start) {
		e.End = e.Start
	}
	if p := c.Props.Get(ical.PropRecurrenceRule); p != nil {
		e.Rule = clean(p.Value)
		e.Recurrence = RuleWords(p.Value, e.Start)
	}
	return e
}

// when reads a DTSTART or DTEND: the instant, whether it is a date, and
// the zone it was written in.
func when(p *ical.Prop, zones map[string]vzone) (t time.Time, allDay bool, zone string, known bool) {
	if p == nil {
		return time.Time{}, false, "", false
	}
	v := strings.TrimSpace(p.Value)
	tzid := strings.Trim(p.Params.Get(ical.PropTimezoneID), `"`)
	if len(v) == len("20060102") || strings.EqualFold(p.Params.Get("VALUE"), "DATE") {
		d, err := time.ParseInLocation("20060102", v, time.Local)
		if err != nil {
			return time.Time{}, false, "", false
		}
		return d, true, "", true
	}
	if strings.HasSuffix(v, "Z") {
		t, err := time.Parse("20060102T150405Z", v)
		return t, false, "UTC", err == nil
	}
	// A wall clock time: in its TZID, else floating (wherever the
	// reader is).
	wall, err := time.Parse("20060102T150405", v)
	if err != nil {
		return time.Time{}, false, "", false
	}
	if tzid == "" {
		y, m, d := wall.Date()
		return time.Date(y, m, d, wall.Hour(), wall.Minute(), wall.Second(), 0, time.Local), false, "floating", true
	}
	loc, known := location(tzid, wall, zones)
	y, m, d := wall.Date()
	return time.Date(y, m, d, wall.Hour(), wall.Minute(), wall.Second(), 0, loc), false, clean(tzid), known
}

// location loads a TZID for a wall clock time: an IANA name, or what the
// object's VTIMEZONE says (Outlook writes Windows names such as "W.
// Europe Standard Time"), or else UTC.
func location(tzid string, wall time.Time, zones map[string]vzone) (*time.Location, bool) {
	if len(tzid) <= 64 && !strings.ContainsAny(tzid, `\.`+"\x00") && !strings.HasPrefix(tzid, "/") {
		if loc, err := time.LoadLocation(tzid); err == nil {
			return loc, true
		}
	}
	if z, ok := zones[tzid]; ok {
		return z.at(wall), true
	}
	return time.UTC, false
}

// parseOffset reads a UTC offset, "+0100" or "-053000".
func parseOffset(s string) (int, bool) {
	s = strings.TrimSpace(s)
	if len(s) != 5 && len(s) != 7 {
		return 0, false
	}
	sign := 1
	switch s[0] {
	case '-':
		sign = -1
	case '+':
	default:
		return 0, false
	}
	n, err := strconv.Atoi(s[1:])
	if err != nil || n < 0 {
		return 0, false
	}
	if len(s) == 5 {
		n *= 100
	}
	h, m, sec := n/10000, n/100%100, n%100
	if h > 18 || m > 59 || sec > 59 {
		return 0, false
	}
	return sign * (h*3600 + m*60 + sec), true
}

func person(p *ical.Prop) Person {
	out := Person{
		Name:     clean(strings.Trim(p.Params.Get(ical.ParamCommonName), `"`)),
		PartStat: strings.ToUpper(clean(p.Params.Get(ical.ParamParticipationStatus))),
		Role:     strings.ToUpper(clean(p.Params.Get(ical.ParamRole))),
	}
	v := strings.TrimSpace(p.Value)
	if len(v) >= 7 && strings.EqualFold(v[:7], "mailto:") {
		v = v[7:]
	}
	if a, err := mail.ParseAddress(v); err == nil && len(a.Address) <= 254 {
		out.addr = a.Address
		out.Addr, _ = sanitize.Address(a.Address)
	} else {
		out.Addr = clean(v)
	}
	if out.PartStat == "" {
		out.PartStat = "NEEDS-ACTION"
	}
	return out
}

// text returns a property's text, unescaped and cleaned.
func text(c *ical.Component, name string) string {
	p := c.Props.Get(name)
	if p == nil {
		return ""
	}
	s, err := p.Text()
	if err != nil {
		s = p.Value
	}
	return clean(s)
}

// clean cuts s to maxText runes on one line and sanitizes it.
func clean(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if utf8.RuneCountInString(s) > maxText {
		r := []rune(s)
		s = string(r[:maxText]) + "…"
	}
	return sanitize.Line(s)
}
