package ui

import (
	"fmt"
	"strings"
	"unicode"
	"unicode/utf8"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/sanitize"
)

// Searching the shown message, as in less, mutt and aerc: / asks for the
// text, n and N go to the next and previous match, and every match on
// screen is shown in reverse video. A query without capitals ignores
// case (vim's smartcase). Matches are found within a screen line: a
// phrase the wrapping cut in two is not found.

// maxPagerMatches bounds the matches a search keeps (a one-letter query
// in a 1 MiB body).
const maxPagerMatches = 10_000

// Reverse video on and off: SGR 7 and 27 leave the colours of the line
// around the match as they are.
const (
	matchOn  = "\x1b[7m"
	matchOff = "\x1b[27m"
)

// pagerMatch is one match: the screen line and its bytes [start, end)
// in that line's text without styling.
type pagerMatch struct {
	line, start, end int
}

// pagerSearch is the search of the shown message.
type pagerSearch struct {
	query   string
	matches []pagerMatch
	cur     int // the match last gone to
}

// findMatches returns the matches of query in lines (text without
// styling), at most maxPagerMatches.
func findMatches(lines []string, query string) []pagerMatch {
	if query == "" {
		return nil
	}
	q := []rune(query)
	fold := strings.ToLower(query) == query // smartcase
	var out []pagerMatch
	for n, line := range lines {
		for i := 0; i < len(line); {
			if end, ok := matchAt(line, i, q, fold); ok {
				out = append(out, pagerMatch{line: n, start: i, end: end})
				if len(out) == maxPagerMatches {
					return out
				}
				i = end
				continue
			}
			_, size := utf8.DecodeRuneInString(line[i:])
			i += size
		}
	}
	return out
}

// matchAt reports whether q matches line at byte i, and where the match
// ends.
func matchAt(line string, i int, q []rune, fold bool) (int, bool) {
	for _, want := range q {
		if i >= len(line) {
			return 0, false
		}
		r, size := utf8.DecodeRuneInString(line[i:])
		if r != want && (!fold || unicode.ToLower(r) != want) {
			return 0, false
		}
		i += size
	}
	return i, true
}

// stripStyle returns s without its escape sequences: the pager's content
// holds only those lipgloss writes (the message's own text is sanitized
// before, so it has none).
func stripStyle(s string) string {
	if !strings.Contains(s, "\x1b") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if n := escapeLen(s[i:]); n > 0 {
			i += n
			continue
		}
		b.WriteByte(s[i])
		i++
	}
	return b.String()
}

// escapeLen returns the length of the escape sequence s starts with (a
// CSI or OSC sequence, or ESC and one byte), or 0.
func escapeLen(s string) int {
	if s == "" || s[0] != 0x1b {
		return 0
	}
	if len(s) < 2 {
		return 1
	}
	switch s[1] {
	case '[':
		for i := 2; i < len(s); i++ {
			if s[i] >= 0x40 && s[i] <= 0x7e {
				return i + 1
			}
		}
		return len(s)
	case ']':
		for i := 2; i < len(s); i++ {
			if s[i] == 0x07 {
				return i + 1
			}
			if s[i] == 0x1b && i+1 < len(s) && s[i+1] == '\\' {
				return i + 2
			}
		}
		return len(s)
	}
	return 2
}

// highlight returns the styled line with the spans of ms (offsets in
// the line's text without styling) in reverse video.
func highlight(styled string, ms []pagerMatch) string {
	if len(ms) == 0 {
		return styled
	}
	var b strings.Builder
	pos, k := 0, 0 // bytes of text passed; the next match
	open := false
	for i := 0; i < len(styled); {
		if n := escapeLen(styled[i:]); n > 0 {
			b.WriteString(styled[i : i+n])
			if open { // a style's reset may have ended the reverse video
				b.WriteString(matchOn)
			}
			i += n
			continue
		}
		if k < len(ms) && !open && pos == ms[k].start {
			b.WriteString(matchOn)
			open = true
		}
		b.WriteByte(styled[i])
		i++
		pos++
		if open && pos == ms[k].end {
			b.WriteString(matchOff)
			open = false
			k++
		}
	}
	if open {
		b.WriteString(matchOff)
	}
	return b.String()
}

// searchStatus says where the search stands, for the status line.
func (s *pagerSearch) status() string {
	q := sanitize.Line(s.query)
	switch len(s.matches) {
	case 0:
		return fmt.Sprintf("Not found: %q", q)
	case maxPagerMatches:
		return fmt.Sprintf("%q: match %d of the first %d · n next, N previous", q, s.cur+1, maxPagerMatches)
	}
	return fmt.Sprintf("%q: match %d of %d · n next, N previous", q, s.cur+1, len(s.matches))
}

// submitFind starts the search typed after /; an empty one goes to the
// next match of the last search, as in less.
func (m Model) submitFind(query string) (tea.Model, tea.Cmd) {
	if query == "" {
		return m.findNext(true), nil
	}
	m.pager.find(query)
	m.setInfo(m.pager.search.status())
	return m, nil
}

// findNext goes to the next match (forward) or the previous one.
func (m Model) findNext(forward bool) Model {
	s := &m.pager.search
	if s.query == "" {
		m.setInfo("No search yet: / finds text in the message.")
		return m
	}
	step := 1
	if !forward {
		step = -1
	}
	wrapped := m.pager.nextMatch(step)
	status := s.status()
	if wrapped {
		if forward {
			status += " · from the top"
		} else {
			status += " · from the bottom"
		}
	}
	m.setInfo(status)
	return m
}
