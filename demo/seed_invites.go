package demo

import (
	"crypto/tls"
	"fmt"
	"io"
	"log"
	"net/http"
	"strings"
	"sync/atomic"
	"time"
)

// showcase is the state of Options.Showcase: the HTTPS server that
// answers the demo lists' one-click unsubscriptions.
type showcase struct {
	url  string // https://127.0.0.1:port
	srv  *http.Server
	hits atomic.Int64
}

// startShowcase serves the unsubscribe endpoint and adds invitations and
// mailing-list mail to alice's INBOX, dated just after the generated mail.
func (s *Servers) startShowcase(now time.Time) error {
	ln, err := tls.Listen("tcp", "127.0.0.1:0", s.serverTLS)
	if err != nil {
		return fmt.Errorf("demo: listen: %w", err)
	}
	sc := &showcase{url: "https://" + ln.Addr().String()}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /unsubscribe/{list}", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		if r.PostForm.Get("List-Unsubscribe") != "One-Click" {
			http.Error(w, "not a one-click request", http.StatusBadRequest)
			return
		}
		sc.hits.Add(1)
		fmt.Fprintln(w, "You are unsubscribed.")
	})
	mux.HandleFunc("/moved/{list}", func(w http.ResponseWriter, r *http.Request) {
		// Another host name for the same server: posta must not follow.
		http.Redirect(w, r, "https://localhost:"+strings.Split(ln.Addr().String(), ":")[1]+"/unsubscribe/"+r.PathValue("list"), http.StatusTemporaryRedirect)
	})
	// A refused certificate is the client's business, not a line on the
	// reader's screen.
	sc.srv = &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second, ErrorLog: log.New(io.Discard, "", 0)}
	go sc.srv.Serve(ln)
	s.showcase = sc
	s.UnsubscribeURL = sc.url

	alice, bob := s.Accounts[0], s.Accounts[1]
	u := s.imapUsers[alice.Username]
	owner := "Alice Example <" + alice.Address + ">"
	msgs := append(InvitationMessages(now, owner, "Bob <"+bob.Address+">"), ListMessages(now, owner, sc.url)...)
	for i, raw := range msgs {
		g := Generated{Raw: raw, Date: now.Add(time.Duration(i+1) * time.Second)}
		if err := u.appendRaw("INBOX", g); err != nil {
			return fmt.Errorf("demo: seed invitations: %w", err)
		}
	}
	return nil
}

// UnsubscribeHits says how many one-click unsubscriptions the showcase's
// HTTPS server accepted.
func (s *Servers) UnsubscribeHits() int64 {
	if s.showcase == nil {
		return 0
	}
	return s.showcase.hits.Load()
}

func (sc *showcase) close() error {
	if sc == nil {
		return nil
	}
	return sc.srv.Close()
}

// nextMonday returns the first Monday after now at hour:00 in loc.
func nextMonday(now time.Time, loc *time.Location, hour int) time.Time {
	d := now.In(loc)
	days := (8 - int(d.Weekday())) % 7
	if days == 0 {
		days = 7
	}
	return time.Date(d.Year(), d.Month(), d.Day()+days, hour, 0, 0, 0, loc)
}

