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
//   - Invisible characters: the default-ignorable code points of Unicode
//     (U+00AD SOFT HYPHEN, U+034F, U+061C, U+115F, U+1160, U+17B4, U+17B5,
//     U+180B–U+180F, U+200B–U+200F, U+202A–U+202E, U+2060–U+206F,
//     U+3164, U+FE00–U+FE0F, U+FEFF, U+FFA0, U+FFF0–U+FFF8, U+1BCA0–U+1BCA3,
//     U+1D173–U+1D17A, U+E0000–U+E0FFF; the Hangul fillers and the bidi
//     controls among them) and U+FFF9–U+FFFB. Terminals and width tables
//     disagree on how many columns they take (a soft hyphen is drawn one
//     column wide but counted as zero), and they hide or reorder text: a
//     Hangul filler or a zero width space makes "Pay\u3164Pal" or
//     "pay\u200Bpal.com" look like PayPal. [Line] shows each of them as
//     "<U+XXXX>", so a sender, a domain or a subject never silently loses
//     a character; [Text] (a message body, often padded with such
//     characters) removes them. Two exceptions keep real text intact: a
//     variation selector or tag character right after a non-ASCII
//     character or before a keycap mark (an emoji's presentation, a flag,
//     "1\uFE0F\u20E3") is removed in both, so
//     the column count is exact, and ZWJ/ZWNJ (U+200D, U+200C) between two
//     non-ASCII characters are kept, as scripts and emoji need them.
//     The direction marks (U+200E, U+200F, U+061C) are removed next to a
//     non-ASCII character, where right-to-left text uses them. No
//     bidirectional control is ever passed through: the text is shown in
//     its logical order, so an override cannot reorder characters.
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
	afterBase := false // the last rune written is a non-ASCII character
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
			afterBase = false
			i++
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		i += size
		switch class := invisibleClass(r); {
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
		case class == visible:
			b.WriteString(s[i-size : i])
			afterBase = true
			continue
		case class == selector && (afterBase || strings.HasPrefix(s[i:], "\u20E3")):
			continue // presentation of the character before (or of a keycap): dropped
		case class == joiner && afterBase && i < len(s) && joinsNext(s[i:]):
			b.WriteString(s[i-size : i])
		case class == mark && (afterBase || (i < len(s) && joinsNext(s[i:]))):
			// a direction mark in right-to-left text: dropped
			continue
		case multiline:
			// dropped from a body
		default:
			writeCodePoint(&b, r)
		}
		afterBase = false
	}
	return b.String()
}

// joinsNext reports whether s starts with a non-ASCII character that
// clean writes as it is (a joiner kept before a line separator, which
// becomes a newline, would dangle at the end of a line) and that is not
// U+FFFD.
func joinsNext(s string) bool {
	r, size := utf8.DecodeRuneInString(s)
	return r != utf8.RuneError && writtenAsIs(r, size)
}

// writtenAsIs reports whether clean writes the non-ASCII rune r, decoded
// from size bytes, as it is: not an invalid byte, a C1 control, a line or
// paragraph separator or an invisible character.
func writtenAsIs(r rune, size int) bool {
	return !(r == utf8.RuneError && size == 1) && r > 0x9f && r != '\u2028' && r != '\u2029' && invisibleClass(r) == visible
}

// writeCodePoint writes r as "<U+XXXX>".
func writeCodePoint(b *strings.Builder, r rune) {
	const hex = "0123456789ABCDEF"
	b.WriteString("<U+")
	digits := 4
	if r > 0xffff {
		digits = 5
		if r > 0xfffff {
			digits = 6
		}
	}
	for d := digits - 1; d >= 0; d-- {
		b.WriteByte(hex[(r>>(4*d))&0xf])
	}
	b.WriteByte('>')
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
		if !writtenAsIs(r, size) {
			return false
		}
		i += size
	}
	return true
}

// Classes of characters for [invisibleClass].
const (
	visible  = iota
	hidden   // shown as <U+XXXX> by Line, removed by Text
	selector // variation selectors and tags: removed after a character they modify
	joiner   // ZWJ and ZWNJ: kept between two non-ASCII characters
	mark     // LRM, RLM, ALM: removed next to a non-ASCII character
)

// Invisible reports whether r is a character that Line shows as
// "<U+XXXX>" (or removes, where it only selects the presentation of the
// character before it) and Text removes: the default-ignorable code
// points, the Hangul fillers and the bidi controls among them, and the
// interlinear annotation characters. Callers that build names from mail
// (file names) use it to leave such characters out.
func Invisible(r rune) bool { return invisibleClass(r) != visible }

func invisibleClass(r rune) int {
	if r < 0xad {
		return visible
	}
	switch {
	case r == '\u200C' || r == '\u200D':
		return joiner
	case r >= '\uFE00' && r <= '\uFE0F', r >= 0xE0100 && r <= 0xE01EF,
		r >= '\u180B' && r <= '\u180D', r == '\u180F',
		r >= 0xE0020 && r <= 0xE007F:
		return selector
	case r == '\u200E' || r == '\u200F' || r == '\u061C':
		return mark
	case r == '\u00AD', r == '\u034F', r == '\u115F', r == '\u1160',
		r == '\u17B4', r == '\u17B5', r == '\u180E', r == '\u3164', r == '\uFEFF', r == '\uFFA0':
		return hidden
	case r >= '\u200B' && r <= '\u200F', r >= '\u202A' && r <= '\u202E', r >= '\u2060' && r <= '\u206F':
		return hidden
	case r >= '\uFFF0' && r <= '\uFFFB':
		return hidden
	case r >= 0x1BCA0 && r <= 0x1BCA3, r >= 0x1D173 && r <= 0x1D17A, r >= 0xE0000 && r <= 0xE0FFF:
		return hidden
	}
	return visible
}
