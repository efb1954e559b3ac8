package message

import (
	"bufio"
	"bytes"
	"io"
	"strings"
)

// transferDecoder returns a reader that undoes the Content-Transfer-Encoding
// cte, tolerating damaged input. Unknown encodings are passed through and
// reported through warn.
func transferDecoder(cte string, r io.Reader, warn func(string)) io.Reader {
	enc := strings.ToLower(strings.Trim(strings.TrimSpace(cte), `";`))
	switch enc {
	case "quoted-printable", "quoted printable", "quotedprintable":
		return &qpReader{br: bufio.NewReader(r)}
	case "base64":
		return &b64Reader{r: r}
	case "", "7bit", "8bit", "binary", "7-bit", "8-bit", "plain", "none":
		return r
	case "x-uuencode", "uuencode", "x-uue", "uue":
		return newUUReader(r)
	}
	if len(enc) > 40 {
		enc = enc[:40] + "…"
	}
	warn("unknown transfer encoding " + enc + ", shown as-is")
	return r
}

// qpReader decodes quoted-printable leniently: "=XX" with hex digits is a
// byte, "=" before the end of a line is a soft line break, and any other
// "=" is kept literally.
type qpReader struct {
	br  *bufio.Reader
	out []byte
}

func (q *qpReader) Read(p []byte) (int, error) {
	for len(q.out) < len(p) {
		// The bytes before the next "=" in the buffer are the text
		// itself: taken at once, not a byte at a time.
		if b, _ := q.br.Peek(q.br.Buffered()); len(b) > 0 && b[0] != '=' {
			i := bytes.IndexByte(b, '=')
			if i < 0 {
				i = len(b)
			}
			i = min(i, len(p)-len(q.out))
			q.out = append(q.out, b[:i]...)
			q.br.Discard(i)
			continue
		}
		c, err := q.br.ReadByte()
		if err != nil {
			if len(q.out) == 0 {
				return 0, err
			}
			break
		}
		if c != '=' {
			q.out = append(q.out, c)
			continue
		}
		next, _ := q.br.Peek(2)
		switch {
		case len(next) == 2 && isHex(next[0]) && isHex(next[1]):
			q.out = append(q.out, unhex(next[0])<<4|unhex(next[1]))
			q.br.Discard(2)
		case len(next) >= 1 && next[0] == '\n':
			q.br.Discard(1)
		case len(next) == 2 && next[0] == '\r' && next[1] == '\n':
			q.br.Discard(2)
		case len(next) == 0:
			// "=" at the very end: a soft break.
		default:
			if !q.skipTrailingSpace() {
				q.out = append(q.out, '=')
			}
		}
	}
	n := copy(p, q.out)
	q.out = q.out[:copy(q.out, q.out[n:])]
	return n, nil
}

// skipTrailingSpace consumes "=  \r\n" (a soft break followed by padding
// that some encoders leave) and reports whether it did.
func (q *qpReader) skipTrailingSpace() bool {
	buf, _ := q.br.Peek(78)
	for i, c := range buf {
		switch c {
		case ' ', '\t', '\r':
			continue
		case '\n':
			q.br.Discard(i + 1)
			return true
		}
		return false
	}
	return false
}

func isHex(c byte) bool {
	return (c >= '0' && c <= '9') || (c >= 'A' && c <= 'F') || (c >= 'a' && c <= 'f')
}

func unhex(c byte) byte {
	switch {
	case c >= 'a':
		return c - 'a' + 10
	case c >= 'A':
		return c - 'A' + 10
	}
	return c - '0'
}

// b64Reader decodes base64 leniently: characters outside the alphabet
// are skipped, the URL-safe alphabet is accepted, and a dangling last
// character is dropped. Padding ends the data unless what follows it is
// more base64: once a group was padded, each following line is decoded
// only if it holds nothing but the standard alphabet, "=" and white space,
// and the first other line ends the body (a mailing-list footer appended
// after the encoded data is not decoded into garbage; its start is kept in
// trailer, so a text part can show it as text). Separately padded chunks
// thus still decode.
type b64Reader struct {
	r       io.Reader
	in      []byte
	out     []byte
	pos     int // read offset in out
	acc     uint32
	count   int
	eof     bool
	padded  bool   // a group was ended by "="
	line    []byte // the current line after padding, not yet decoded
	stopped bool   // the data ended; the rest of the input is kept in trailer
	trailer []byte // the start of the text after the data (a list footer)
}

const maxB64Trailer = 64 << 10

var b64Value = func() (t [256]byte) {
	for i := range t {
		t[i] = 0xff
	}
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	for i := 0; i < len(alphabet); i++ {
		t[alphabet[i]] = byte(i)
	}
	t['-'], t['_'] = 62, 63
	return t
}()

func (b *b64Reader) Read(p []byte) (int, error) {
	if b.in == nil {
		b.in = make([]byte, 32<<10)
	}
	for len(b.out) == b.pos {
		if b.eof {
			return 0, io.EOF
		}
		n, err := b.r.Read(b.in)
		b.feedAll(b.in[:n])
		if err != nil {
			b.finish()
			b.eof = true
		}
	}
	n := copy(p, b.out[b.pos:])
	b.pos += n
	if b.pos == len(b.out) {
		b.out, b.pos = b.out[:0], 0
	}
	return n, nil
}

