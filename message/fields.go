package message

import (
	"io"
	"mime"
	netmail "net/mail"
	"strings"

	"golang.org/x/text/encoding/charmap"

	"github.com/posta-mail/posta/mail"
)

var addressParser = netmail.AddressParser{WordDecoder: &mime.WordDecoder{CharsetReader: wordCharsetReader}}

// addressList parses an address field, keeping whatever entries can be
// understood when the list as a whole is malformed. Comments (RFC 5322
// §3.2.2) are never part of an address; a comment after a bare address
// ("jdoe@example.org (John Doe)") becomes its name when it has none.
func addressList(raw string) []mail.Address {
	if list, ok := addressListFast(raw); ok {
		return list
	}
	return addressListSlow(raw)
}

// addressListSlow is addressList without the fast path of its common
// forms (addrfast.go): net/mail's parser after the comments are taken
// out, and looseAddress for a list it does not take.
func addressListSlow(raw string) []mail.Address {
	raw = strings.TrimSpace(toUTF8(raw))
	if raw == "" {
		return nil
	}
	cleaned, comments := stripAddressComments(raw)
	if list, err := addressParser.ParseList(cleaned); err == nil {
		out := make([]mail.Address, 0, len(list))
		for _, a := range list {
			name := displayName(a.Name)
			if name == "" {
				name = comments[a.Address]
			}
			out = append(out, mail.Address{Name: name, Addr: a.Address})
		}
		return out
	}
	var out []mail.Address
	for _, part := range splitAddresses(cleaned) {
		for _, a := range looseAddress(part) {
			if a.Name == "" && a.Addr != "" {
				a.Name = comments[a.Addr]
			}
			out = append(out, a)
		}
	}
	return out
}

// displayName makes a name decoded by the address parser valid UTF-8
// (invalid bytes from an encoded word become U+FFFD) and decodes the
// encoded words the parser left alone.
func displayName(name string) string {
	if strings.Contains(name, "=?") {
		return decodeText(validUTF8(name))
	}
	return fieldText(name)
}

// stripAddressComments removes the comments of an address field (outside
// quoted strings) and the white space inside angle brackets. It returns
// the decoded text of the comment that follows each bare address.
func stripAddressComments(s string) (string, map[string]string) {
	comments := map[string]string{}
	if !strings.ContainsAny(s, "(<") {
		return s, comments
	}
	var b strings.Builder
	var comment strings.Builder
	depth, quoted, angle := 0, false, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case depth > 0:
			switch c {
			case '\\':
				if i+1 < len(s) {
					i++
					comment.WriteByte(s[i])
				}
				continue
			case '(':
				depth++
			case ')':
				depth--
				if depth == 0 {
					if addr := lastWord(b.String()); strings.Contains(addr, "@") && !angle {
						if _, seen := comments[addr]; !seen {
							comments[addr] = decodeText(strings.TrimSpace(comment.String()))
						}
					}
					comment.Reset()
					if !angle {
						b.WriteByte(' ')
					}
					continue
				}
			}
			comment.WriteByte(c)
		case c == '\\' && quoted:
			b.WriteByte(c)
			if i+1 < len(s) {
				i++
				b.WriteByte(s[i])
			}
		case c == '"':
			quoted = !quoted
			b.WriteByte(c)
		case quoted:
			b.WriteByte(c)
		case c == '(':
			depth = 1
		case c == '<':
			angle = true
			b.WriteByte(c)
		case c == '>':
			angle = false
			b.WriteByte(c)
		case angle && (c == ' ' || c == '\t' || c == '\r' || c == '\n'):
		default:
			b.WriteByte(c)
		}
	}
	return b.String(), comments
}

// lastWord returns the last white-space separated word of s.
func lastWord(s string) string {
	s = strings.TrimRight(s, " \t\r\n")
	if i := strings.LastIndexAny(s, " \t\r\n"); i >= 0 {
		s = s[i+1:]
	}
	return strings.Trim(s, ",;:")
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

// looseAddress makes the best of one malformed entry of an address list:
// every address in it is kept ("Stefanie Schwabe stefanie@example.fr"
// gives the address and the name around it), and text without an address
// is kept as a name.
func looseAddress(s string) []mail.Address {
	s = strings.TrimSpace(s)
	if s == "" {
		return nil
	}
	if a, err := addressParser.Parse(s); err == nil {
		return []mail.Address{{Name: displayName(a.Name), Addr: a.Address}}
	}
	if strings.Count(s, "<") > 1 && strings.Count(s, ">") > 1 {
		// Several "Name <addr>" without commas between them.
		var out []mail.Address
		for rest := s; strings.Contains(rest, "<"); {
			gt := strings.IndexByte(rest, '>')
			if gt < 0 {
				gt = len(rest) - 1
			}
			out = append(out, looseAddress(rest[:gt+1])...)
			rest = rest[gt+1:]
		}
		if len(out) > 1 {
			return out
		}
	}
	if lt := strings.LastIndexByte(s, '<'); lt >= 0 {
		addr := s[lt+1:]
		if gt := strings.IndexByte(addr, '>'); gt >= 0 {
			addr = addr[:gt]
		}
		if colon := strings.LastIndexByte(addr, ':'); strings.HasPrefix(addr, "@") && colon > 0 {
			addr = addr[colon+1:] // an obsolete source route
		}
		name := strings.Trim(strings.TrimSpace(s[:lt]), `"<> `)
		return []mail.Address{{Name: decodeText(name), Addr: strings.TrimSpace(addr)}}
	}
	var out []mail.Address
	var words []string
	for _, f := range strings.Fields(s) {
		if strings.Contains(f, "@") {
			out = append(out, mail.Address{Addr: strings.Trim(f, `"<>;:`)})
		} else {
			words = append(words, f)
		}
	}
	name := decodeText(strings.Trim(strings.Join(words, " "), `"`))
	if len(out) == 1 {
		out[0].Name = name
	}
	if len(out) == 0 {
		return []mail.Address{{Name: name}}
	}
	return out
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
