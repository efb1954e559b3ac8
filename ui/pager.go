package ui

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/viewport"
	"github.com/charmbracelet/lipgloss"

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
}

func newPager(m accounts.Message, width, height int) pager {
	vp := viewport.New(width, height)
	vp.SetContent("Loading message…")
	return pager{msg: m, loading: true, vp: vp}
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
	r, err := message.Render(bytes.NewReader(p.raw), message.Options{Width: max(p.vp.Width-1, 20), Crypto: p.crypto})
	if err != nil {
		p.vp.SetContent("Cannot show this message: " + sanitize.Line(err.Error()))
		return
	}
	p.rendered = r
	p.vp.SetContent(pagerContent(t, r, p.vp.Width, p.inviteCard(t, p.vp.Width)))
}

func (p *pager) setSize(t Theme, width, height int) {
	p.vp.Width, p.vp.Height = width, height
	p.render(t)
}

// pagerContent lays out a rendered message; its strings are already
// sanitized by the message package. card, when not empty, is shown above
// the body (an invitation's event card).
func pagerContent(t Theme, r *message.Rendered, width int, card string) string {
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
	if len(r.Links) > 0 {
		b.WriteString("\n")
		for i, l := range r.Links {
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
