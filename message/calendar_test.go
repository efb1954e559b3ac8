package message

import (
	"bytes"
	"strings"
	"testing"
	"time"
)

func TestCalendarReplyRoundTrip(t *testing.T) {
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//posta//posta//EN\r\nMETHOD:REPLY\r\nBEGIN:VEVENT\r\nUID:u1\r\nDTSTAMP:20261202T093000Z\r\nATTENDEE;PARTSTAT=ACCEPTED:mailto:alice@work.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	raw, err := CalendarReply{
		From: "Alice <alice@work.example>", To: "carol@work.example", Subject: "Accepted: Team sync",
		Text: "Alice has accepted.", Calendar: []byte(ics), InReplyTo: "<inv1@work.example>",
	}.Build(time.Date(2026, 12, 2, 9, 30, 0, 0, time.UTC))
	if err != nil {
		t.Fatalf("Build() error = %v", err)
	}
	s := string(raw)
	for _, want := range []string{"Content-Type: multipart/alternative;", "In-Reply-To: <inv1@work.example>", "References: <inv1@work.example>", "Subject: Accepted: Team sync"} {
		if !strings.Contains(s, want) {
			t.Errorf("reply lacks %q:\n%s", want, s)
		}
	}
	parts, err := CalendarParts(raw)
	if err != nil || len(parts) != 1 {
		t.Fatalf("CalendarParts() = %v, %v, want one", parts, err)
	}
	if parts[0].Method != "REPLY" || !bytes.Equal(parts[0].Data, []byte(ics)) {
		t.Errorf("part = method %q data %q", parts[0].Method, parts[0].Data)
	}
	r, err := Render(bytes.NewReader(raw), Options{})
	if err != nil || strings.TrimSpace(r.Body) != "Alice has accepted." {
		t.Errorf("Render() body = %q, %v", r.Body, err)
	}
}

func TestCalendarPartsDeduplicatesAndBounds(t *testing.T) {
	ics := "BEGIN:VCALENDAR\r\nMETHOD:REQUEST\r\nEND:VCALENDAR\r\n"
	msg := "From: a@b\r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=X\r\n\r\n" +
		"--X\r\nContent-Type: text/calendar; method=request\r\n\r\n" + ics +
		"--X\r\nContent-Type: application/ics; name=invite.ics\r\nContent-Disposition: attachment; filename=invite.ics\r\nContent-Transfer-Encoding: base64\r\n\r\n" +
		"QkVHSU46VkNBTEVOREFSDQpNRVRIT0Q6UkVRVUVTVA0KRU5EOlZDQUxFTkRBUg0K\r\n" +
		"--X\r\nContent-Type: text/calendar\r\n\r\n" + strings.Repeat("X", MaxCalendarBytes+10) + "\r\n--X--\r\n"
	parts, err := CalendarParts([]byte(msg))
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 2 || parts[0].Method != "REQUEST" || strings.TrimSpace(string(parts[0].Data)) != strings.TrimSpace(ics) || !parts[1].TooLarge || parts[1].Data != nil {
		t.Errorf("CalendarParts() = %+v", parts)
	}
}

func TestMentionsCalendar(t *testing.T) {
	for s, want := range map[string]bool{
		"Content-Type: text/calendar; method=REQUEST": true,
		"content-type: TEXT/Calendar":                 true,
		"Content-Type: application/ICS; name=a.ics":   true,
		"Content-Type: text/plain\r\n\r\n/calendar":   false,
		"a/b/c text/html application/icsx":            true, // a quick test: a false positive only costs a parse
		"":                                            false,
		"/":                                           false,
	} {
		if got := MentionsCalendar([]byte(s)); got != want {
			t.Errorf("MentionsCalendar(%q) = %v, want %v", s, got, want)
		}
	}
}

// TestMentionsCalendarChunks finds the media types across the edges of
// MentionsCalendar's chunks, in any case, after much base64.
func TestMentionsCalendarChunks(t *testing.T) {
	pad := strings.Repeat("AH//", 5000)
	for _, tail := range []string{"Text/Calendar", "APPLICATION/ics"} {
		for cut := 0; cut < 40; cut++ {
			raw := []byte(pad[:16<<10-cut] + tail + "\r\n")
			if !MentionsCalendar(raw) {
				t.Errorf("%q at %d: not found", tail, 16<<10-cut)
			}
			raw = []byte(pad[:16<<10-cut] + tail[:len(tail)-1] + "\r\n" + pad)
			if MentionsCalendar(raw) {
				t.Errorf("%q cut short at %d: found", tail, 16<<10-cut)
			}
		}
	}
}
