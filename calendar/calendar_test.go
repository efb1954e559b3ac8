package calendar

import (
	"bytes"
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

const request = "BEGIN:VCALENDAR\r\n" +
	"PRODID:-//Google Inc//Google Calendar 70.9054//EN\r\n" +
	"VERSION:2.0\r\n" +
	"METHOD:REQUEST\r\n" +
	"BEGIN:VTIMEZONE\r\n" +
	"TZID:America/New_York\r\n" +
	"BEGIN:STANDARD\r\n" +
	"TZOFFSETFROM:-0400\r\n" +
	"TZOFFSETTO:-0500\r\n" +
	"DTSTART:19701101T020000\r\n" +
	"END:STANDARD\r\n" +
	"END:VTIMEZONE\r\n" +
	"BEGIN:VEVENT\r\n" +
	"DTSTART;TZID=America/New_York:20261207T100000\r\n" +
	"DTEND;TZID=America/New_York:20261207T110000\r\n" +
	"RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL=20270301T150000Z\r\n" +
	"DTSTAMP:20261201T120000Z\r\n" +
	"ORGANIZER;CN=Carol Organizer:mailto:carol@work.example\r\n" +
	"UID:weekly-1@work.example\r\n" +
	"ATTENDEE;CUTYPE=INDIVIDUAL;ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=TRUE;CN=Alice\r\n" +
	"  Example:mailto:alice@work.example\r\n" +
	"ATTENDEE;ROLE=REQ-PARTICIPANT;PARTSTAT=ACCEPTED;CN=Carol Organizer:mailto:carol@work.example\r\n" +
	"SEQUENCE:2\r\n" +
	"SUMMARY:Team sync\r\n" +
	"LOCATION:Room 4\\, second floor\r\n" +
	"STATUS:CONFIRMED\r\n" +
	"END:VEVENT\r\n" +
	"END:VCALENDAR\r\n"

func TestParseRequest(t *testing.T) {
	inv, err := Parse([]byte(request))
	if err != nil {
		t.Fatalf("Parse() error = %v", err)
	}
	if inv.Method != "REQUEST" || len(inv.Events) != 1 {
		t.Fatalf("Parse() = method %q, %d events, want REQUEST, 1", inv.Method, len(inv.Events))
	}
	e := inv.Events[0]
	if e.UID != "weekly-1@work.example" || e.Sequence != 2 || e.Summary != "Team sync" || e.Location != "Room 4, second floor" {
		t.Errorf("event = %+v", e)
	}
	if got := e.Organizer.String(); got != "Carol Organizer <carol@work.example>" {
		t.Errorf("organizer = %q", got)
	}
	if len(e.Attendees) != 2 || e.Attendees[0].Name != "Alice Example" || e.Attendees[0].PartStat != "NEEDS-ACTION" {
		t.Errorf("attendees = %+v", e.Attendees)
	}
	want := time.Date(2026, 12, 7, 15, 0, 0, 0, time.UTC)
	if !e.Start.Equal(want) || e.End.Sub(e.Start) != time.Hour {
		t.Errorf("start, end = %v, %v, want %v and an hour", e.Start, e.End, want)
	}
	if e.Zone != "America/New_York" || !e.ZoneKnown {
		t.Errorf("zone = %q known %v", e.Zone, e.ZoneKnown)
	}
	if e.Recurrence != "every week on Monday until 2027-03-01" {
		t.Errorf("recurrence = %q", e.Recurrence)
	}
}

func TestCardShowsBothZones(t *testing.T) {
	inv, err := Parse([]byte(request))
	if err != nil {
		t.Fatal(err)
	}
	paris, err := time.LoadLocation("Europe/Paris")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	card := strings.Join(inv.Card(0, paris, []Conflict{{Summary: "Dentist", Start: time.Date(2026, 12, 14, 15, 0, 0, 0, time.UTC)}}), "\n")
	for _, want := range []string{
		"Invitation: Team sync",
		"Organizer: Carol Organizer <carol@work.example>",
		"When: Mon 2026-12-07 16:00–17:00 CET (10:00–11:00 America/New_York)",
		"Repeats: every week on Monday until 2027-03-01",
		"Where: Room 4, second floor",
		"Alice Example <alice@work.example> (no answer yet), Carol Organizer <carol@work.example> (accepted)",
		"Conflicts with: Dentist (Mon 2026-12-14 16:00)",
	} {
		if !strings.Contains(card, want) {
			t.Errorf("card lacks %q:\n%s", want, card)
		}
	}
}

func TestRuleWords(t *testing.T) {
	start := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC) // a Monday
	tests := []struct{ rule, want string }{
		{"FREQ=DAILY", "every day"},
		{"FREQ=DAILY;INTERVAL=3;COUNT=4", "every 3 days, 4 times"},
		{"FREQ=WEEKLY", "every week on Monday"},
		{"FREQ=WEEKLY;INTERVAL=2;BYDAY=TU,TH", "every 2 weeks on Tuesday and Thursday"},
		{"FREQ=WEEKLY;BYDAY=MO,TU,WE,TH,FR", "every week on weekdays"},
		{"FREQ=MONTHLY;BYDAY=-1FR", "every month on the last Friday"},
		{"FREQ=MONTHLY;BYDAY=2TU;COUNT=1", "every month on the second Tuesday, once"},
		{"FREQ=MONTHLY;BYMONTHDAY=15", "every month on day 15"},
		{"FREQ=MONTHLY", "every month on day 7"},
		{"FREQ=YEARLY", "every year on December 7"},
		{"FREQ=YEARLY;BYMONTH=3;BYMONTHDAY=1", "every year on March 1"},
		{"FREQ=SOMETIMES", "repeats (FREQ=SOMETIMES)"},
		{"FREQ=DAILY;COUNT=\x1b[31m", "repeats (FREQ=DAILY;COUNT=␛[31m)"},
	}
	for _, tt := range tests {
		t.Run(tt.rule, func(t *testing.T) {
			if got := RuleWords(tt.rule, start); got != tt.want {
				t.Errorf("RuleWords(%q) = %q, want %q", tt.rule, got, tt.want)
			}
		})
	}
}

