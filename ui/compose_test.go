package ui

import (
	"context"
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/message"
)

// hostileDraft is a reply to all of a hostile message: a 50 MB subject,
// 100,000 addresses in Cc and a 50 MB body.
func hostileDraft() message.Draft {
	cc := make([]string, 100_000)
	for i := range cc {
		cc[i] = fmt.Sprintf("user%d@example.org", i)
	}
	return message.Draft{
		From:    "me@example.org",
		To:      []string{"sender@example.org"},
		Cc:      cc,
		Subject: "Re: " + strings.Repeat("spam ", 10<<20),
		Body:    strings.Repeat("> quoted line\n", 4<<20),
	}
}

// TestComposeReviewBounded: the review screen of a hostile reply fits
// its terminal, shows the Cc list as a count, and costs little memory.
func TestComposeReviewBounded(t *testing.T) {
	c := compose{account: "work", draft: hostileDraft()}
	runtime.GC()
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	var view string
	for range 10 {
		view = c.view(DefaultTheme(), DefaultKeyMap(), 80, 24)
	}
	runtime.ReadMemStats(&after)
	if grown := after.TotalAlloc - before.TotalAlloc; grown > 20<<20 {
		t.Errorf("10 renders allocated %d MiB", grown>>20)
	}
	lines := strings.Split(view, "\n")
	if len(lines) > 24 {
		t.Errorf("the review is %d lines, taller than 24", len(lines))
	}
	for i, l := range lines {
		if w := ansi.StringWidth(l); w > 80 {
			t.Errorf("line %d is %d cells wide, wider than 80", i, w)
		}
	}
	if !strings.Contains(view, "Cc: 100,000 recipients") {
		t.Errorf("the review does not count the Cc list:\n%s", view)
	}
}

// TestComposeAsksBeforeManyRecipients: the first send of a message to
// more than askAbove recipients only asks; the second sends.
func TestComposeAsksBeforeManyRecipients(t *testing.T) {
	c := compose{account: "work", draft: hostileDraft()}
	if !c.askBeforeSending() {
		t.Fatal("a message to 100,001 recipients was sent without asking")
	}
	if view := c.view(DefaultTheme(), DefaultKeyMap(), 80, 24); !strings.Contains(ansi.Strip(view), "100,001 recipients") {
		t.Errorf("the question does not say how many recipients:\n%s", view)
	}
	if c.askBeforeSending() {
		t.Error("the second send asked again")
	}
	few := compose{draft: message.Draft{To: []string{"a@example.org"}, Cc: []string{"b@example.org"}}}
	if few.askBeforeSending() {
		t.Error("a message to 2 recipients asked")
	}
}

// TestReplyAllTakesEveryRecipient: the index keeps the first
// mail.MaxAddresses of a Cc list; a reply to all takes every address
// from the message itself, and the review screen counts them.
func TestReplyAllTakesEveryRecipient(t *testing.T) {
	set, srv := demoSet(t, 1)
	var cc []string
	for i := range 150 {
		cc = append(cc, fmt.Sprintf("user%d@example.org", i))
	}
	raw := "From: eve@example.org\r\nTo: alice@work.example\r\nCc: " + strings.Join(cc, ",\r\n ") +
		"\r\nSubject: to very many\r\nMessage-ID: <many@example.org>\r\n\r\nhi\r\n"
	if err := srv.Deliver("alice@work.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	a, err := set.Get("work")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := a.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := a.List("INBOX", 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	var orig *accounts.Message
	for i := range msgs {
		if msgs[i].Subject == "to very many" {
			orig = &msgs[i]
		}
	}
	if orig == nil {
		t.Fatal("the message did not arrive")
	}
	ready, ok := replyCmd(context.Background(), a, *orig, true)().(replyReadyMsg)
	if !ok || ready.err != nil {
		t.Fatalf("replyCmd: %+v", ready)
	}
	if n := len(ready.draft.To) + len(ready.draft.Cc); n < 150 {
		t.Errorf("the reply to all goes to %d addresses, want all 151 but alice", n)
	}
	c := compose{account: "work", draft: ready.draft}
	if view := c.view(DefaultTheme(), DefaultKeyMap(), 80, 24); !strings.Contains(view, "Cc: 150 recipients") {
		t.Errorf("the review does not count the Cc list:\n%s", view)
	}
}
