package message

import (
	"bytes"
	"strings"

	"github.com/posta-mail/posta/mail"
)

// ForwardDraft starts forwarding the message raw (whose header is orig)
// from the address from. The subject gets one "Fwd: " and the recipients
// are left for the user. Inline, the body holds a "Forwarded message"
// block with the original From, Date, Subject, To and Cc followed by its
// text (as [Render] shows it), and the original's attachments are
// attached again. As attachment, the body is empty and raw is attached
// whole as message/rfc822.
func ForwardDraft(orig mail.Header, raw []byte, from string, asAttachment bool) Draft {
	subject := stripPrefixes(orig.Subject, "fwd", "fw")
	d := Draft{From: from, Subject: strings.TrimSpace("Fwd: " + subject)}
	if asAttachment {
		name := safeName(subject, 0)
		if subject == "" {
			name = "forwarded message"
		}
		d.Attachments = []DraftAttachment{{
			Name: outgoingName(name + ".eml"), ContentType: "message/rfc822",
			Data: append([]byte(nil), raw...),
		}}
		return d
	}
	var b strings.Builder
	b.WriteString("\n\n---------- Forwarded message ----------\n")
	field := func(name, value string) {
		if value = oneLine(value); value != "" {
			b.WriteString(name + ": " + value + "\n")
		}
	}
	field("From", formatAddresses(orig.From))
	if !orig.Date.IsZero() {
		field("Date", orig.Date.Format("Mon, 02 Jan 2006 15:04:05 -0700"))
	}
	field("Subject", orig.Subject)
	field("To", formatAddresses(orig.To))
	field("Cc", formatAddresses(orig.Cc))
	b.WriteString("\n")
	res, err := Render(bytes.NewReader(raw), Options{})
	if err == nil {
		b.WriteString(res.Body)
		for _, a := range res.Attachments {
			var data bytes.Buffer
			if extractPart(raw, a.Index, &data) == nil {
				d.Attachments = append(d.Attachments, DraftAttachment{
					Name: a.Name, ContentType: a.ContentType, Data: append([]byte{}, data.Bytes()...),
				})
			}
		}
	}
	d.Body = b.String()
	return d
}