func TestOverlap(t *testing.T) {
	at := func(d, h int) time.Time { return time.Date(2026, 12, d, h, 0, 0, 0, time.UTC) }
	weekly := Span{Start: at(7, 10), End: at(7, 11), Rule: "FREQ=WEEKLY;BYDAY=MO"}
	tests := []struct {
		name string
		a, b Span
		want time.Time // zero: no overlap
	}{
		{"same time", Span{Start: at(9, 9), End: at(9, 10)}, Span{Start: at(9, 9), End: at(9, 10)}, at(9, 9)},
		{"partly", Span{Start: at(9, 9), End: at(9, 11)}, Span{Start: at(9, 10), End: at(9, 12)}, at(9, 9)},
		{"back to back", Span{Start: at(9, 9), End: at(9, 10)}, Span{Start: at(9, 10), End: at(9, 11)}, time.Time{}},
		{"third monday", weekly, Span{Start: at(21, 10), End: at(21, 12)}, at(21, 10)},
		{"a tuesday", weekly, Span{Start: at(22, 10), End: at(22, 12)}, time.Time{}},
		{"after until", Span{Start: at(7, 10), End: at(7, 11), Rule: "FREQ=WEEKLY;UNTIL=20261215T000000Z"}, Span{Start: at(21, 10), End: at(21, 11)}, time.Time{}},
		{"count", Span{Start: at(7, 10), End: at(7, 11), Rule: "FREQ=DAILY;COUNT=3"}, Span{Start: at(9, 10), End: at(9, 11)}, at(9, 10)},
		{"count over", Span{Start: at(7, 10), End: at(7, 11), Rule: "FREQ=DAILY;COUNT=2"}, Span{Start: at(9, 10), End: at(9, 11)}, time.Time{}},
		{"daily for years", Span{Start: time.Date(2019, 3, 4, 9, 0, 0, 0, time.UTC), End: time.Date(2019, 3, 4, 9, 15, 0, 0, time.UTC), Rule: "FREQ=DAILY;BYDAY=MO,TU,WE,TH,FR"}, Span{Start: at(9, 9), End: at(9, 10)}, at(9, 9)},
		{"weekly for years", Span{Start: time.Date(2015, 1, 5, 10, 0, 0, 0, time.UTC), End: time.Date(2015, 1, 5, 11, 0, 0, 0, time.UTC), Rule: "FREQ=WEEKLY;INTERVAL=2"}, Span{Start: at(7, 10), End: at(7, 11)}, at(7, 10)},
		{"weekly for years, off week", Span{Start: time.Date(2015, 1, 5, 10, 0, 0, 0, time.UTC), End: time.Date(2015, 1, 5, 11, 0, 0, 0, time.UTC), Rule: "FREQ=WEEKLY;INTERVAL=2"}, Span{Start: at(14, 10), End: at(14, 11)}, time.Time{}},
		{"last friday", Span{Start: at(1, 8), End: at(1, 9), Rule: "FREQ=MONTHLY;BYDAY=-1FR"}, Span{Start: at(25, 8), End: at(25, 9)}, at(25, 8)},
	}
	if _, other, _ := Overlap(Span{Start: at(9, 9), End: at(9, 11)}, Span{Start: at(9, 10), End: at(9, 12)}); !other.Equal(at(9, 10)) {
		t.Errorf("Overlap() gives the other event's occurrence at %v, want %v", other, at(9, 10))
	}
	if _, other, _ := Overlap(Span{Start: at(21, 10), End: at(21, 12)}, weekly); !other.Equal(at(21, 10)) {
		t.Errorf("Overlap() gives the weekly occurrence at %v, want %v", other, at(21, 10))
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, _, ok := Overlap(tt.a, tt.b)
			if ok != !tt.want.IsZero() || !got.Equal(tt.want) {
				t.Errorf("Overlap() = %v, %v, want %v", got, ok, tt.want)
			}
		})
	}
}