// feedAll takes the input bytes in: the data before any padding, the
// bulk of a part, is decoded in a loop of its own (as decode would, a
// byte at a time); the rest goes to feed.
func (b *b64Reader) feedAll(in []byte) {
	for i := 0; i < len(in); i++ {
		if b.padded || b.stopped {
			for _, c := range in[i:] {
				b.feed(c)
			}
			return
		}
		acc, count, out := b.acc, b.count, b.out
		for ; i < len(in); i++ {
			if count == 0 && i+4 <= len(in) {
				// A whole group of the alphabet at once (a byte outside
				// it, "=" too, is 0xff in b64Value).
				v0, v1, v2, v3 := b64Value[in[i]], b64Value[in[i+1]], b64Value[in[i+2]], b64Value[in[i+3]]
				if (v0|v1|v2|v3)&0xc0 == 0 {
					g := uint32(v0)<<18 | uint32(v1)<<12 | uint32(v2)<<6 | uint32(v3)
					out = append(out, byte(g>>16), byte(g>>8), byte(g))
					i += 3
					continue
				}
			}
			c := in[i]
			if c == '=' {
				break
			}
			v := b64Value[c]
			if v == 0xff {
				continue
			}
			acc = acc<<6 | uint32(v)
			if count++; count == 4 {
				out = append(out, byte(acc>>16), byte(acc>>8), byte(acc))
				acc, count = 0, 0
			}
		}
		b.acc, b.count, b.out = acc, count, out
		if i < len(in) {
			b.feed(in[i]) // "=": padding
		}
	}
}

// feed takes one input byte.
func (b *b64Reader) feed(c byte) {
	switch {
	case b.stopped:
		if len(b.trailer) < maxB64Trailer {
			b.trailer = append(b.trailer, c)
		}
	case !b.padded:
		b.decode(c)
	case c == '\n':
		b.decodeLine()
	case c == ' ' || c == '\t' || c == '\r':
	case c == '=' || c == '+' || c == '/' || (b64Value[c] != 0xff && c != '-' && c != '_'):
		b.line = append(b.line, c)
		if len(b.line) >= 4096 {
			b.decodeLine()
		}
	default:
		b.stopped = true
		b.trailer = append(append(b.trailer, b.line...), c)
		b.line = nil
	}
}

// decodeLine decodes the buffered line after padding.
func (b *b64Reader) decodeLine() {
	if len(b.line) == 0 {
		return // a blank line: still after padding
	}
	line := b.line
	b.line, b.padded = b.line[:0], false
	for _, c := range line {
		b.decode(c)
	}
}

func (b *b64Reader) decode(c byte) {
	if c == '=' {
		b.padded = true
		b.flush()
		return
	}
	v := b64Value[c]
	if v == 0xff {
		return
	}
	b.acc = b.acc<<6 | uint32(v)
	b.count++
	if b.count == 4 {
		b.out = append(b.out, byte(b.acc>>16), byte(b.acc>>8), byte(b.acc))
		b.acc, b.count = 0, 0
	}
}

// decodeB64Word decodes the text of an encoded word as b64Reader reads
// it to its end, without a reader's buffers: a header sync decodes two
// or three words per message, and the 32 KiB input buffer of a reader
// was most of what decoding a header allocated.
func decodeB64Word(text string) []byte {
	b := b64Reader{out: make([]byte, 0, len(text)*3/4+3)}
	b.feedAll([]byte(text))
	b.finish()
	return b.out
}

// appendB64Word appends decodeB64Word(text) to dst. Text whose only
// "=" are its padding at the end, as nearly every word's, is decoded
// here: b64Reader decodes it so (its data a byte at a time, the first
// "=" emitting the bytes of an incomplete group, and the others after
// it nothing).
func appendB64Word(dst []byte, text string) []byte {
	data := strings.TrimRight(text, "=")
	if strings.IndexByte(data, '=') >= 0 {
		return append(dst, decodeB64Word(text)...)
	}
	var acc uint32
	count := 0
	for i := 0; i < len(data); i++ {
		v := b64Value[data[i]]
		if v == 0xff {
			continue
		}
		acc = acc<<6 | uint32(v)
		if count++; count == 4 {
			dst = append(dst, byte(acc>>16), byte(acc>>8), byte(acc))
			acc, count = 0, 0
		}
	}
	switch count { // b64Reader.flush
	case 2:
		dst = append(dst, byte(acc>>4))
	case 3:
		dst = append(dst, byte(acc>>10), byte(acc>>2))
	}
	return dst
}

// finish decodes what waits at the end of the input: a line after
// padding, the bytes of an incomplete group.
func (b *b64Reader) finish() {
	if b.padded && !b.stopped {
		b.decodeLine()
	}
	b.flush()
}

// flush emits the bytes of an incomplete group.
func (b *b64Reader) flush() {
	switch b.count {
	case 2:
		b.out = append(b.out, byte(b.acc>>4))
	case 3:
		b.out = append(b.out, byte(b.acc>>10), byte(b.acc>>2))
	}
	b.acc, b.count = 0, 0
}

// decodeCharset converts b from the named charset to UTF-8. Unknown
// charsets are shown as-is when the bytes are UTF-8 and as Windows-1252
// otherwise, with a warning.
func decodeCharset(b []byte, name string, warn func(string)) string {
	s, known := charsetToUTF8(name, b)
	if !known {
		cs := strings.ToLower(strings.Trim(strings.TrimSpace(name), `"'`))
		if len(cs) > 40 {
			cs = cs[:40] + "…"
		}
		warn("unknown charset " + cs + ", shown as-is")
	}
	return s
}
