package ui

import (
	"fmt"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"
)

func TestTextLinks(t *testing.T) {
	text := "See https://example.org/a. Or (https://example.org/b), or <https://example.org/c>!\n" +
		"The wiki: https://en.wikipedia.org/wiki/Go_(language) and https://example.org/a again.\n" +
		"Not these: ftp://example.org/x, https://, mailto:a@example.org, javascript:alert(1)"
	got := textLinks(text, []string{"https://example.org/c"})
	want := []string{"https://example.org/a", "https://example.org/b", "https://en.wikipedia.org/wiki/Go_(language)"}
	if strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("textLinks = %q\nwant %q", got, want)
	}
	var many strings.Builder
	for i := range maxTextLinks + 50 {
		fmt.Fprintf(&many, "https://example.org/%d\n", i)
	}
	if n := len(textLinks(many.String(), nil)); n != maxTextLinks {
		t.Errorf("%d links kept, want %d", n, maxTextLinks)
	}
}

// Only absolute http and https addresses go to the opener: a stranger's
// file:, javascript:, data: or custom-scheme link could run something.
func TestOpenableURL(t *testing.T) {
	for _, ok := range []string{"https://example.org/x?y=1", "HTTP://Example.org", "http://127.0.0.1:8080/"} {
		if _, err := openableURL(ok); err != nil {
			t.Errorf("%q refused: %v", ok, err)
		}
	}
	for _, bad := range []string{"javascript:alert(1)", "file:///etc/passwd", "data:text/html,<b>x</b>", "mailto:a@example.org",
		"ms-msdt:/id PCWDiagnostic", "https:///nohost", "https://user:pw@example.org/", "//example.org/x", "x\x1b]0;t\x07"} {
		_, err := openableURL(bad)
		if err == nil {
			t.Errorf("%q would be opened", bad)
			continue
		}
		if strings.ContainsAny(err.Error(), "\x1b\x07") {
			t.Errorf("the refusal of %q carries raw control characters: %q", bad, err)
		}
	}
}

// The link goes to the opener as one argument, as it is; the opener's
// failure is reported.
func TestOpenLinkCmd(t *testing.T) {
	var got []string
	msg := openLinkCmd("https://example.org/a b", func(u string) []string { got = []string{"true", u}; return got })().(linkOpenedMsg)
	if msg.err != nil || len(got) != 2 || got[1] != "https://example.org/a b" {
		t.Errorf("opener got %q, err %v", got, msg.err)
	}
	msg = openLinkCmd("https://example.org/", func(u string) []string { return []string{"false", u} })().(linkOpenedMsg)
	if msg.err == nil || !strings.Contains(msg.err.Error(), "open with false") {
		t.Errorf("a failing opener: %v", msg.err)
	}
}

// The pager numbers the text's addresses below the body, after the
// HTML footnotes, and l refuses what is not http or https.
func TestPagerNumbersLinks(t *testing.T) {
	p := pagerWith(t, "From: a@example.org\r\nSubject: links\r\n\r\nGo to https://example.org/one.\r\nOr javascript:alert(1).\r\n", 80, 20)
	view := ansi.Strip(p.vp.View())
	if !strings.Contains(view, "[1] https://example.org/one") || strings.Contains(view, "[2]") {
		t.Errorf("links below the body:\n%s", view)
	}
	m := Model{theme: DefaultTheme(), width: 80, height: 24, mode: modePager, pager: p}
	if _, cmd := m.submitOpenLink("2"); cmd != nil {
		t.Errorf("link 2 of 1 opened")
	}
	m.pager.links = []string{"javascript:alert(1)"}
	model, cmd := m.submitOpenLink("1")
	if cmd != nil || !model.(Model).isError {
		t.Errorf("a javascript: link was handed to the opener")
	}
}