func TestReply(t *testing.T) {
	inv, err := Parse([]byte(request))
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC)
	out, err := inv.Reply(0, "alice@work.example", "", Accepted, "See you there,\nAlice", now)
	if err != nil {
		t.Fatalf("Reply() error = %v", err)
	}
	s := string(out)
	for _, want := range []string{
		"METHOD:REPLY\r\n", "UID:weekly-1@work.example\r\n", "SEQUENCE:2\r\n", "DTSTAMP:20261202T093000Z\r\n",
		"ORGANIZER;CN=Carol Organizer:mailto:carol@work.example\r\n",
		"PARTSTAT=ACCEPTED", "mailto:alice@work.example\r\n", `COMMENT:See you there\,\nAlice`,
		"BEGIN:VTIMEZONE\r\n", "DTSTART;TZID=America/New_York:20261207T100000\r\n",
	} {
		if !strings.Contains(s, want) {
			t.Errorf("reply lacks %q:\n%s", want, s)
		}
	}
	if strings.Contains(s, "RSVP") || strings.Contains(s, "carol@work.example;") || strings.Count(s, "ATTENDEE") != 1 {
		t.Errorf("reply should have one ATTENDEE, without RSVP:\n%s", s)
	}
	back, err := Parse(out)
	if err != nil {
		t.Fatalf("Parse(reply) error = %v", err)
	}
	if back.Method != "REPLY" || back.Events[0].Attendees[0].PartStat != Accepted || back.Events[0].Comment != "See you there, Alice" {
		t.Errorf("reply read back = %+v", back.Events[0])
	}
	long := strings.Repeat("Très long commentaire, ", 12)
	out, err = inv.Reply(0, "alice@work.example", "", Tentative, long, now)
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(strings.TrimSuffix(string(out), "\r\n"), "\r\n") {
		if len(line) > 75 || !utf8.ValidString(line) {
			t.Errorf("line of %d octets (valid UTF-8: %v): %q", len(line), utf8.ValidString(line), line)
		}
	}
	if back, err := Parse(out); err != nil || back.Events[0].Comment != strings.TrimSpace(long) {
		t.Errorf("folded reply read back: %v, comment %q", err, back.Events[0].Comment)
	}
	if _, err := inv.Reply(0, "bob@work.example", "Bob", Declined, "", now); err != nil {
		t.Errorf("Reply() as an attendee not listed: %v", err)
	}
	cancel, _ := Parse([]byte(strings.Replace(request, "METHOD:REQUEST", "METHOD:CANCEL", 1)))
	if _, err := cancel.Reply(0, "alice@work.example", "", Accepted, "", now); err == nil {
		t.Error("Reply() to a CANCEL: no error")
	}
	if _, err := inv.Reply(0, "alice@work.example\r\nX:y", "", Accepted, "", now); err == nil {
		t.Error("Reply() with a newline in the address: no error")
	}
}

