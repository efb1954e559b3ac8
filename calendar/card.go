package calendar

import (
	"fmt"
	"strings"
	"time"
)

// Conflict is another invitation an event overlaps.
type Conflict struct {
	Summary string    // sanitized
	Start   time.Time // the other invitation's overlapping occurrence
}

// maxCardAttendees is how many attendees a card lists before counting.
const maxCardAttendees = 12

// Title says what the object is for the card's first line.
func (inv *Invite) Title() string {
	switch inv.Method {
	case "REQUEST":
		return "Invitation"
	case "CANCEL":
		return "Cancelled"
	case "REPLY":
		return "Reply to an invitation"
	case "COUNTER":
		return "Counter-proposal"
	case "DECLINECOUNTER":
		return "Counter-proposal declined"
	case "PUBLISH", "":
		return "Event"
	}
	return "Calendar (" + inv.Method + ")"
}

// Card returns the lines of an event card: title, organizer, time in loc
// (and in the zone it was written in, when that differs), recurrence,
// location, attendees with their answers, and conflicts. Every string
// is sanitized.
func (inv *Invite) Card(i int, loc *time.Location, conflicts []Conflict) []string {
	if i < 0 || i >= len(inv.Events) {
		return nil
	}
	if loc == nil {
		loc = time.Local
	}
	e := inv.Events[i]
	title := e.Summary
	if title == "" {
		title = "(no title)"
	}
	lines := []string{inv.Title() + ": " + title}
	if e.Status == "CANCELLED" && inv.Method != "CANCEL" {
		lines = append(lines, "Status: cancelled")
	}
	if o := e.Organizer.String(); o != "" {
		lines = append(lines, "Organizer: "+o)
	}
	if w := When(e, loc); w != "" {
		lines = append(lines, "When: "+w)
	}
	if e.RecurrenceID != "" {
		lines = append(lines, "Occurrence: "+e.RecurrenceID)
	}
	if e.Recurrence != "" {
		lines = append(lines, "Repeats: "+e.Recurrence)
	}
	if e.Location != "" {
		lines = append(lines, "Where: "+e.Location)
	}
	if len(e.Attendees) > 0 {
		var who []string
		for j, a := range e.Attendees {
			if j == maxCardAttendees {
				break
			}
			who = append(who, a.String()+" ("+partStatWords(a.PartStat)+")")
		}
		more := len(e.Attendees) - len(who) + e.MoreAttendee
		if more > 0 {
			who = append(who, fmt.Sprintf("and %d more", more))
		}
		label := "Attendees: "
		if inv.Method == "REPLY" {
			label = "Answer: "
		}
		lines = append(lines, label+strings.Join(who, ", "))
	}
	if e.Comment != "" {
		lines = append(lines, "Comment: "+e.Comment)
	}
	for j, c := range conflicts {
		if j == 5 {
			lines = append(lines, fmt.Sprintf("Conflicts with %d more", len(conflicts)-j))
			break
		}
		lines = append(lines, "Conflicts with: "+c.Summary+" ("+c.Start.In(loc).Format("Mon 2006-01-02 15:04")+")")
	}
	if inv.Omitted > 0 && i == len(inv.Events)-1 {
		lines = append(lines, fmt.Sprintf("(%d more events in this calendar object, not shown)", inv.Omitted))
	}
	return lines
}

// When says when an event takes place in loc: "Mon 2026-12-07 10:00–11:00
// CET", with the time in its own zone added when that zone differs
// ("(09:00–10:00 Europe/London)").
func When(e Event, loc *time.Location) string {
	if e.Start.IsZero() {
		return ""
	}
	if e.AllDay {
		last := e.End.AddDate(0, 0, -1)
		if !last.After(e.Start) {
			return e.Start.Format("Mon 2006-01-02") + " (all day)"
		}
		return e.Start.Format("Mon 2006-01-02") + " – " + last.Format("Mon 2006-01-02") + " (all day)"
	}
	s, end := e.Start.In(loc), e.End.In(loc)
	out := s.Format("Mon 2006-01-02 15:04")
	if !end.Equal(s) {
		if sameDay(s, end) {
			out += "–" + end.Format("15:04")
		} else {
			out += " – " + end.Format("Mon 2006-01-02 15:04")
		}
	}
	out += " " + s.Format("MST")
	if e.Zone != "" && e.Zone != "floating" {
		os, oe := e.Start, e.End
		_, off1 := os.Zone()
		_, off2 := s.Zone()
		if off1 != off2 || !e.ZoneKnown {
			alt := os.Format("15:04")
			if !oe.Equal(os) {
				alt += "–" + oe.Format("15:04")
			}
			if !sameDay(os, s) {
				alt = os.Format("Mon ") + alt
			}
			zone := e.Zone
			if !e.ZoneKnown {
				zone += ", unknown zone"
			}
			out += " (" + alt + " " + zone + ")"
		}
	}
	return out
}

func sameDay(a, b time.Time) bool {
	ay, am, ad := a.Date()
	by, bm, bd := b.Date()
	return ay == by && am == bm && ad == bd
}

// partStatWords says a PARTSTAT in words.
func partStatWords(s string) string {
	switch s {
	case "ACCEPTED":
		return "accepted"
	case "DECLINED":
		return "declined"
	case "TENTATIVE":
		return "tentative"
	case "DELEGATED":
		return "delegated"
	case "NEEDS-ACTION", "":
		return "no answer yet"
	}
	return strings.ToLower(s)
}
