package message

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// ErrNoTo is returned by [ParseEditorText] when the To field is empty.
var ErrNoTo = errors.New("message: To is empty")

// EditorText formats d for editing in $EDITOR: a header block ("From:",
// "To:", "Cc:", "Subject:", plus "Bcc:", "In-Reply-To:" and "References:"
// when set, one "Attach:" line per attachment given by path, and
// "X-Posta-Crypto: sign, encrypt" when asked for, see [CryptoField]), a blank
// line, then the body. Attachments held as data (forwarded parts, a
// resumed draft) have no line; [ParseEditorText] does not see them, so
// the caller carries them over (see [Draft.KeepDataAttachments]).
func (d Draft) EditorText() string {
	var b strings.Builder
	b.WriteString("From: " + d.From + "\n")
	b.WriteString("To: " + strings.Join(d.To, ", ") + "\n")
	b.WriteString("Cc: " + strings.Join(d.Cc, ", ") + "\n")
	if len(d.Bcc) > 0 {
		b.WriteString("Bcc: " + strings.Join(d.Bcc, ", ") + "\n")
	}
	b.WriteString("Subject: " + d.Subject + "\n")
	if d.InReplyTo != "" {
		b.WriteString("In-Reply-To: <" + cleanID(d.InReplyTo) + ">\n")
	}
	if refs := cleanIDs(d.References); len(refs) > 0 {
		b.WriteString("References: <" + strings.Join(refs, "> <") + ">\n")
	}
	for _, a := range d.Attachments {
		if a.Data == nil && a.Path != "" {
			b.WriteString("Attach: " + a.Path + "\n")
		}
	}
	b.WriteString(d.cryptoLine())
	b.WriteString("\n")
	b.WriteString(d.Body)
	return b.String()
}

// ParseEditorText is the inverse of [Draft.EditorText]. The header block
// ends at the first blank line; lines starting with white space continue
// the previous field. Each "Attach: /path/to/file" line (a leading "~/"
// is the home folder) adds an attachment read when the draft is built.
// "X-Posta-Crypto:" says how it is protected; the older "Sign:" and
// "Encrypt:" lines take yes or no.
// Unknown fields, invalid addresses and an empty To
// are errors, so that a typo never silently drops a recipient. With an
// empty To (ErrNoTo) the rest of the draft is returned with the error,
// so that the review screen shows what was written (a forward, which
// starts with no recipient, left as it was) and not a blank draft.
func ParseEditorText(s string) (Draft, error) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	head, body, _ := strings.Cut(s, "\n\n")
	var d Draft
	var fields []string
	for _, line := range strings.Split(head, "\n") {
		if (strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")) && len(fields) > 0 {
			fields[len(fields)-1] += " " + strings.TrimSpace(line)
			continue
		}
		if strings.TrimSpace(line) == "" {
			continue
		}
		fields = append(fields, line)
	}
	for _, f := range fields {
		key, value, ok := strings.Cut(f, ":")
		if !ok {
			return Draft{}, fmt.Errorf("message: header line without colon: %q", f)
		}
		value = strings.TrimSpace(value)
		var err error
		switch strings.ToLower(strings.TrimSpace(key)) {
		case "from":
			d.From = value
		case "to":
			d.To, err = splitEdited("To", value)
		case "cc":
			d.Cc, err = splitEdited("Cc", value)
		case "bcc":
			d.Bcc, err = splitEdited("Bcc", value)
		case "subject":
			d.Subject = value
		case "in-reply-to":
			d.InReplyTo = cleanID(value)
		case "references":
			d.References = cleanIDs(strings.Fields(value))
		case strings.ToLower(CryptoField):
			err = d.parseCryptoField(value)
		case "sign", "encrypt":
			var on bool
			switch strings.ToLower(value) {
			case "yes", "y", "true", "on", "1":
				on = true
			case "no", "n", "false", "off", "0", "":
			default:
				err = fmt.Errorf("message: %s: say yes or no, not %q", strings.TrimSpace(key), value)
			}
			if strings.EqualFold(strings.TrimSpace(key), "sign") {
				d.Sign = on
			} else {
				d.Encrypt = on
			}
		case "attach":
			if value != "" {
				d.Attachments = append(d.Attachments, DraftAttachment{Path: expandHome(value)})
			}
		default:
			return Draft{}, fmt.Errorf("message: unknown header field %q", strings.TrimSpace(key))
		}
		if err != nil {
			return Draft{}, err
		}
	}
	d.Body = body
	if len(d.To) == 0 {
		return d, ErrNoTo
	}
	return d, nil
}

// splitEdited splits an edited address list into one entry per address.
func splitEdited(field, value string) ([]string, error) {
	if value == "" {
		return nil, nil
	}
	addrs, err := parseAddrs(field, []string{value})
	if err != nil {
		return nil, err
	}
	out := make([]string, 0, len(addrs))
	for _, part := range splitAddresses(value) {
		if part = strings.TrimSpace(part); part != "" {
			out = append(out, part)
		}
	}
	if len(out) != len(addrs) {
		out = out[:0]
		for _, a := range addrs {
			out = append(out, a.String())
		}
	}
	return out, nil
}

// expandHome replaces a leading "~/" with the user's home folder.
func expandHome(path string) string {
	if rest, ok := strings.CutPrefix(path, "~/"); ok {
		if home, err := os.UserHomeDir(); err == nil {
			return filepath.Join(home, rest)
		}
	}
	return path
}

// KeepDataAttachments returns edited (typically the result of
// [ParseEditorText] on d's [Draft.EditorText]) with d's attachments that
// are held as data added back, as the editor text cannot show them.
func (d Draft) KeepDataAttachments(edited Draft) Draft {
	var kept []DraftAttachment
	for _, a := range d.Attachments {
		if a.Data != nil {
			kept = append(kept, a)
		}
	}
	edited.Attachments = append(kept, edited.Attachments...)
	return edited
}
