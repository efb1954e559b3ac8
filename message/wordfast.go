package message

import (
	"encoding/base64"
	"slices"
	"strings"
	"unicode/utf8"
	"unsafe"
)

// appendMIMEWord appends to dst what the address parser's word decoder
// (mime.WordDecoder.Decode) returns for the encoded word word, of
// printable ASCII, in the charsets that decoder reads itself: UTF-8
// (its bytes as they are), ISO-8859-1 and US-ASCII. ok is false, dst
// unchanged, for any other charset and for a word Decode fails on: the
// decoder then gives the answer (FuzzMIMEWordFast).
func appendMIMEWord(dst []byte, word string) (out []byte, ok bool) {
	if len(word) < 8 || !strings.HasPrefix(word, "=?") || !strings.HasSuffix(word, "?=") || strings.Count(word, "?") != 4 {
		return dst, false
	}
	charset, text, _ := strings.Cut(word[2:len(word)-2], "?")
	encoding, text, _ := strings.Cut(text, "?")
	if len(encoding) != 1 {
		return dst, false
	}
	const (
		utf8CS = iota
		latin1CS
		asciiCS
	)
	var cs int
	switch {
	case asciiFoldIs(charset, "utf-8"):
		cs = utf8CS
	case asciiFoldIs(charset, "iso-8859-1"):
		cs = latin1CS
	case asciiFoldIs(charset, "us-ascii"):
		cs = asciiCS
	default:
		return dst, false
	}
	n0 := len(dst)
	switch encoding[0] {
	case 'B', 'b':
		size := base64.StdEncoding.DecodedLen(len(text))
		dst = slices.Grow(dst, size)
		// Decode reads text, never writes it.
		src := unsafe.Slice(unsafe.StringData(text), len(text))
		n, err := base64.StdEncoding.Decode(dst[n0:n0+size], src)
		if err != nil {
			return dst[:n0], false
		}
		dst = dst[:n0+n]
	case 'Q', 'q':
		var ok bool
		if dst, ok = appendMIMEQ(dst, text); !ok {
			return dst[:n0], false
		}
	default:
		return dst, false
	}
	switch cs {
	case latin1CS:
		return appendLatin1(dst, n0), true
	case asciiCS:
		for i := n0; i < len(dst); i++ {
			if dst[i] >= utf8.RuneSelf {
				return appendASCII(dst, n0), true
			}
		}
	}
	return dst, true
}

// appendMIMEQ is mime's qDecode appending to dst.
func appendMIMEQ(dst []byte, s string) ([]byte, bool) {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			dst = append(dst, ' ')
		case c == '=':
			if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
				return dst, false
			}
			dst = append(dst, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		case (c <= '~' && c >= ' ') || c == '\n' || c == '\r' || c == '\t':
			dst = append(dst, c)
		default:
			return dst, false
		}
	}
	return dst, true
}

// appendLatin1 converts dst[n0:] from ISO-8859-1 to UTF-8 in place:
// from the end, each byte outside ASCII taking two.
func appendLatin1(dst []byte, n0 int) []byte {
	high := 0
	for _, c := range dst[n0:] {
		if c >= utf8.RuneSelf {
			high++
		}
	}
	if high == 0 {
		return dst
	}
	n := len(dst)
	dst = slices.Grow(dst, high)[:n+high]
	j := len(dst)
	for i := n - 1; i >= n0; i-- {
		if c := dst[i]; c < utf8.RuneSelf {
			j--
			dst[j] = c
		} else {
			j -= 2
			dst[j], dst[j+1] = 0xc0|c>>6, 0x80|c&0x3f
		}
	}
	return dst
}

// appendASCII converts dst[n0:] from US-ASCII as mime does: a byte
// outside ASCII becomes U+FFFD.
func appendASCII(dst []byte, n0 int) []byte {
	raw := string(dst[n0:])
	dst = dst[:n0]
	for i := 0; i < len(raw); i++ {
		if raw[i] >= utf8.RuneSelf {
			dst = utf8.AppendRune(dst, utf8.RuneError)
		} else {
			dst = append(dst, raw[i])
		}
	}
	return dst
}
