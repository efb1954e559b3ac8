package message

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"
	"unsafe"

	"github.com/emersion/go-message/charset"
)

// charsetToUTF8 converts b from the named charset to valid UTF-8. A
// language suffix ("iso-8859-2*sl", RFC 2231 §5) is ignored. When the
// charset is unknown, known is false and b is read as UTF-8 if it is valid
// and as Windows-1252 otherwise.
func charsetToUTF8(name string, b []byte) (s string, known bool) {
	cs := strings.ToLower(strings.Trim(strings.TrimSpace(name), `"'`))
	if i := strings.IndexByte(cs, '*'); i >= 0 {
		cs = cs[:i]
	}
	switch cs {
	case "utf-8", "utf8":
		return strings.ToValidUTF8(string(b), "\uFFFD"), true
	case "", "us-ascii", "ascii", "none", "unknown-8bit", "x-unknown", "unknown", "default":
		return toUTF8(string(b)), true
	case "utf-7", "utf7", "unicode-1-1-utf-7", "csunicode11utf7", "x-unicode-2-0-utf-7":
		return decodeUTF7(b), true
	case "utf-16", "utf16", "ucs-2", "unicode":
		// Without a byte order mark RFC 2781 says big endian, but
		// Windows sends little endian: the zero bytes of Latin text
		// tell which.
		if !bytes.HasPrefix(b, []byte{0xfe, 0xff}) && !bytes.HasPrefix(b, []byte{0xff, 0xfe}) && littleEndianGuess(b) {
			cs = "utf-16le"
		}
	}
	if enc := fastDecoder(cs); enc != nil {
		if out, err := enc.NewDecoder().Bytes(b); err == nil || len(out) > 0 {
			return strings.ToValidUTF8(string(out), "\uFFFD"), true
		}
	}
	if r, err := charset.Reader(cs, bytes.NewReader(b)); err == nil {
		out, err := io.ReadAll(r)
		if err == nil || len(out) > 0 {
			return strings.ToValidUTF8(string(out), "\uFFFD"), true
		}
	}
	return toUTF8(string(b)), false
}

// decodeText decodes the RFC 2047 encoded words of a header value and
// makes the result valid UTF-8 without control characters (see
// fieldText). Each run of adjacent words in one charset
// is decoded on its own (so a multi-byte character split between two
// words survives, and a word in an unknown charset does not spoil its
// neighbours); white space between encoded words is dropped (RFC 2047
// §6.2); a language tag (`=?iso-8859-2*sl?Q?...?=`, RFC 2231 §5) is
// ignored; invalid UTF-8 becomes U+FFFD. Raw 8-bit text outside words is
// read as UTF-8 or Windows-1252. Malformed words are kept as they are.
// When s holds "=?", the result is a string of its own, never s or a
// part of it (indexSpans.info counts on it).
func decodeText(s string) string {
	if !strings.Contains(s, "=?") {
		return fieldText(toUTF8(s))
	}
	if len(s) > maxStackText {
		// Buffers of the text's size, which the words' bytes fit in
		// (decoded, they are shorter): the text is a string of out's
		// bytes, which nothing writes to any more.
		out := decodeWords(make([]byte, 0, len(s)), make([]byte, 0, len(s)), s)
		return fieldText(unsafe.String(unsafe.SliceData(out), len(out)))
	}
	var outBuf, runBuf [maxStackText]byte
	return fieldText(string(decodeWords(outBuf[:0], runBuf[:0], s)))
}

// maxStackText is the longest text decodeText decodes in buffers on the
// stack: most subjects and names.
const maxStackText = 256

// decodeWords is decodeText's decoding of s, appended to out; run is
// the buffer of a run of words. What lies between the last word and the
// next one is s[gap:at].
func decodeWords(out, run []byte, s string) []byte {
	inRun, runCS := false, "" // a run of words, and their charset
	gap := 0
	for at := 0; at < len(s); {
		i := strings.Index(s[at:], "=?")
		if i < 0 {
			break
		}
		at += i
		mark := len(run)
		cs, more, n, ok := appendEncodedWord(run, s[at:])
		if !ok {
			// Not a word: "=?" stays in the text between words.
			at += 2
			continue
		}
		run = more
		between := s[gap:at]
		if inRun && strings.TrimSpace(between) == "" {
			between = "" // white space between two words
		}
		if between != "" || !strings.EqualFold(cs, runCS) {
			if inRun {
				out = appendCharset(out, runCS, run[:mark])
			}
			run = run[:copy(run, run[mark:])] // the new word starts a run
			inRun = false
			out = append(out, toUTF8(between)...)
		}
		if !inRun {
			inRun, runCS = true, cs
		}
		at += n
		gap = at
	}
	if inRun {
		out = appendCharset(out, runCS, run)
	}
	return append(out, toUTF8(s[gap:])...)
}

// appendCharset appends b converted from the named charset to valid
// UTF-8 as charsetToUTF8 converts it: UTF-8 and ASCII that are valid
// UTF-8 are appended as they are.
func appendCharset(out []byte, name string, b []byte) []byte {
	if (asciiFoldIs(name, "utf-8") || asciiFoldIs(name, "utf8") || asciiFoldIs(name, "us-ascii")) && utf8.Valid(b) {
		return append(out, b...)
	}
	// A copy, so that b (decodeText's buffer on the stack) does not
	// escape through charsetToUTF8's readers.
	s, _ := charsetToUTF8(name, bytes.Clone(b))
	return append(out, s...)
}

