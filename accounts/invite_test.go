package accounts

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/calendar"
	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/unsubscribe"
)

// startShowcase is startDemoFixture with the demo's invitations and
// mailing-list mail.
func startShowcase(t *testing.T) *demoFixture {
	t.Helper()
	srv, err := demo.Start(demo.Options{Messages: 3, Showcase: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &Config{DefaultAccount: "work"}
	for _, a := range srv.Accounts {
		fetch := srv.IMAPAddr
		if a.Kind == "pop3" {
			fetch = srv.POP3Addr
		}
		cfg.Accounts = append(cfg.Accounts, AccountConfig{
			Name: a.Name, Address: a.Address, DisplayName: strings.ToUpper(a.Username[:1]) + a.Username[1:],
			Fetch: FetchConfig{Kind: a.Kind, ServerConfig: fixtureServer(t, fetch, "tls", a, ca)},
			SMTP:  fixtureServer(t, srv.SMTPAddr, "starttls", a, ca),
		})
	}
	return &demoFixture{srv: srv, cfg: cfg, cacheDir: filepath.Join(dir, "cache"), dataDir: filepath.Join(dir, "data")}
}

func bySubject(t *testing.T, set *Set, account, subject string) Message {
	t.Helper()
	msgs, err := set.cache.List(cache.Query{Account: account, Folder: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range msgs {
		if m.Subject == subject {
			return m
		}
	}
	t.Fatalf("no message %q in %s's INBOX", subject, account)
	return Message{}
}

func TestInvitationConflictAndReply(t *testing.T) {
	f := startShowcase(t)
	set := f.open(t)
	ctx := context.Background()
	work, _ := set.Get("work")
	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	// The weekly meeting is read first: its body is then in the cache.
	weekly := bySubject(t, set, "work", "Invitation: Team sync (weekly)")
	raw, err := work.Body(ctx, weekly.ID)
	if err != nil {
		t.Fatal(err)
	}
	invs, err := work.InvitationsIn(weekly.ID, raw)
	if err != nil || len(invs) != 1 || invs[0].Invite == nil {
		t.Fatalf("InvitationsIn(weekly) = %+v, %v", invs, err)
	}
	if e := invs[0].Invite.Events[0]; e.Summary != "Team sync" || !strings.HasPrefix(e.Recurrence, "every week on Monday until ") {
		t.Errorf("weekly event = %q, %q", e.Summary, e.Recurrence)
	}
	budget := bySubject(t, set, "work", "Invitation: Budget review")
	raw, err = work.Body(ctx, budget.ID)
	if err != nil {
		t.Fatal(err)
	}
	invs, err = work.InvitationsIn(budget.ID, raw)
	if err != nil || len(invs) != 1 || len(invs[0].Conflicts) != 1 || len(invs[0].Conflicts[0]) != 1 || invs[0].Conflicts[0][0].Summary != "Team sync" {
		t.Fatalf("InvitationsIn(budget) = %+v, %v, want a conflict with the team sync", invs, err)
	}
	// The cancelled talk overlaps nothing and is not itself a conflict.
	talk := bySubject(t, set, "work", "Cancelled: Lunch talk")
	raw, _ = work.Body(ctx, talk.ID)
	if invs, err := work.InvitationsIn(talk.ID, raw); err != nil || invs[0].Invite.Method != "CANCEL" || len(invs[0].Conflicts[0]) != 0 {
		t.Fatalf("InvitationsIn(talk) = %+v, %v", invs, err)
	}

	res, err := work.RespondInvite(ctx, budget.ID, Accept, "I will bring the numbers.")
	if err != nil || res.To != "bob@home.example" {
		t.Fatalf("RespondInvite() = %+v, %v", res, err)
	}
	if m, _ := work.Message(budget.ID); !m.Flags.Has(mail.FlagAnswered) {
		t.Errorf("the answered invitation's flags = %v, want \\Answered", m.Flags)
	}
	home, _ := set.Get("home")
	if _, err := home.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	reply := bySubject(t, set, "home", "Accepted: Budget review")
	raw, err = home.Body(ctx, reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	if reply.InReplyTo != strings.Trim(budget.MessageID, "<>") && reply.InReplyTo != budget.MessageID {
		t.Errorf("reply In-Reply-To = %q, want %q", reply.InReplyTo, budget.MessageID)
	}
	parts, err := message.CalendarParts(raw)
	if err != nil || len(parts) != 1 || parts[0].Method != "REPLY" {
		t.Fatalf("reply's calendar parts = %+v, %v", parts, err)
	}
	inv, err := calendar.Parse(parts[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	e := inv.Events[0]
	if inv.Method != "REPLY" || e.UID != "budget-review@home.example" || e.Sequence != 1 || len(e.Attendees) != 1 ||
		e.Attendees[0].Addr != "alice@work.example" || e.Attendees[0].PartStat != "ACCEPTED" || e.Comment != "I will bring the numbers." {
		t.Errorf("reply = method %s, event %+v", inv.Method, e)
	}
	if !strings.Contains(string(raw), "Content-Type: multipart/alternative") {
		t.Errorf("reply is not multipart/alternative:\n%s", raw)
	}
	// A cancellation takes no answer.
	if _, err := work.RespondInvite(ctx, talk.ID, Decline, ""); err == nil {
		t.Error("RespondInvite(cancellation) succeeded")
	}
	path := filepath.Join(t.TempDir(), "budget.ics")
	if err := work.ExportInvite(ctx, budget.ID, path); err != nil {
		t.Fatal(err)
	}
	if b, err := os.ReadFile(path); err != nil || !strings.Contains(string(b), "UID:budget-review@home.example") {
		t.Errorf("exported %q, %v", b, err)
	}
	if err := work.ExportInvite(ctx, budget.ID, path); err == nil {
		t.Error("ExportInvite over an existing file succeeded")
	}
}

func TestUnsubscription(t *testing.T) {
	f := startShowcase(t)
	set := f.open(t)
	ctx := context.Background()
	work, _ := set.Get("work")
	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	news := bySubject(t, set, "work", "This week in gadgets")
	u, err := work.Unsubscription(ctx, news.ID)
	if err != nil || u.Method != unsubscribe.OneClick || u.Host != strings.TrimPrefix(f.srv.UnsubscribeURL, "https://") {
		t.Fatalf("Unsubscription(news) = %+v, %v", u, err)
	}
	if f.srv.UnsubscribeHits() != 0 {
		t.Fatal("reading the plan fetched something")
	}
	if _, err := OneClickUnsubscribe(ctx, u, f.srv.TLSConfig().RootCAs); err != nil || f.srv.UnsubscribeHits() != 1 {
		t.Fatalf("OneClickUnsubscribe() error = %v, hits %d", err, f.srv.UnsubscribeHits())
	}
	list := bySubject(t, set, "work", "[posta-users] Tips for the pager")
	u, err = work.Unsubscription(ctx, list.ID)
	if err != nil || u.Method != unsubscribe.Mailto || u.Draft == nil || u.Draft.To[0] != "bob@home.example" ||
		u.Draft.Subject != "unsubscribe posta-users" || !strings.Contains(u.Draft.From, "alice@work.example") {
		t.Fatalf("Unsubscription(list) = %+v, %v", u, err)
	}
	if _, err := OneClickUnsubscribe(ctx, u, nil); err == nil {
		t.Error("OneClickUnsubscribe(mailto plan) succeeded")
	}
	soup := bySubject(t, set, "work", "Soup of the week")
	if u, err := work.Unsubscription(ctx, soup.ID); err != nil || u.Method != unsubscribe.Link || u.Host != "recipes.lists.example" {
		t.Errorf("Unsubscription(soup) = %+v, %v, want the page", u, err)
	}
	plain := bySubject(t, set, "work", "Cancelled: Lunch talk")
	if _, err := work.Unsubscription(ctx, plain.ID); err == nil {
		t.Error("Unsubscription(no List-Unsubscribe) succeeded")
	}
}

// TestInvitationAnsweredFromIdentity: an invitation that lists one of the
// account's other identities is answered from that identity.
func TestInvitationAnsweredFromIdentity(t *testing.T) {
	f := startShowcase(t)
	f.cfg.Accounts[0].Identities = []IdentityConfig{{Address: "info@work.example", DisplayName: "Info desk"}}
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:open-day@home.example\r\n" +
		"DTSTAMP:20261201T120000Z\r\nDTSTART:20261210T090000Z\r\nDTEND:20261210T170000Z\r\nSUMMARY:Open day\r\n" +
		"ORGANIZER:mailto:bob@home.example\r\nATTENDEE;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:info@work.example\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	raw := "From: bob@home.example\r\nTo: info@work.example\r\nSubject: Open day\r\nMessage-ID: <open-day@home.example>\r\n" +
		"MIME-Version: 1.0\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n" + ics
	if err := f.srv.Deliver("alice@work.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	set := f.open(t)
	ctx := context.Background()
	work, _ := set.Get("work")
	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	inv := bySubject(t, set, "work", "Open day")
	if _, err := work.RespondInvite(ctx, inv.ID, Tentative, ""); err != nil {
		t.Fatalf("RespondInvite() error = %v", err)
	}
	home, _ := set.Get("home")
	if _, err := home.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	reply := bySubject(t, set, "home", "Tentatively accepted: Open day")
	if len(reply.From) != 1 || reply.From[0].Addr != "info@work.example" || reply.From[0].Name != "Info desk" {
		t.Errorf("reply From = %+v, want the info desk identity", reply.From)
	}
	body, _ := home.Body(ctx, reply.ID)
	if !strings.Contains(string(body), "PARTSTAT=TENTATIVE") || !strings.Contains(string(body), "mailto:info@work.example") {
		t.Errorf("reply:\n%s", body)
	}
}

// TestInvitationMalformed: a calendar part that cannot be read is one
// sanitized line, and the message still opens.
func TestInvitationMalformed(t *testing.T) {
	f := startShowcase(t)
	raw := "From: mallory@evil.example\r\nTo: alice@work.example\r\nSubject: Broken invite\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: text/calendar; method=REQUEST\r\n\r\nBEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nSUMMARY:x\r\nEND:\x1b]0;pwned\x07VTODO\r\n"
	if err := f.srv.Deliver("alice@work.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	set := f.open(t)
	ctx := context.Background()
	work, _ := set.Get("work")
	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	m := bySubject(t, set, "work", "Broken invite")
	body, err := work.Body(ctx, m.ID)
	if err != nil {
		t.Fatal(err)
	}
	invs, err := work.InvitationsIn(m.ID, body)
	if err != nil || len(invs) != 1 || invs[0].Invite != nil || !strings.Contains(invs[0].Err, "malformed") {
		t.Fatalf("InvitationsIn() = %+v, %v, want one error line", invs, err)
	}
	if strings.ContainsAny(invs[0].Err, "\x1b\x07\r\n") || !strings.Contains(invs[0].Err, "pwned") {
		t.Errorf("error line is not the sanitized error: %q", invs[0].Err)
	}
	if _, err := work.RespondInvite(ctx, m.ID, Accept, ""); err == nil {
		t.Error("RespondInvite(malformed) succeeded")
	}
}
