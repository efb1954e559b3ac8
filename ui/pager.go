package ui

import (
	"bytes"
	"fmt"
	"slices"
	"strings"

	"github.com/charmbracelet/bubbles/viewport"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// pager shows one message: sanitized headers, the text body and the
// attachment list.
type pager struct {
	msg      accounts.Message
	raw      []byte
	rendered *message.Rendered
	loading  bool
	vp       viewport.Model
	crypto   message.Crypto        // verifies and decrypts; nil for plain mail
	invites  []accounts.Invitation // its calendar parts, shown above the body (invite.go)
	full     bool                  // every header field, not only the main ones (h)
	lines    []string              // the content, a screen line each
	search   pagerSearch           // the search of this message (pagersearch.go)
	links    []string              // numbered below the body: the HTML footnotes, then the text's addresses (links.go)
}

func newPager(m accounts.Message, width, height int) pager {
	vp := viewport.New(width, height)
	p := pager{msg: m, loading: true, vp: vp}
	p.setContent("Loading message…")
	return p
}

// setRaw renders the raw message for the current width.
func (p *pager) setRaw(t Theme, raw []byte) {
	p.raw = raw
	p.loading = false
	p.render(t)
}

func (p *pager) render(t Theme) {
	if p.raw == nil {
		return
	}
	r, err := message.Render(bytes.NewReader(p.raw), message.Options{Width: max(p.vp.Width-1, 20), Crypto: p.crypto, AllHeaders: p.full})
	if err != nil {
		p.setContent("Cannot show this message: " + sanitize.Line(err.Error()))
		return
	}
	p.rendered = r
	p.links = append(slices.Clone(r.Links), textLinks(r.Body, r.Links)...)
	p.setContent(pagerContent(t, r, p.vp.Width, p.inviteCard(t, p.vp.Width), p.links))
}

// setContent shows content, its search's matches in reverse video. A
// line wider than the screen is wrapped here: the viewport cuts it at
// the screen's edge (a long Subject or To, a link, a DKIM-Signature in
// the full header).
func (p *pager) setContent(content string) {
	split := strings.Split(content, "\n")
	lines := make([]string, 0, len(split))
	for _, l := range split {
		if p.vp.Width > 0 && ansi.StringWidth(l) > p.vp.Width {
			lines = append(lines, strings.Split(ansi.Wrap(l, p.vp.Width, ""), "\n")...)
			continue
		}
		lines = append(lines, l)
	}
	p.lines = lines
	p.showMatches()
}

// showMatches finds the search's matches in the content again (after a
// new search, or a new width) and shows them.
func (p *pager) showMatches() {
	s := &p.search
	if s.query == "" {
		s.matches = nil
		p.vp.SetContent(strings.Join(p.lines, "\n"))
		return
	}
	plain := make([]string, len(p.lines))
	for i, l := range p.lines {
		plain[i] = stripStyle(l)
	}
	s.matches = findMatches(plain, s.query)
	s.cur = min(s.cur, max(len(s.matches)-1, 0))
	shown := make([]string, len(p.lines))
	copy(shown, p.lines)
	for i := 0; i < len(s.matches); {
		j := i
		for j < len(s.matches) && s.matches[j].line == s.matches[i].line {
			j++
		}
		n := s.matches[i].line
		shown[n] = highlight(p.lines[n], s.matches[i:j])
		i = j
	}
	p.vp.SetContent(strings.Join(shown, "\n"))
}

// find starts a search for query: the first match from the top of the
// screen on, else the first one.
func (p *pager) find(query string) {
	p.search = pagerSearch{query: query}
	p.showMatches()
	for i, m := range p.search.matches {
		if m.line >= p.vp.YOffset {
			p.search.cur = i
			break
		}
	}
	p.showMatch()
}

// nextMatch goes to the next match (step 1) or the previous one (-1),
// round the end; it reports whether it went round.
func (p *pager) nextMatch(step int) (wrapped bool) {
	s := &p.search
	if len(s.matches) == 0 {
		return false
	}
	s.cur += step
	switch {
	case s.cur >= len(s.matches):
		s.cur, wrapped = 0, true
	case s.cur < 0:
		s.cur, wrapped = len(s.matches)-1, true
	}
	p.showMatch()
	return wrapped
}

// showMatch scrolls the current match to the top of the screen unless
// it is on screen already.
func (p *pager) showMatch() {
	s := &p.search
	if len(s.matches) == 0 {
		return
	}
	line := s.matches[s.cur].line
	if line < p.vp.YOffset || line >= p.vp.YOffset+p.vp.Height {
		p.vp.SetYOffset(line)
	}
}

func (p *pager) setSize(t Theme, width, height int) {
	p.vp.Width, p.vp.Height = width, height
	p.render(t)
}

// pagerContent lays out a rendered message; its strings are already
// sanitized by the message package. card, when not empty, is shown above
// the body (an invitation's event card); links are numbered below it.
func pagerContent(t Theme, r *message.Rendered, width int, card string, links []string) string {
	var b strings.Builder
	for _, h := range r.Headers {
		b.WriteString(t.Pager.HeaderName.Render(h.Name+":") + " " + t.Pager.HeaderValue.Render(h.Value) + "\n")
		if h.Note != "" {
			// A second From, a differing Sender or Reply-To, a lookalike
			// address: said under the line, in the warning colour.
			b.WriteString(t.Pager.SecurityAlarm.Width(max(width, 20)).Render("["+h.Note+"]") + "\n")
		}
	}
	for _, w := range r.Warnings {
		b.WriteString(t.Pager.Separator.Render("["+w+"]") + "\n")
	}
	for _, e := range r.Encryption {
		b.WriteString(securityStyle(t, e.Alarming()).Width(max(width, 20)).Render("["+e.Words()+"]") + "\n")
	}
	for _, s := range r.Signatures {
		b.WriteString(securityStyle(t, s.Alarming()).Width(max(width, 20)).Render("["+s.Words()+"]") + "\n")
	}
	b.WriteString(t.Pager.Separator.Render(strings.Repeat("─", max(width, 1))) + "\n")
	b.WriteString(card)
	b.WriteString(r.Body)
	if !strings.HasSuffix(r.Body, "\n") {
		b.WriteString("\n")
	}
	if len(links) > 0 {
		b.WriteString("\n")
		for i, l := range links {
			fmt.Fprintf(&b, "[%d] %s\n", i+1, l)
		}
	}
	if len(r.Attachments) > 0 {
		b.WriteString("\n" + t.Pager.Separator.Render("Attachments:") + "\n")
		for _, a := range r.Attachments {
			b.WriteString(t.Pager.Attachment.Render(fmt.Sprintf("[%d] %s  %s  %s", a.Index, a.Name, a.ContentType, humanSize(a.Size))) + "\n")
		}
	}
	return b.String()
}

func securityStyle(t Theme, alarming bool) lipgloss.Style {
	if alarming {
		return t.Pager.SecurityAlarm
	}
	return t.Pager.Security
}

// humanSize formats a byte count briefly.
func humanSize(n int64) string {
	switch {
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	case n >= 1<<10:
		return fmt.Sprintf("%d KB", n>>10)
	default:
		return fmt.Sprintf("%d B", n)
	}
}

// hasAttachment reports whether the shown message lists attachment n.
func (p *pager) hasAttachment(n int) bool {
	if p.rendered == nil {
		return false
	}
	for _, a := range p.rendered.Attachments {
		if a.Index == n {
			return true
		}
	}
	return false
}