func TestParseHostile(t *testing.T) {
	tests := []struct {
		name string
		data string
		ok   bool
	}{
		{"empty", "", false},
		{"not a calendar", "hello", false},
		{"no end", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\n", false},
		{"wrong end", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nEND:VTODO\r\nEND:VCALENDAR\r\n", false},
		{"no event", "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n", false},
		{"bad dates", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART:yesterday\r\nDTEND;TZID=../../etc/passwd:20260101T000000\r\nRRULE:FREQ=SECONDLY;INTERVAL=0\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", true},
		{"escapes", "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nUID:x\r\nSUMMARY:\x1b]52;c;aGk=\x07pwn\u202e\r\nORGANIZER;CN=\"\x1b[2J\":mailto:a@b\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			inv, err := Parse([]byte(tt.data))
			if (err == nil) != tt.ok {
				t.Fatalf("Parse() error = %v, want ok %v", err, tt.ok)
			}
			if inv != nil {
				checkSafe(t, strings.Join(inv.Card(0, time.UTC, nil), "\n"))
			}
		})
	}
	big := bytes.Repeat([]byte("X"), MaxSize+1)
	if _, err := Parse(big); err != ErrTooLarge {
		t.Errorf("Parse(%d bytes) error = %v, want ErrTooLarge", len(big), err)
	}
}

// checkSafe fails when s holds a control character other than newline.
func checkSafe(t *testing.T, s string) {
	t.Helper()
	for _, r := range s {
		if (r < 0x20 && r != '\n') || (r >= 0x7f && r < 0xa0) || r == '\u202e' {
			t.Fatalf("unsafe rune %U in %q", r, s)
		}
	}
}

func FuzzParse(f *testing.F) {
	f.Add([]byte(request))
	f.Add([]byte("BEGIN:VCALENDAR\r\nMETHOD:CANCEL\r\nBEGIN:VEVENT\r\nUID:x\r\nDTSTART;VALUE=DATE:20260101\r\nRRULE:FREQ=MONTHLY;BYDAY=-1FR;COUNT=3\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := Parse(data)
		if err != nil {
			checkSafe(t, err.Error())
			return
		}
		for i, e := range inv.Events {
			checkSafe(t, strings.Join(inv.Card(i, time.UTC, nil), "\n"))
			_, _, _ = Overlap(e.Span(), Span{Start: e.Start.Add(time.Hour), End: e.Start.Add(2 * time.Hour)})
			if inv.CanReply(i) == nil {
				if out, err := inv.Reply(i, "me@example.org", "Me", Tentative, "ok", time.Unix(0, 0)); err == nil {
					if _, err := Parse(out); err != nil {
						t.Fatalf("Parse(Reply()) error = %v\n%s", err, out)
					}
				}
			}
		}
	})
}

func TestOutlookTimeZones(t *testing.T) {
	zone := func(name, std, dst string, stdMonth, dstMonth, stdDay, dstDay string) string {
		return "BEGIN:VTIMEZONE\r\nTZID:" + name + "\r\n" +
			"BEGIN:STANDARD\r\nDTSTART:16010101T030000\r\nTZOFFSETFROM:" + dst + "\r\nTZOFFSETTO:" + std + "\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=" + stdDay + ";BYMONTH=" + stdMonth + "\r\nEND:STANDARD\r\n" +
			"BEGIN:DAYLIGHT\r\nDTSTART:16010101T020000\r\nTZOFFSETFROM:" + std + "\r\nTZOFFSETTO:" + dst + "\r\nRRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=" + dstDay + ";BYMONTH=" + dstMonth + "\r\nEND:DAYLIGHT\r\n" +
			"END:VTIMEZONE\r\n"
	}
	tests := []struct {
		zone, tzid, start string
		want              time.Time
	}{
		{zone("W. Europe Standard Time", "+0100", "+0200", "10", "3", "-1SU", "-1SU"), "W. Europe Standard Time", "20260701T100000", time.Date(2026, 7, 1, 8, 0, 0, 0, time.UTC)},
		{zone("W. Europe Standard Time", "+0100", "+0200", "10", "3", "-1SU", "-1SU"), "W. Europe Standard Time", "20261201T100000", time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)},
		{zone("W. Europe Standard Time", "+0100", "+0200", "10", "3", "-1SU", "-1SU"), "W. Europe Standard Time", "20260329T030000", time.Date(2026, 3, 29, 1, 0, 0, 0, time.UTC)}, // just after the switch
		{zone("AUS Eastern Standard Time", "+1000", "+1100", "4", "10", "1SU", "1SU"), "AUS Eastern Standard Time", "20260115T100000", time.Date(2026, 1, 14, 23, 0, 0, 0, time.UTC)},
		{zone("AUS Eastern Standard Time", "+1000", "+1100", "4", "10", "1SU", "1SU"), "AUS Eastern Standard Time", "20260615T100000", time.Date(2026, 6, 15, 0, 0, 0, 0, time.UTC)},
	}
	for _, tt := range tests {
		t.Run(tt.tzid+" "+tt.start, func(t *testing.T) {
			data := "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\n" + tt.zone + "BEGIN:VEVENT\r\nUID:x\r\nDTSTART;TZID=\"" + tt.tzid + "\":" + tt.start + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
			inv, err := Parse([]byte(data))
			if err != nil {
				t.Fatal(err)
			}
			if e := inv.Events[0]; !e.Start.Equal(tt.want) || !e.ZoneKnown || e.Zone != tt.tzid {
				t.Errorf("start = %v (zone %q, known %v), want %v", e.Start.UTC(), e.Zone, e.ZoneKnown, tt.want)
			}
		})
	}
}