// InvitationMessages returns three invitations (iMIP) to owner from
// organizer, both "Name <addr>": a weekly meeting written in New York
// time, a one-off meeting that overlaps its first occurrence, and the
// cancellation of a talk.
func InvitationMessages(now time.Time, owner, organizer string) [][]byte {
	ny, err := time.LoadLocation("America/New_York")
	tzid := "America/New_York"
	if err != nil {
		ny, tzid = time.FixedZone("UTC-5", -5*3600), ""
	}
	weekly := nextMonday(now, ny, 10)
	until := weekly.AddDate(0, 3, 0).UTC().Format("20060102T150405Z")
	overlap := weekly.Add(30 * time.Minute).UTC()
	talk := nextMonday(now, time.UTC, 12).AddDate(0, 0, 4)
	orgAddr, orgName := splitAddr(organizer)
	ownAddr, ownName := splitAddr(owner)
	stamp := now.UTC().Format("20060102T150405Z")
	local := func(t time.Time) string {
		if tzid == "" {
			return ":" + t.UTC().Format("20060102T150405Z")
		}
		return ";TZID=" + tzid + ":" + t.Format("20060102T150405")
	}
	utc := func(t time.Time) string { return ":" + t.UTC().Format("20060102T150405Z") }
	event := func(method, uid, summary, start, end, extra string, seq int, partstat string) string {
		var b strings.Builder
		b.WriteString("BEGIN:VCALENDAR\r\nPRODID:-//posta demo//EN\r\nVERSION:2.0\r\nMETHOD:" + method + "\r\n")
		if strings.Contains(start, "TZID=") {
			b.WriteString("BEGIN:VTIMEZONE\r\nTZID:America/New_York\r\nBEGIN:STANDARD\r\nDTSTART:19701101T020000\r\n" +
				"RRULE:FREQ=YEARLY;BYMONTH=11;BYDAY=1SU\r\nTZOFFSETFROM:-0400\r\nTZOFFSETTO:-0500\r\nEND:STANDARD\r\n" +
				"BEGIN:DAYLIGHT\r\nDTSTART:19700308T020000\r\nRRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=2SU\r\nTZOFFSETFROM:-0500\r\n" +
				"TZOFFSETTO:-0400\r\nEND:DAYLIGHT\r\nEND:VTIMEZONE\r\n")
		}
		fmt.Fprintf(&b, "BEGIN:VEVENT\r\nUID:%s\r\nSEQUENCE:%d\r\nDTSTAMP:%s\r\nDTSTART%s\r\nDTEND%s\r\n", uid, seq, stamp, start, end)
		fmt.Fprintf(&b, "SUMMARY:%s\r\nORGANIZER;CN=%s:mailto:%s\r\n", summary, orgName, orgAddr)
		fmt.Fprintf(&b, "ATTENDEE;CN=%s;ROLE=CHAIR;PARTSTAT=ACCEPTED:mailto:%s\r\n", orgName, orgAddr)
		fmt.Fprintf(&b, "ATTENDEE;CN=%s;ROLE=REQ-PARTICIPANT;PARTSTAT=%s;RSVP=TRUE:mailto:%s\r\n", ownName, partstat, ownAddr)
		b.WriteString("ATTENDEE;CN=Carol Wu;ROLE=OPT-PARTICIPANT;PARTSTAT=TENTATIVE:mailto:carol@work.example\r\n")
		b.WriteString(extra)
		b.WriteString("END:VEVENT\r\nEND:VCALENDAR\r\n")
		return b.String()
	}
	mk := func(i int, subject, method, ics string) []byte {
		var b strings.Builder
		id := fmt.Sprintf("<invite-%d.%d@home.example>", i, now.Unix())
		fmt.Fprintf(&b, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: %s\r\nMIME-Version: 1.0\r\n",
			now.Add(time.Duration(i)*time.Second).Format(time.RFC1123Z), organizer, owner, subject, id)
		boundary := fmt.Sprintf("=_invite_%d", i)
		fmt.Fprintf(&b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary)
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", boundary, strings.SplitN(subject, ": ", 2)[1]+"\r\n\r\nThis message holds a calendar invitation.")
		fmt.Fprintf(&b, "--%s\r\nContent-Type: text/calendar; charset=utf-8; method=%s\r\n\r\n%s", boundary, method, ics)
		fmt.Fprintf(&b, "--%s--\r\n", boundary)
		return []byte(b.String())
	}
	return [][]byte{
		mk(1, "Invitation: Team sync (weekly)", "REQUEST", event("REQUEST", "team-sync@home.example", "Team sync",
			local(weekly), local(weekly.Add(time.Hour)), "RRULE:FREQ=WEEKLY;BYDAY=MO;UNTIL="+until+"\r\nLOCATION:Room 4\\, second floor\r\n", 0, "NEEDS-ACTION")),
		mk(2, "Invitation: Budget review", "REQUEST", event("REQUEST", "budget-review@home.example", "Budget review",
			utc(overlap), utc(overlap.Add(time.Hour)), "LOCATION:Video call\r\nDESCRIPTION:Numbers for Q1.\r\n", 1, "NEEDS-ACTION")),
		mk(3, "Cancelled: Lunch talk", "CANCEL", event("CANCEL", "lunch-talk@home.example", "Lunch talk: posta internals",
			utc(talk), utc(talk.Add(time.Hour)), "STATUS:CANCELLED\r\nCOMMENT:The speaker is ill\\; see you next month.\r\n", 2, "ACCEPTED")),
	}
}

// ListMessages returns four mailing-list messages to owner: one whose
// List-Unsubscribe offers a one-click POST to base (RFC 8058) and a
// mailto:, one with a mailto: link only, one whose one-click address
// redirects to another host name, and one with a web page only.
func ListMessages(now time.Time, owner, base string) [][]byte {
	mk := func(i int, list, from, subject, unsub, post, body string) []byte {
		var b strings.Builder
		fmt.Fprintf(&b, "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <list-%d.%d@lists.example>\r\n",
			now.Add(time.Duration(10+i)*time.Second).Format(time.RFC1123Z), from, owner, subject, i, now.Unix())
		fmt.Fprintf(&b, "List-Id: <%s>\r\nList-Unsubscribe: %s\r\n", list, unsub)
		if post != "" {
			b.WriteString("List-Unsubscribe-Post: " + post + "\r\n")
		}
		b.WriteString("MIME-Version: 1.0\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + body + "\r\n")
		return []byte(b.String())
	}
	return [][]byte{
		mk(1, "news.lists.example", "Gadget News <news@lists.example>", "This week in gadgets",
			"<mailto:leave-news@lists.example?subject=unsubscribe>,\r\n <"+base+"/unsubscribe/news>", "List-Unsubscribe=One-Click",
			"Ten gadgets you did not know you needed.\r\n\r\nPress U to unsubscribe (one click, after you confirm)."),
		mk(2, "posta-users.lists.example", "posta-users <posta-users@home.example>", "[posta-users] Tips for the pager",
			"<mailto:bob@home.example?subject=unsubscribe%20posta-users>", "",
			"Did you know J and K move between messages in the pager?\r\n\r\nPress U: this list is left by mail (composed for review)."),
		mk(0, "recipes.lists.example", "Recipes <recipes@lists.example>", "Soup of the week",
			"<https://recipes.lists.example/leave?u=alice>", "",
			"Leek and potato.\r\n\r\nPress U: this list only gives a page to open, which posta shows and never fetches."),
		mk(3, "deals.lists.example", "Deals <deals@lists.example>", "Deals of the day",
			"<"+base+"/moved/deals>", "List-Unsubscribe=One-Click",
			"Everything must go.\r\n\r\nPress U: this list's one-click address redirects to another host, which posta refuses to follow."),
	}
}

// splitAddr splits "Name <addr>" into its address and name.
func splitAddr(s string) (addr, name string) {
	if i := strings.IndexByte(s, '<'); i >= 0 {
		return strings.Trim(s[i+1:], "> "), strings.TrimSpace(s[:i])
	}
	return s, ""
}
