package demo

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/calendar"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/unsubscribe"
)

func TestShowcaseSeedsInvitationsAndLists(t *testing.T) {
	s := startDemo(t, Options{Messages: 5, Showcase: true})
	st, err := dialIMAP(t, s).Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 5+7 {
		t.Fatalf("INBOX status = %v, %v; want 12 messages", st, err)
	}
	now := time.Now()
	invites := InvitationMessages(now, "Alice <alice@work.example>", "Bob <bob@home.example>")
	var spans []calendar.Span
	for _, raw := range invites {
		parts, err := message.CalendarParts(raw)
		if err != nil || len(parts) != 1 {
			t.Fatalf("CalendarParts() = %v, %v", parts, err)
		}
		inv, err := calendar.Parse(parts[0].Data)
		if err != nil {
			t.Fatalf("Parse() error = %v\n%s", err, parts[0].Data)
		}
		spans = append(spans, inv.Events[0].Span())
	}
	if _, _, ok := calendar.Overlap(spans[1], spans[0]); !ok {
		t.Error("the budget review does not overlap the team sync")
	}
	if _, _, ok := calendar.Overlap(spans[2], spans[0]); ok {
		t.Error("the lunch talk overlaps the team sync")
	}

	c := &unsubscribe.Client{RootCAs: s.TLSConfig().RootCAs}
	u, _ := url.Parse(s.UnsubscribeURL + "/unsubscribe/news")
	if _, err := c.OneClick(context.Background(), u); err != nil || s.UnsubscribeHits() != 1 {
		t.Fatalf("OneClick() error = %v, hits %d", err, s.UnsubscribeHits())
	}
	u, _ = url.Parse(s.UnsubscribeURL + "/moved/deals")
	var re *unsubscribe.RedirectError
	if _, err := c.OneClick(context.Background(), u); !errors.As(err, &re) || !strings.HasPrefix(re.To, "localhost:") {
		t.Fatalf("OneClick(moved) error = %v, want a redirect to localhost refused", err)
	}
	if s.UnsubscribeHits() != 1 {
		t.Errorf("hits after the refused redirect = %d, want 1", s.UnsubscribeHits())
	}
}
