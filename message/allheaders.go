package message

import (
	"bytes"
	stdtextproto "net/textproto"
	"strconv"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// maxOtherHeaders bounds the fields otherHeaders returns: a header of
// hostile size is shown up to there, then counted.
const maxOtherHeaders = 500

// maxOtherHeaderValue bounds one field's shown value, in bytes (a DKIM
// signature or a long References fits).
const maxOtherHeaderValue = 8 << 10

// otherHeaders returns the fields of th that displayHeaders does not
// show, in the message's order: every field but the From fields and the
// first Sender, Reply-To, To, Cc, Date and Subject. Names and values are
// decoded (encoded words, the charset of 8-bit bytes), their folding
// undone and sanitized for one line.
func otherHeaders(th textproto.Header) []Field {
	conv := rawFieldConverter(th)
	shown := map[string]bool{"Sender": false, "Reply-To": false, "To": false, "Cc": false, "Date": false, "Subject": false}
	var out []Field
	left := 0
	for f := th.Fields(); f.Next(); {
		key := stdtextproto.CanonicalMIMEHeaderKey(f.Key())
		if key == "From" {
			continue
		}
		if done, displayed := shown[key]; displayed && !done {
			shown[key] = true
			continue
		}
		if len(out) == maxOtherHeaders {
			left++
			continue
		}
		v := f.Value()
		if len(v) > maxOtherHeaderValue {
			v = mail.CutUTF8(v, maxOtherHeaderValue) + " …"
		}
		v = strings.Join(strings.Fields(decodeText(conv(v))), " ")
		out = append(out, Field{Name: sanitize.Line(fieldText(toUTF8(rawName(f)))), Value: sanitize.Line(v)})
	}
	if left > 0 {
		out = append(out, Field{Name: "…", Value: moreFields(left)})
	}
	return out
}

// moreFields says how many fields were left out.
func moreFields(n int) string {
	if n == 1 {
		return "1 more field, not shown"
	}
	return strconv.Itoa(n) + " more fields, not shown"
}

// rawName is a field's name as the message spells it ("DKIM-Signature",
// where the field's Key is canonical: "Dkim-Signature").
func rawName(f textproto.HeaderFields) string {
	if raw, err := f.Raw(); err == nil {
		if name, _, ok := bytes.Cut(raw, []byte(":")); ok {
			return strings.TrimSpace(string(name))
		}
	}
	return f.Key()
}
