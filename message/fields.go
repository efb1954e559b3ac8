package message

import (
	"io"
	"mime"
	"strings"

	gomail "github.com/emersion/go-message/mail"
	"golang.org/x/text/encoding/charmap"

	"github.com/posta-mail/posta/mail"
)

// addressList parses an address field, keeping whatever entries can be
// understood when the list as a whole is malformed.
func addressList(raw string) []mail.Address {
	raw = strings.TrimSpace(toUTF8(raw))
	if raw == "" {
		return nil
	}
	if list, err := gomail.ParseAddressList(raw); err == nil {
		out := make([]mail.Address, 0, len(list))
		for _, a := range list {
			out = append(out, mail.Address{Name: decodeText(a.Name), Addr: a.Address})
		}
		return out
	}
	var out []mail.Address
	for _, part := range splitAddresses(raw) {
		if a, ok := looseAddress(part); ok {
			out = append(out, a)
		}
	}
	return out
}

// splitAddresses splits on commas that are outside quotes, comments and
// angle brackets.
func splitAddresses(s string) []string {
	var parts []string
	depth, quoted, angle, start := 0, false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case quoted:
		case c == '<':
			angle = true
		case c == '>':
			angle = false
		case c == '(':
			depth++
		case c == ')' && depth > 0:
			depth--
		case c == ',' && depth == 0 && !angle:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// looseAddress makes the best of one malformed address.
func looseAddress(s string) (mail.Address, bool) {
	s = strings.TrimSpace(s)
	if s == "" {
		return mail.Address{}, false
	}
	if a, err := gomail.ParseAddress(s); err == nil {
		return mail.Address{Name: decodeText(a.Name), Addr: a.Address}, true
	}
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 {
		addr := s[lt+1:]
		if gt := strings.IndexByte(addr, '>'); gt >= 0 {
			addr = addr[:gt]
		}
		name := strings.Trim(strings.TrimSpace(s[:lt]), `"`)
		return mail.Address{Name: decodeText(name), Addr: strings.TrimSpace(addr)}, true
	}
	if strings.Contains(s, "@") {
		return mail.Address{Addr: strings.Trim(strings.Fields(s)[0], `"<>`)}, true
	}
	return mail.Address{Name: decodeText(s)}, true
}

// parseParams parses a Content-Type or Content-Disposition value. The type
// is lower case; parameters (RFC 2231 and RFC 2047 decoded) are best
// effort: a malformed list is split by hand.
func parseParams(v string) (string, map[string]string) {
	v = strings.TrimSpace(v)
	if v == "" {
		return "", map[string]string{}
	}
	t, params, err := mime.ParseMediaType(v)
	if err != nil || params == nil {
		t, params = looseParams(v)
	}
	for k, p := range params {
		params[k] = decodeText(p)
	}
	return strings.ToLower(t), params
}

func looseParams(v string) (string, map[string]string) {
	items := strings.Split(v, ";")
	t := strings.ToLower(strings.TrimSpace(items[0]))
	if f := strings.Fields(t); len(f) > 0 {
		t = f[0]
	}
	params := map[string]string{}
	for _, item := range items[1:] {
		k, val, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		k = strings.TrimSuffix(strings.TrimSuffix(k, "*0*"), "*")
		if _, seen := params[k]; !seen && k != "" {
			params[k] = strings.Trim(strings.TrimSpace(val), `"'`)
		}
	}
	return t, params
}

// decodeWindows1252 decodes b as Windows-1252 (a superset of Latin-1 for
// printable characters).
func decodeWindows1252(b []byte) string {
	out, err := charmap.Windows1252.NewDecoder().Bytes(b)
	if err != nil {
		return string(b)
	}
	return string(out)
}

// errRecorder remembers the first non-EOF error of r and how much was read.
type errRecorder struct {
	r   io.Reader
	n   int64
	err error
}

func (e *errRecorder) Read(p []byte) (int, error) {
	n, err := e.r.Read(p)
	e.n += int64(n)
	if err != nil && err != io.EOF && e.err == nil {
		e.err = err
	}
	return n, err
}
