package cache

import (
	"unicode/utf8"
	"unsafe"

	postamail "github.com/posta-mail/posta/mail"
)

// The address lists and references of a header are stored as JSON. These
// encoders write, byte for byte, what json.Marshal writes for them (rows
// written before compare equal to rows written now), without its
// reflection, which was a tenth of storing a header. jsonenc_test.go
// holds them to json.Marshal.

// encodeAddresses is json.Marshal(as), or "" for an empty list.
func encodeAddresses(as []postamail.Address) string {
	if len(as) == 0 {
		return ""
	}
	n := 2
	for _, a := range as {
		n += len(a.Name) + len(a.Addr) + len(`{"name":"","addr":""},`)
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, a := range as {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '{')
		if a.Name != "" { // `json:"name,omitempty"`
			b = append(b, `"name":`...)
			b = appendJSONString(b, a.Name)
			b = append(b, ',')
		}
		b = append(b, `"addr":`...)
		b = appendJSONString(b, a.Addr)
		b = append(b, '}')
	}
	b = append(b, ']')
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not written again
}

// encodeStrings is json.Marshal(ss), or "" for an empty list.
func encodeStrings(ss []string) string {
	if len(ss) == 0 {
		return ""
	}
	n := 2
	for _, s := range ss {
		n += len(s) + 3
	}
	b := make([]byte, 0, n)
	b = append(b, '[')
	for i, s := range ss {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, s)
	}
	b = append(b, ']')
	return unsafe.String(unsafe.SliceData(b), len(b)) // b is not written again
}

// appendJSONString appends s as json.Marshal encodes a string: quoted,
// with <, > and & escaped (HTML-safe), invalid UTF-8 replaced by
// \ufffd, and U+2028 and U+2029 escaped.
func appendJSONString(dst []byte, s string) []byte {
	const hex = "0123456789abcdef"
	dst = append(dst, '"')
	start := 0
	for i := 0; i < len(s); {
		if b := s[i]; b < utf8.RuneSelf {
			if b >= 0x20 && b != '"' && b != '\\' && b != '<' && b != '>' && b != '&' {
				i++
				continue
			}
			dst = append(dst, s[start:i]...)
			switch b {
			case '\\', '"':
				dst = append(dst, '\\', b)
			case '\b':
				dst = append(dst, '\\', 'b')
			case '\f':
				dst = append(dst, '\\', 'f')
			case '\n':
				dst = append(dst, '\\', 'n')
			case '\r':
				dst = append(dst, '\\', 'r')
			case '\t':
				dst = append(dst, '\\', 't')
			default:
				dst = append(dst, '\\', 'u', '0', '0', hex[b>>4], hex[b&0xF])
			}
			i++
			start = i
			continue
		}
		c, size := utf8.DecodeRuneInString(s[i:])
		if c == utf8.RuneError && size == 1 {
			dst = append(dst, s[start:i]...)
			dst = append(dst, `\ufffd`...)
			i += size
			start = i
			continue
		}
		if c == '\u2028' || c == '\u2029' {
			dst = append(dst, s[start:i]...)
			dst = append(dst, '\\', 'u', '2', '0', '2', hex[c&0xF])
			i += size
			start = i
			continue
		}
		i += size
	}
	dst = append(dst, s[start:]...)
	return append(dst, '"')
}
