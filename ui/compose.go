package ui

import (
	"os"
	"strings"

	"github.com/posta-mail/posta/keymap"
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
	// resumeOf is the saved draft this message came from: it goes to the
	// Trash once the message is sent.
	resumeOf int64
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
}

func (c *compose) discard() { _ = os.Remove(c.path) }

func (c *compose) view(t Theme, k KeyMap, width, height int) string {
	var b strings.Builder
	b.WriteString(t.Title.Render("Send this message from "+sanitize.Line(c.account)+"?") + "\n\n")
	field := func(name string, vals ...string) {
		b.WriteString(t.Pager.HeaderName.Render(name+":") + " " + sanitize.Line(strings.Join(vals, ", ")) + "\n")
	}
	field("From", c.draft.From)
	field("To", c.draft.To...)
	if len(c.draft.Cc) > 0 {
		field("Cc", c.draft.Cc...)
	}
	if len(c.draft.Bcc) > 0 {
		field("Bcc", c.draft.Bcc...)
	}
	field("Subject", c.draft.Subject)
	for _, at := range c.draft.Attachments {
		name := at.Name
		if name == "" {
			name = at.Path
		}
		field("Attach", name)
	}
	b.WriteString(t.Pager.Separator.Render(strings.Repeat("─", max(width, 1))) + "\n")
	body := strings.Split(sanitize.Text(c.draft.Body), "\n")
	if room := height - 10; len(body) > room && room > 0 {
		body = append(body[:room], "…")
	}
	b.WriteString(strings.Join(body, "\n") + "\n\n")
	switch {
	case c.sending:
		b.WriteString("Sending…")
	case c.err != nil:
		b.WriteString(t.Status.Error.Render(" "+sanitize.Line(c.err.Error())+" ") + "\n")
		b.WriteString(helpLine(k.binding(keymap.Compose, "edit"), k.binding(keymap.Compose, "discard")))
	default:
		b.WriteString(helpLine(k.section(keymap.Compose)...))
	}
	return b.String()
}
