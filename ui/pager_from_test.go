package ui

import (
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
)

// TestPagerShowsEveryFromAndDifferingSender (issue 18): a message with
// two From fields and a Sender of its own shows both From lines and the
// Sender, each marked; a lookalike domain is shown in punycode.
func TestPagerShowsEveryFromAndDifferingSender(t *testing.T) {
	raw := []byte("From: Bank <service@bank.example>\r\n" +
		"From: PayPal <service@p\u0430ypal.com>\r\n" +
		"Sender: relay@evil.example\r\n" +
		"To: you@example.org\r\n" +
		"Subject: hi\r\n\r\nbody\r\n")
	p := newPager(accounts.Message{}, 100, 40)
	p.setRaw(DefaultTheme(), raw)
	view := ansi.Strip(p.vp.View())
	lines := strings.Split(view, "\n")
	for _, want := range []string{
		"From: Bank <service@bank.example>",
		"From: PayPal <service@xn--pypal-4ve.com>",
		"Sender: relay@evil.example",
		"[Sender differs from From]",
		"To: you@example.org",
	} {
		found := false
		for _, l := range lines {
			found = found || strings.TrimSpace(l) == want
		}
		if !found {
			t.Errorf("pager lacks the line %q:\n%s", want, view)
		}
	}
	if n := strings.Count(view, "this message has 2 From fields"); n != 2 {
		t.Errorf("pager marks %d From lines, want 2:\n%s", n, view)
	}
	if !strings.Contains(strings.Join(strings.Fields(view), " "), "Latin and Cyrillic letters mixed") {
		t.Errorf("pager does not say the domain mixes scripts:\n%s", view)
	}
	if strings.Contains(view, "p\u0430ypal") {
		t.Errorf("pager shows the lookalike domain as it is:\n%s", view)
	}
}
