package ui

import (
	"fmt"
	"runtime"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

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
