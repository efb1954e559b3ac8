package message

import (
	"fmt"
	"strings"

	gomail "github.com/emersion/go-message/mail"

	"github.com/posta-mail/posta/mail"
)

// ReplyDraft starts a reply to orig from the address from. The subject
// gets one "Re: ", To is the original Reply-To (or From when there is
// none), In-Reply-To and References continue the thread and body is quoted
// with "> " under an attribution line. With all, the original To and Cc
// recipients are copied into Cc. No address appears twice, and the user's
// own addresses (from and each of self, compared case-insensitively) are
// left out, unless the reply would otherwise go to nobody (replying to
// one's own message).
func ReplyDraft(orig mail.Header, body string, from string, self []string, all bool) Draft {
	d := Draft{From: from, Subject: "Re: " + stripReplyPrefix(orig.Subject)}
	seen := map[string]bool{}
	for _, s := range append([]string{from}, self...) {
		if a, err := gomail.ParseAddress(s); err == nil {
			seen[strings.ToLower(a.Address)] = true
		} else if s = strings.TrimSpace(s); s != "" {
			seen[strings.ToLower(s)] = true
		}
	}
	add := func(list *[]string, addrs []mail.Address) {
		for _, a := range addrs {
			key := strings.ToLower(a.Addr)
			if a.Addr == "" || seen[key] {
				continue
			}
			seen[key] = true
			*list = append(*list, formatAddress(a))
		}
	}
	replyTo := orig.ReplyTo
	if len(replyTo) == 0 {
		replyTo = orig.From
	}
	add(&d.To, replyTo)
	if len(d.To) == 0 {
		add(&d.To, orig.To) // one's own message: answer its recipients
	}
	if all {
		add(&d.Cc, orig.To)
		add(&d.Cc, orig.Cc)
	}
	if len(d.To) == 0 && len(d.Cc) > 0 {
		d.To, d.Cc = d.Cc[:1], d.Cc[1:]
	}
	if len(d.To) == 0 && len(replyTo) > 0 && replyTo[0].Addr != "" {
		d.To = append(d.To, formatAddress(replyTo[0])) // replying to oneself
	}
	if orig.MessageID != "" {
		d.InReplyTo = orig.MessageID
	}
	refs := append([]string(nil), orig.References...)
	if len(refs) == 0 && orig.InReplyTo != "" {
		refs = append(refs, orig.InReplyTo)
	}
	if orig.MessageID != "" {
		refs = append(refs, orig.MessageID)
	}
	d.References = cleanIDs(refs)
	d.Body = quoteBody(orig, body)
	return d
}

// stripReplyPrefix removes any number of leading "Re:" prefixes.
func stripReplyPrefix(s string) string {
	return stripPrefixes(s, "re")
}

// stripPrefixes removes any number of leading "<word>:" prefixes for the
// given words (compared case-insensitively), e.g. "Re:", "Fwd:".
func stripPrefixes(s string, words ...string) string {
	s = oneLine(s)
	for {
		head, rest, ok := strings.Cut(s, ":")
		if !ok {
			return s
		}
		head = strings.ToLower(strings.TrimSpace(head))
		matched := false
		for _, w := range words {
			if head == w {
				matched = true
			}
		}
		if !matched {
			return s
		}
		s = strings.TrimSpace(rest)
	}
}

// attribution is the line above quoted text.
func attribution(orig mail.Header) string {
	who := "you"
	if len(orig.From) > 0 {
		who = formatAddress(orig.From[0])
	}
	if !orig.Date.IsZero() {
		return fmt.Sprintf("On %s, %s wrote:", orig.Date.Format("Mon, 02 Jan 2006 15:04"), who)
	}
	return who + " wrote:"
}

func quoteBody(orig mail.Header, body string) string {
	var b strings.Builder
	b.WriteString(attribution(orig) + "\n")
	body = strings.TrimRight(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	for _, line := range strings.Split(body, "\n") {
		switch {
		case line == "":
			b.WriteString(">\n")
		case strings.HasPrefix(line, ">"):
			b.WriteString(">" + line + "\n")
		default:
			b.WriteString("> " + line + "\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// formatAddress writes a as an editable "Name <addr>" without encoding.
func formatAddress(a mail.Address) string {
	name := oneLine(a.Name)
	if name == "" {
		return a.Addr
	}
	if strings.ContainsAny(name, `()<>[]:;@\,."`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Addr + ">"
}

// formatAddresses joins a list for display in a quoted header block.
func formatAddresses(list []mail.Address) string {
	parts := make([]string, 0, len(list))
	for _, a := range list {
		parts = append(parts, formatAddress(a))
	}
	return strings.Join(parts, ", ")
}
