// Package sanitize is the one place that makes strings taken from mail safe
// to print on a terminal. Every string that came from a message (index
// lines, pager text, headers, attachment names, status lines, the window
// title) passes through [Line] or [Text] before it reaches the screen.
//
// # What is changed
//
//   - C0 controls (U+0000–U+001F) and DEL become the matching glyph of the
//     Unicode Control Pictures block: U+2400+c for c < 0x20 ("␛" for ESC,
//     "␍" for CR, "␈" for backspace) and "␡" for DEL. Because ESC itself is
//     replaced, no CSI, OSC, DCS, APC, PM or SOS sequence can survive.
//     [Text] keeps "\n" and "\t" and turns CRLF into "\n"; a lone CR is
//     shown as "␍", so it can never move the cursor back over text.
//   - C1 controls (U+0080–U+009F, including the 8-bit CSI U+009B) have no
//     control picture and become U+FFFD.
//   - Invalid UTF-8 becomes U+FFFD.
//   - Bidirectional controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F,
//     U+061C) are removed: the text is then shown in its logical order, so
//     an override cannot reorder characters to disguise a name or a link.
//   - Invisible characters that can hide or split text are removed:
//     U+200B ZERO WIDTH SPACE, U+2060–U+2064 (word joiner and the invisible
//     operators), U+FEFF (BOM / ZWNBSP), U+180E, U+FFF9–U+FFFB
//     (interlinear annotation) and the tag characters U+E0000–U+E007F.
//     ZWNJ and ZWJ (U+200C, U+200D) are kept: scripts and emoji need them.
//   - U+2028 LINE SEPARATOR and U+2029 PARAGRAPH SEPARATOR become "\n" in
//     [Text] and "␤" in [Line].
//
// Clean input is returned unchanged without allocating.
package sanitize

import (
	"strings"
	"unicode/utf8"
)

// Placeholders used for characters that are made visible.
const (
	delPicture     = '\u2421' // ␡
	newlinePicture = '\u2424' // ␤, for U+2028/U+2029 in Line
	replacement    = '\uFFFD'
)

// Line makes s safe for a single-line context (index row, header value,
// status line, window title): every control character, including "\n",
// "\r" and "\t", is made visible.
func Line(s string) string { return clean(s, false) }

// Text makes s safe for a multi-line context (the pager): it keeps "\n"
// and "\t", turns CRLF into "\n" and otherwise behaves like [Line].
func Text(s string) string { return clean(s, true) }

func clean(s string, multiline bool) string {
	if isClean(s, multiline) {
		return s
	}
	var b strings.Builder
	b.Grow(len(s) + 16)
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '\r' && multiline && i+1 < len(s) && s[i+1] == '\n':
				// CRLF: the LF on the next iteration is kept.
			case c >= 0x20 && c < 0x7f, multiline && (c == '\n' || c == '\t'):
				b.WriteByte(c)
			case c == 0x7f:
				b.WriteRune(delPicture)
			default:
				b.WriteRune(0x2400 + rune(c))
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch {
		case r == utf8.RuneError && size == 1:
			b.WriteRune(replacement)
		case r >= 0x80 && r <= 0x9f:
			b.WriteRune(replacement)
		case r == '\u2028' || r == '\u2029':
			if multiline {
				b.WriteByte('\n')
			} else {
				b.WriteRune(newlinePicture)
			}
		case dropped(r):
		default:
			b.WriteString(s[i-size : i])
		}
	}
	return b.String()
}

// isClean reports whether s can be returned as is.
func isClean(s string, multiline bool) bool {
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if (c < 0x20 || c == 0x7f) && !(multiline && (c == '\n' || c == '\t')) {
				return false
			}
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if (r == utf8.RuneError && size == 1) || r <= 0x9f || r == '\u2028' || r == '\u2029' || dropped(r) {
			return false
		}
		i += size
	}
	return true
}

// dropped reports whether r is a bidi control or an invisible character
// that is removed from the output.
func dropped(r rune) bool {
	switch {
	case r == '\u061C', r == '\u180E', r == '\u200B', r == '\u200E', r == '\u200F', r == '\uFEFF':
		return true
	case r >= '\u202A' && r <= '\u202E':
		return true
	case r >= '\u2060' && r <= '\u2064', r >= '\u2066' && r <= '\u2069':
		return true
	case r >= '\uFFF9' && r <= '\uFFFB':
		return true
	case r >= 0xE0000 && r <= 0xE007F:
		return true
	}
	return false
}
