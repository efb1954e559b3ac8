//go:build interop

package interop

import (
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/calendar"
	"github.com/posta-mail/posta/message"
)

// TestInvitationReplyThroughPostfix: alice answers an invitation bob
// sent; the iMIP reply goes through Postfix's submission to bob's
// Dovecot mailbox, where it reads as bob's calendar would read it.
func TestInvitationReplyThroughPostfix(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	uid := uniqueName(t, "imip-") + "@example.test"
	summary := "Review " + uid[:16]
	ics := "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//interop//EN\r\nMETHOD:REQUEST\r\nBEGIN:VEVENT\r\nUID:" + uid + "\r\n" +
		"SEQUENCE:3\r\nDTSTAMP:20261201T120000Z\r\nDTSTART;TZID=Europe/Berlin:20261210T090000\r\nDTEND;TZID=Europe/Berlin:20261210T100000\r\n" +
		"RECURRENCE-ID;TZID=Europe/Berlin:20261210T090000\r\nSUMMARY:" + summary + "\r\nORGANIZER;CN=Bob:mailto:" + bob + "\r\n" +
		"ATTENDEE;CN=Alice;PARTSTAT=NEEDS-ACTION;RSVP=TRUE:mailto:" + alice + "\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
	raw := "From: Bob <" + bob + ">\r\nTo: Alice <" + alice + ">\r\nSubject: Invitation: " + summary + "\r\nMessage-ID: <" + uid + ">\r\n" +
		"Date: " + time.Now().Format(time.RFC1123Z) + "\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nYou are invited.\r\n--b\r\nContent-Type: text/calendar; method=REQUEST; charset=utf-8\r\n\r\n" + ics + "--b--\r\n"
	other := s.rawIMAP(t, alice, alicePass)
	cmd := other.Append(inbox, int64(len(raw)), nil)
	if _, err := cmd.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}

	bobCfg := accounts.AccountConfig{Name: "bob", Address: bob, DisplayName: "Bob",
		Fetch: accounts.FetchConfig{Kind: "imap", Folders: []string{inbox}, ServerConfig: serverConfig(t, s.imapTLS, "tls", bob, bobPass)},
		SMTP:  serverConfig(t, s.submission, "starttls", bob, bobPass)}
	set := openAccounts(t, t.TempDir(), s.imapAccount(t, inbox), bobCfg)
	a, _ := set.Get("alice")
	if _, err := a.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	invite := cachedBySubject(t, set, "alice", inbox, "Invitation: "+summary)
	if _, err := a.RespondInvite(ctx, invite.ID, accounts.Decline, "Travelling, sorry."); err != nil {
		t.Fatalf("RespondInvite: %v", err)
	}

	b, _ := set.Get("bob")
	deadline := time.Now().Add(deliveryIn)
	var reply accounts.Message
	for {
		if _, err := b.Sync(ctx, nil); err != nil {
			t.Fatal(err)
		}
		msgs, _ := b.List(inbox, 50, 0)
		for _, m := range msgs {
			if m.Subject == "Declined: "+summary {
				reply = m
			}
		}
		if reply.ID != 0 || time.Now().After(deadline) {
			break
		}
		time.Sleep(200 * time.Millisecond)
	}
	if reply.ID == 0 {
		t.Fatalf("bob did not receive the reply within %s", deliveryIn)
	}
	body, err := b.Body(ctx, reply.ID)
	if err != nil {
		t.Fatal(err)
	}
	parts, err := message.CalendarParts(body)
	if err != nil || len(parts) != 1 || parts[0].Method != "REPLY" {
		t.Fatalf("reply's calendar parts = %+v, %v\n%s", parts, err, body)
	}
	inv, err := calendar.Parse(parts[0].Data)
	if err != nil {
		t.Fatal(err)
	}
	e := inv.Events[0]
	if inv.Method != "REPLY" || e.UID != uid || e.Sequence != 3 || e.RecurrenceID != "20261210T090000" ||
		len(e.Attendees) != 1 || e.Attendees[0].Addr != alice || e.Attendees[0].PartStat != "DECLINED" || e.Comment != "Travelling, sorry." {
		t.Errorf("bob's reading of the reply: method %s, event %+v", inv.Method, e)
	}
	if !strings.Contains(reply.InReplyTo, uid) {
		t.Errorf("reply In-Reply-To = %q, want the invitation's %s", reply.InReplyTo, uid)
	}
	invs, err := b.InvitationsIn(reply.ID, body)
	if err != nil || len(invs) != 1 || !strings.Contains(strings.Join(invs[0].Invite.Card(0, time.UTC, nil), "\n"), "Answer: Alice <"+alice+"> (declined)") {
		t.Errorf("bob's card: %+v, %v", invs, err)
	}
}
