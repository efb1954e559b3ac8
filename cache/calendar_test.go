package cache

import (
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

func TestCalendarEvents(t *testing.T) {
	c := openTest(t, testOptions(t))
	base := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	if err := c.PutHeaders("acc", []postamail.Header{header("INBOX", "1", base), header("INBOX", "2", base.Add(time.Hour)), header("INBOX", "3", base.Add(2*time.Hour))}); err != nil {
		t.Fatal(err)
	}
	msgs, err := c.List(Query{Account: "acc", Folder: "INBOX", Limit: 10})
	if err != nil || len(msgs) != 3 {
		t.Fatalf("List() = %d, %v", len(msgs), err)
	}
	id := map[string]int64{}
	for _, m := range msgs {
		id[m.UID] = m.ID
		if m.UID != "3" { // 3 has no body here: never a candidate
			if err := c.PutBody(m.ID, strings.NewReader("Subject: x\r\n\r\nbody")); err != nil {
				t.Fatal(err)
			}
		}
	}
	ids, err := c.CalendarUnscanned("acc", 10)
	if err != nil || len(ids) != 2 || ids[0] != id["2"] || ids[1] != id["1"] {
		t.Fatalf("CalendarUnscanned() = %v, %v, want [%d %d]", ids, err, id["2"], id["1"])
	}
	ev := CalendarEvent{UID: "u", Account: "acc", Method: "REQUEST", Summary: "Sync", Start: base, End: base.Add(time.Hour), Rule: "FREQ=WEEKLY"}
	if err := c.RecordCalendar(id["1"], []CalendarEvent{ev}); err != nil {
		t.Fatal(err)
	}
	ev.Method, ev.Summary = "CANCEL", "Gone"
	if err := c.RecordCalendar(id["2"], []CalendarEvent{ev}); err != nil {
		t.Fatal(err)
	}
	if ids, _ := c.CalendarUnscanned("acc", 10); len(ids) != 0 {
		t.Errorf("CalendarUnscanned() after recording = %v", ids)
	}
	got, err := c.CalendarEvents("acc", id["3"], "REQUEST")
	if err != nil || len(got) != 1 || got[0].MessageID != id["1"] || got[0].Summary != "Sync" || !got[0].End.Equal(base.Add(time.Hour)) || got[0].Rule != "FREQ=WEEKLY" {
		t.Fatalf("CalendarEvents() = %+v, %v", got, err)
	}
	if got, _ := c.CalendarEvents("acc", id["1"]); len(got) != 1 || got[0].Method != "CANCEL" {
		t.Errorf("CalendarEvents(except 1) = %+v", got)
	}
	if err := c.RemoveUIDs("acc", "INBOX", []string{"1"}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.CalendarEvents("acc", 0, "REQUEST"); len(got) != 0 {
		t.Errorf("CalendarEvents() after the message left = %+v", got)
	}
}
