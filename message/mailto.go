package message

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
	"unicode/utf8"

	"github.com/posta-mail/posta/mail"
)

// maxMailtoBytes bounds a mailto URI.
const maxMailtoBytes = 64 << 10

// ErrBadMailto is wrapped by every [ParseMailto] error.
var ErrBadMailto = errors.New("message: bad mailto URI")

// ParseMailto turns a mailto URI (RFC 6068) into a Draft: the addresses
// before "?" and the to, cc, bcc, subject, body and in-reply-to fields,
// percent-decoded ("+" stays a plus sign). Other fields are ignored, as
// RFC 6068 advises for unknown or unsafe ones. A line break anywhere but
// in the body is refused (header injection), as are other control
// characters, invalid percent escapes and invalid addresses. The body's
// line breaks become "\n"; its other control characters except tab are
// dropped. From is left for the caller.
func ParseMailto(uri string) (Draft, error) {
	bad := func(format string, args ...any) (Draft, error) {
		return Draft{}, fmt.Errorf("%w: %s", ErrBadMailto, fmt.Sprintf(format, args...))
	}
	if len(uri) > maxMailtoBytes {
		return bad("longer than %d KB", maxMailtoBytes>>10)
	}
	scheme, rest, ok := strings.Cut(strings.TrimSpace(uri), ":")
	if !ok || !strings.EqualFold(scheme, "mailto") {
		return bad("not a mailto URI")
	}
	rest, _, _ = strings.Cut(rest, "#")
	addrPart, query, _ := strings.Cut(rest, "?")
	var d Draft
	to, err := url.PathUnescape(addrPart)
	if err != nil {
		return bad("addresses: %v", err)
	}
	if !utf8.ValidString(to) {
		return bad("addresses are not UTF-8")
	}
	if err := addMailtoAddrs(&d.To, "to", to); err != nil {
		return Draft{}, err
	}
	for _, pair := range strings.Split(query, "&") {
		if pair == "" {
			continue
		}
		rawKey, rawValue, _ := strings.Cut(pair, "=")
		key, err1 := url.PathUnescape(rawKey)
		value, err2 := url.PathUnescape(rawValue)
		if err := errors.Join(err1, err2); err != nil {
			return bad("field %q: %v", rawKey, err)
		}
		key = strings.ToLower(key)
		if !utf8.ValidString(value) {
			return bad("field %q is not UTF-8", key)
		}
		if key != "body" && hasControl(value) {
			return bad("control character or line break in %q", key)
		}
		switch key {
		case "to":
			err = addMailtoAddrs(&d.To, key, value)
		case "cc":
			err = addMailtoAddrs(&d.Cc, key, value)
		case "bcc":
			err = addMailtoAddrs(&d.Bcc, key, value)
		case "subject":
			d.Subject = strings.TrimSpace(value)
		case "body":
			d.Body = cleanBody(value)
		case "in-reply-to":
			ids := cleanIDs(strings.Fields(value))
			if len(ids) > 0 {
				d.InReplyTo = ids[0]
				d.References = ids[:1]
			}
		}
		if err != nil {
			return Draft{}, err
		}
	}
	return d, nil
}

// addMailtoAddrs appends the comma-separated addresses of value.
func addMailtoAddrs(list *[]string, field, value string) error {
	if hasControl(value) {
		return fmt.Errorf("%w: control character or line break in %q", ErrBadMailto, field)
	}
	if strings.TrimSpace(value) == "" {
		return nil
	}
	addrs, err := parseAddrs(field, []string{value})
	if err != nil {
		return fmt.Errorf("%w: %v", ErrBadMailto, err)
	}
	for _, a := range addrs {
		*list = append(*list, formatAddress(mail.Address{Name: a.Name, Addr: a.Address}))
	}
	return nil
}

func hasControl(s string) bool {
	for _, r := range s {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return true
		}
	}
	return false
}

// cleanBody normalizes line breaks and drops control characters other
// than newline and tab.
func cleanBody(s string) string {
	s = strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
	return strings.Map(func(r rune) rune {
		if r == '\n' || r == '\t' {
			return r
		}
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) {
			return -1
		}
		return r
	}, s)
}