// asciiFoldIs reports whether s is name (lower case ASCII) ignoring
// ASCII case.
func asciiFoldIs(s, name string) bool {
	if len(s) != len(name) {
		return false
	}
	for i := 0; i < len(s); i++ {
		if asciiLower[s[i]] != name[i] {
			return false
		}
	}
	return true
}

// Bounds of an encoded word's parts (RFC 2047 allows 75 bytes in all;
// real mail has longer ones): they keep a field full of "=?" linear.
const (
	maxCharsetName = 100
	maxWordText    = 16 << 10
)

// encodedWord parses the encoded word at the start of s
// ("=?charset?enc?text?="), returning the charset (language tag
// included), the decoded bytes and the length of the word.
func encodedWord(s string) (cs string, data []byte, n int, ok bool) {
	return appendEncodedWord(nil, s)
}

// appendEncodedWord is encodedWord appending the decoded bytes to dst;
// dst is returned unchanged when s does not start with a word.
func appendEncodedWord(dst []byte, s string) (cs string, data []byte, n int, ok bool) {
	rest := s[2:]
	q1 := strings.IndexByte(rest[:min(len(rest), maxCharsetName)], '?')
	if q1 <= 0 || len(rest) < q1+3 || rest[q1+2] != '?' {
		return "", dst, 0, false
	}
	cs, enc := rest[:q1], rest[q1+1]
	for i := 0; i < len(cs); i++ {
		if c := cs[i]; c == ' ' || c == '\t' || c == '\r' || c == '\n' {
			return "", dst, 0, false
		}
	}
	text := rest[q1+3:]
	end := strings.Index(text[:min(len(text), maxWordText)], "?=")
	if end < 0 {
		return "", dst, 0, false
	}
	text = text[:end]
	if strings.IndexByte(text, '\r') >= 0 || strings.IndexByte(text, '\n') >= 0 {
		// RFC 2047 forbids white space in a word, but some mailers fold
		// inside one; take it only if it ends on this line.
		return "", dst, 0, false
	}
	switch enc {
	case 'q', 'Q':
		data = appendQ(dst, text)
	case 'b', 'B':
		data = appendB64Word(dst, text)
	default:
		return "", dst, 0, false
	}
	return cs, data, 2 + q1 + 3 + end + 2, true
}

// appendQ appends the decoding of the Q encoding of RFC 2047 §4.2 to
// out, keeping a "=" that is not followed by two hex digits.
func appendQ(out []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '_':
			out = append(out, ' ')
		case c == '=' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]):
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
		default:
			out = append(out, c)
		}
	}
	return out
}

// wordCharsetReader is the CharsetReader of the address parser's word
// decoder: it never fails, so one word in an unknown charset does not
// make the whole address list unreadable.
func wordCharsetReader(cs string, r io.Reader) (io.Reader, error) {
	b, err := io.ReadAll(r)
	if err != nil {
		return nil, err
	}
	s, _ := charsetToUTF8(cs, b)
	return strings.NewReader(s), nil
}

// validUTF8 replaces invalid UTF-8 with U+FFFD.
func validUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	return strings.ToValidUTF8(s, "\uFFFD")
}

// fieldText makes a decoded header value valid UTF-8 without C0 or C1
// controls, so that what ParseHeader returns is safe to store, print as
// JSON or compare: tab, CR and LF (folding left in a value or decoded
// from a word) become spaces, the other C0 controls and DEL their Control
// Pictures ("␛"), as sanitize.Line shows them, and C1 controls and invalid
// bytes U+FFFD.
func fieldText(s string) string {
	ascii := 0
	for ascii < len(s) && s[ascii] >= 0x20 && s[ascii] < 0x7f {
		ascii++
	}
	if ascii == len(s) {
		return s // printable ASCII, as most values are
	}
	// The printable ASCII before s[ascii] is valid and holds no control.
	clean := utf8.ValidString(s[ascii:])
	for i := ascii; clean && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || (c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f) {
			clean = false
		}
	}
	if clean {
		return s
	}
	return replaceControls(s)
}

// replaceControls is fieldText's rewriting of a value that is not valid
// UTF-8 or holds controls.
func replaceControls(s string) string {
	var b strings.Builder
	for _, r := range strings.ToValidUTF8(s, "\uFFFD") {
		switch {
		case r == '\t' || r == '\r' || r == '\n':
			b.WriteByte(' ')
		case r < 0x20:
			b.WriteRune(0x2400 + r)
		case r == 0x7f:
			b.WriteRune('\u2421')
		case r >= 0x80 && r <= 0x9f:
			b.WriteRune('\uFFFD')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// littleEndianGuess reports whether UTF-16 text without a byte order mark
// looks little endian: more zero bytes at odd offsets than at even ones.
func littleEndianGuess(b []byte) bool {
	even, odd := 0, 0
	for i := 0; i+1 < len(b) && i < 4096; i += 2 {
		if b[i] == 0 {
			even++
		}
		if b[i+1] == 0 {
			odd++
		}
	}
	return odd > even
}
