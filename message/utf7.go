package message

import (
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// decodeUTF7 decodes UTF-7 (RFC 2152). A shifted sequence starts at "+"
// and runs over modified-base64 characters; an optional "-" ends it and is
// absorbed, and "+-" is a literal "+". Broken sequences (an odd number of
// bytes, a lone surrogate) give U+FFFD. Bytes outside ASCII, which UTF-7
// never contains, are read as Windows-1252.
func decodeUTF7(b []byte) string {
	var out strings.Builder
	for i := 0; i < len(b); {
		c := b[i]
		if c >= utf8.RuneSelf {
			j := i
			for j < len(b) && b[j] >= utf8.RuneSelf {
				j++
			}
			out.WriteString(toUTF8(string(b[i:j])))
			i = j
			continue
		}
		if c != '+' {
			out.WriteByte(c)
			i++
			continue
		}
		i++
		if i < len(b) && b[i] == '-' {
			out.WriteByte('+')
			i++
			continue
		}
		var acc uint32
		var bits int
		var units []uint16
		for i < len(b) {
			v := utf7Value(b[i])
			if v < 0 {
				break
			}
			acc = acc<<6 | uint32(v)
			bits += 6
			if bits >= 16 {
				bits -= 16
				units = append(units, uint16(acc>>bits))
				acc &= 1<<bits - 1
			}
			i++
		}
		if bits >= 6 || acc != 0 {
			units = append(units, utf8.RuneError) // leftover bits: a truncated unit
		}
		for _, r := range utf16.Decode(units) {
			out.WriteRune(r)
		}
		if i < len(b) && b[i] == '-' {
			i++
		}
	}
	return out.String()
}

func utf7Value(c byte) int {
	switch {
	case c >= 'A' && c <= 'Z':
		return int(c - 'A')
	case c >= 'a' && c <= 'z':
		return int(c-'a') + 26
	case c >= '0' && c <= '9':
		return int(c-'0') + 52
	case c == '+':
		return 62
	case c == '/':
		return 63
	}
	return -1
}
