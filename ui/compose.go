package ui

import (
	"os"
	"strconv"
	"strings"

	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// compose is the review step after the editor: the user sends, edits
// again or aborts. The draft file stays on disk until then.
type compose struct {
	account string        // name of the account that sends
	path    string        // the draft file the editor wrote
	orig    message.Draft // what the editor was given (attachments held as data live only here)
	draft   message.Draft
	err     error // why the draft cannot be sent as it is
	sending bool
	// confirming is set by a first send of a message to more than
	// askAbove recipients: the next send sends it.
	confirming bool
	// resumeOf is the saved draft this message came from: it goes to the
	// Trash once the message is sent.
	resumeOf int64
	// crypto is the signing and encryption of this message
	// (compose_crypto.go).
	crypto composeCrypto
	// idLabel says which of the account's identities From is ("identity
	// 2/3"), "" when the account has one (compose_identity.go).
	idLabel string
}

// load reads back what the editor left in the draft file.
func (c *compose) load() {
	data, err := os.ReadFile(c.path)
	if err != nil {
		c.err = err
		return
	}
	edited, err := message.ParseEditorText(string(data))
	c.draft, c.err = c.orig.KeepDataAttachments(edited), err
	c.confirming = false
}

// askAbove is how many recipients a message may have before posta asks
// once more before sending it (a reply to all of a mailing list's
// message, or of a hostile message's 100,000 addresses).
const askAbove = 50

// askBeforeSending reports whether a send must be confirmed first: the
// first send of a message to more than askAbove recipients only asks.
func (c *compose) askBeforeSending() bool {
	if c.confirming || recipientCount(c.draft) <= askAbove {
		return false
	}
	c.confirming = true
	return true
}

// recipientCount counts the entries of To, Cc and Bcc (one address
// each, as the editor gives them).
func recipientCount(d message.Draft) int { return len(d.To) + len(d.Cc) + len(d.Bcc) }

// listAbove is how many addresses a review line lists before it shows a
// count instead.
const listAbove = 10

// reviewValue is a header value as the review screen shows it on one
// line of width cells: made safe and cut, without reading more of a huge
// value than the line can show; a long address list is a count.
func reviewValue(width int, vals ...string) string {
	if len(vals) > listAbove {
		return formatCount(len(vals)) + " recipients"
	}
	budget := 4*max(width, 1) + 16 // bytes: enough for width cells
	var b strings.Builder
	for i, v := range vals {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(mail.CutUTF8(v, budget-b.Len()))
		if b.Len() >= budget {
			break
		}
	}
	return truncate(sanitize.Line(b.String()), max(width, 1))
}

// formatCount writes n with thousands separators: 100,000.
func formatCount(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}

func (c *compose) discard() { _ = os.Remove(c.path) }

func (c *compose) view(t Theme, k KeyMap, width, height int) string {
	var b strings.Builder
	b.WriteString(t.Title.Render("Send this message from "+sanitize.Line(c.account)+"?") + "\n\n")
	field := func(name string, vals ...string) {
		b.WriteString(t.Pager.HeaderName.Render(name+":") + " " + reviewValue(width-len(name)-2, vals...) + "\n")
	}
	from := displayAddresses([]string{c.draft.From})
	if c.idLabel != "" {
		label := " (" + c.idLabel + ", " + k.binding(keymap.Compose, "identity").Help().Key + ": next)"
		from = []string{reviewValue(width-len("From")-2-len(label), from...) + label}
	}
	field("From", from...)
	field("To", displayAddresses(c.draft.To)...)
	if len(c.draft.Cc) > 0 {
		field("Cc", displayAddresses(c.draft.Cc)...)
	}
	if len(c.draft.Bcc) > 0 {
		field("Bcc", displayAddresses(c.draft.Bcc)...)
	}
	field("Subject", c.draft.Subject)
	for _, at := range c.draft.Attachments {
		name := at.Name
		if name == "" {
			name = at.Path
		}
		field("Attach", name)
	}
	b.WriteString(c.cryptoView(t, width))
	b.WriteString(t.Pager.Separator.Render(strings.Repeat("─", max(width, 1))) + "\n")
	// Only as much of the body as the screen can show is looked at.
	// The key help may wrap onto several lines: they are kept.
	helpRows := strings.Count(wrappedHelp(width, k.section(keymap.Compose)...), "\n") + 1
	room := max(height-9-helpRows-c.cryptoRows(width), 1)
	text := mail.CutUTF8(c.draft.Body, room*(4*max(width, 1)+16))
	body := strings.Split(sanitize.Text(text), "\n")
	if len(body) > room || len(text) < len(c.draft.Body) {
		body = append(body[:min(room, len(body))], "…")
	}
	for i, l := range body {
		body[i] = truncate(l, max(width, 1))
	}
	b.WriteString(strings.Join(body, "\n") + "\n\n")
	switch {
	case c.sending:
		b.WriteString("Sending…")
	case c.confirming:
		b.WriteString(t.Status.Error.Render(" This message goes to "+formatCount(recipientCount(c.draft))+" recipients. Send it to all of them? ") + "\n")
		b.WriteString(helpLine(k.binding(keymap.Compose, "send"), k.binding(keymap.Compose, "edit"), k.binding(keymap.Compose, "discard")))
	case c.err != nil:
		b.WriteString(t.Status.Error.Render(" "+sanitize.Line(c.err.Error())+" ") + "\n")
		b.WriteString(helpLine(k.binding(keymap.Compose, "edit"), k.binding(keymap.Compose, "discard")))
	default:
		b.WriteString(wrappedHelp(width, k.section(keymap.Compose)...))
	}
	return b.String()
}
