package message

import (
	"bufio"
	"bytes"
	"errors"
	"io"
	"strings"
	"sync"
	"unicode/utf8"

	_ "github.com/emersion/go-message/charset" // registers charsets for header and body decoding
	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mail"
)

const (
	maxFieldBytes  = 100 << 10 // one header field, continuations included
	maxHeaderBytes = 1 << 20   // the whole header block
	maxLineBytes   = 1 << 20   // one raw line while scanning a header
)

var utf8BOM = []byte{0xef, 0xbb, 0xbf}

// readHeader reads a header block from br without ever failing on its
// content. It stops at the blank line, at EOF, or at the first line that is
// neither a field nor a continuation; such a line is the first line of the
// body and is returned as rest. Problems are reported through warn.
//
// A line of only white space ends the header only when what follows is
// not a continuation or a field: real mailers fold with "\t\r\n", and
// some start the header with a line of spaces (RFC 5322 §2.2.3). A junk
// line followed by a field is skipped when it comes first (a separator,
// as the mbox From line) and kept as a continuation between fields.
func readHeader(br *bufio.Reader, warn func(string)) (h textproto.Header, rest []byte) {
	sc := getScratch()
	block, rest := sc.readBlock(br, warn)
	hr := getReader(bytes.NewReader(block))
	h, err := textproto.ReadHeader(hr)
	putReader(hr)
	putScratch(sc)
	if err != nil {
		warn("malformed header: " + err.Error())
	}
	return h, rest
}

// headerScratch holds the buffers of reading a header block, used
// again: a header's lines, fields and block were a dozen allocations.
type headerScratch struct {
	raw, field, line []byte
	val, names       []byte // unfolded values and names (indexSpans.info)
}

// maxScratchBytes is the largest buffer a headerScratch keeps when it
// goes back to the pool: a header of a few MiB is read with buffers of
// its own, which are let go of.
const maxScratchBytes = 64 << 10

var scratches = sync.Pool{New: func() any { return new(headerScratch) }}

func getScratch() *headerScratch { return scratches.Get().(*headerScratch) }

func putScratch(sc *headerScratch) {
	for _, b := range []*[]byte{&sc.raw, &sc.field, &sc.line, &sc.val, &sc.names} {
		if cap(*b) > maxScratchBytes {
			*b = nil // the others are kept
		}
	}
	scratches.Put(sc)
}

// readBlock reads a header block from br as readHeader does and returns
// it as textproto.ReadHeader reads it: each field (the fold of its
// continuation lines kept) ended by CRLF, then an empty line. The block
// is sc's own and is good until sc is used again; rest is a copy.
func (sc *headerScratch) readBlock(br *bufio.Reader, warn func(string)) (block, rest []byte) {
	raw := sc.raw[:0]
	field := sc.field[:0]
	first := true
	flush := func() {
		if len(field) > 0 && len(raw)+len(field) <= maxHeaderBytes {
			raw = append(raw, field...)
			raw = append(raw, "\r\n"...)
		} else if len(field) > 0 {
			warn("header block truncated at 1 MiB")
		}
		field = field[:0]
	}
	for {
		line, cut, err := readLineInto(br, sc.line[:0], maxLineBytes)
		sc.line = line
		if first {
			line = bytes.TrimPrefix(line, utf8BOM)
			if bytes.HasPrefix(line, []byte("From ")) && err == nil && !isFieldLine(trimEOL(line)) {
				first = false
				continue // mbox separator line
			}
		}
		trimmed := trimEOL(line)
		switch {
		case len(trimmed) > 0 && len(bytes.TrimSpace(trimmed)) == 0 && err == nil && headerGoesOn(br):
			// A line of only white space inside the header: part of a
			// fold, or noise before the next field.
			continue
		case len(bytes.TrimSpace(trimmed)) == 0 && len(line) > 0:
			// The blank line that ends the header; a line of only white
			// space is taken as one too, as broken mailers mean it.
		case len(trimmed) == 0:
			// EOF.
		case trimmed[0] == ' ' || trimmed[0] == '\t':
			if len(field) == 0 {
				first = false
				if err != nil {
					break
				}
				continue // continuation of nothing
			}
			if len(field)+len(trimmed)+2 > maxFieldBytes {
				warn("header line over 100 KB truncated")
			} else {
				field = append(field, "\r\n"...)
				field = append(field, trimmed...)
			}
			if cut {
				warn("header line over 100 KB truncated")
			}
			if err == nil {
				first = false
				continue
			}
		case isFieldLine(trimmed):
			flush()
			if len(trimmed) > maxFieldBytes {
				trimmed = trimmed[:maxFieldBytes]
				cut = true
			}
			if cut {
				warn("header line over 100 KB truncated")
			}
			field = append(field, trimmed...)
			if err == nil {
				first = false
				continue
			}
		case err == nil && first && nextIsField(br):
			// A separator line before the fields ("26-Aug-92
			// 22:15:02-LCL,22076;000000000000"), as the mbox From line.
			first = false
			continue
		case err == nil && len(field) > 0 && nextIsField(br):
			// A line that is neither a field nor a continuation between
			// two fields: a fold that lost its indentation, or a mangled
			// field. It is kept as a continuation.
			warn("malformed header line")
			if len(field)+len(trimmed)+3 <= maxFieldBytes {
				field = append(field, "\r\n "...)
				field = append(field, trimmed...)
			}
			first = false
			continue
		default:
			if !first {
				warn("header not followed by a blank line")
			}
			rest = bytes.Clone(line)
		}
		break
	}
	flush()
	raw = append(raw, "\r\n"...)
	sc.raw, sc.field = raw, field
	return raw, rest
}

// trimEOL is bytes.TrimRight(line, "\r\n") (nil when nothing is left)
// without making a set of the two bytes at every line.
func trimEOL(line []byte) []byte {
	n := len(line)
	for n > 0 && (line[n-1] == '\r' || line[n-1] == '\n') {
		n--
	}
	if n == 0 {
		return nil
	}
	return line[:n]
}

// headerGoesOn reports whether the next line of br continues the header:
// a continuation line or a field.
func headerGoesOn(br *bufio.Reader) bool {
	next := peekLine(br)
	if len(bytes.TrimSpace(next)) == 0 {
		return false
	}
	return next[0] == ' ' || next[0] == '\t' || isFieldLine(next)
}

// nextIsField reports whether the next line of br is a field.
func nextIsField(br *bufio.Reader) bool {
	next := peekLine(br)
	return len(next) > 0 && next[0] != ' ' && next[0] != '\t' && isFieldLine(next)
}

// peekLine returns the start of the next line of br without reading it.
func peekLine(br *bufio.Reader) []byte {
	next, _ := br.Peek(min(br.Size(), 1000))
	if i := bytes.IndexByte(next, '\n'); i >= 0 {
		next = next[:i]
	}
	return bytes.TrimRight(next, "\r")
}

// readLine reads one line including its terminator. A line longer than max
// is cut to max bytes and the rest of it is discarded (cut is true).
func readLine(br *bufio.Reader, max int) (line []byte, cut bool, err error) {
	return readLineInto(br, nil, max)
}

// readLineInto is readLine appending the line to line.
func readLineInto(br *bufio.Reader, line []byte, max int) ([]byte, bool, error) {
	cut := false
	for {
		chunk, e := br.ReadSlice('\n')
		if len(line)+len(chunk) > max {
			cut = true
			if room := max - len(line); room > 0 {
				line = append(line, chunk[:room]...)
			}
		} else {
			line = append(line, chunk...)
		}
		if errors.Is(e, bufio.ErrBufferFull) {
			continue
		}
		return line, cut, e
	}
}

// isFieldLine reports whether line looks like "Name: value".
func isFieldLine(line []byte) bool {
	i := bytes.IndexByte(line, ':')
	if i <= 0 {
		return false
	}
	key := trimRightWSP(line[:i])
	if len(key) == 0 {
		return false
	}
	for _, c := range key {
		if c < 33 || c > 126 {
			return false
		}
	}
	return true
}

// ParseHeader reads the header of a message and returns what the index
// needs. It reads only the header block. It fails only when r cannot be
// read; broken fields are decoded as well as possible or left empty.
// UID, Folder, Flags and Size are left for the caller.
func ParseHeader(r io.Reader) (mail.Header, error) {
	rec := &errRecorder{r: r}
	br := getReader(rec)
	sc := getScratch()
	block, _ := sc.readBlock(br, func(string) {})
	putReader(br)
	if rec.err != nil && rec.n == 0 {
		putScratch(sc)
		return mail.Header{}, rec.err
	}
	var sp indexSpans
	sp.scan(block)
	h := sp.info(sc)
	putScratch(sc)
	return h, nil
}

// readers are the buffered readers of header parsing, used again: two
// fresh 4 KiB buffers per header were a fifth of what decoding the
// headers of a sync allocated. A reader goes back only when nothing
// refers to its buffer any more (readHeader and go-message's ReadHeader
// copy what they keep).
var readers = sync.Pool{New: func() any { return bufio.NewReaderSize(nil, 4096) }}

func getReader(r io.Reader) *bufio.Reader {
	br := readers.Get().(*bufio.Reader)
	br.Reset(r)
	return br
}

func putReader(br *bufio.Reader) {
	br.Reset(nil)
	readers.Put(br)
}

// headerInfo fills a mail.Header from a parsed header.
func headerInfo(th textproto.Header) mail.Header {
	f := indexFieldsOf(th)
	return f.info()
}

// info fills a mail.Header from the index's fields.
func (f *indexFields) info() mail.Header {
	var out mail.Header
	if ids := parseIDs(toUTF8(f.messageID)); len(ids) > 0 {
		out.MessageID = ids[0]
	}
	if ids := parseIDs(toUTF8(f.inReplyTo)); len(ids) > 0 {
		out.InReplyTo = ids[0]
	}
	out.References = parseIDs(toUTF8(f.references))
	ctype, charset := contentTypeCharset(f.contentType)
	conv := charsetConverter(charset)
	out.Subject = decodeText(conv(f.subject))
	for _, v := range f.from {
		// A second From field is not dropped: its addresses join the
		// first's, as a From naming several authors.
		if list := addressList(conv(v)); len(out.From) == 0 && len(list) > 0 {
			out.From = list
		} else {
			out.From = append(out.From, list...)
		}
	}
	out.To = addressList(conv(f.to))
	out.Cc = addressList(conv(f.cc))
	out.ReplyTo = addressList(conv(f.replyTo))
	for _, list := range [][]mail.Address{out.From, out.To, out.Cc, out.ReplyTo} {
		for i := range list {
			list[i].Addr = fieldText(list[i].Addr)
		}
	}
	if d, err := parseDate(toUTF8(f.date)); err == nil {
		out.Date = d
	}
	out.HasAttachment = attachmentType(ctype, f.disposition)
	out.Security = mail.SecurityOf(f.contentType)
	return out
}

// rawFieldReader returns a function that reads a field of th. Raw 8-bit
// text that is not UTF-8 is read in the charset of the message's
// Content-Type when it has one that keeps ASCII as it is (a big5 or
// koi8-r message often has its subject in big5 or koi8-r, unencoded);
// otherwise decodeText reads it as Windows-1252.
func rawFieldReader(th textproto.Header) func(key string) string {
	conv := rawFieldConverter(th)
	return func(key string) string { return conv(th.Get(key)) }
}

// rawFieldConverter returns the conversion of rawFieldReader, for a
// field's value read from th.
func rawFieldConverter(th textproto.Header) func(v string) string {
	_, charset := contentTypeCharset(th.Get("Content-Type"))
	return charsetConverter(charset)
}

// charsetConverter is rawFieldConverter for the charset parameter of
// the Content-Type.
func charsetConverter(charset string) func(v string) string {
	cs := strings.ToLower(charset)
	if strings.HasPrefix(cs, "utf-") || strings.HasPrefix(cs, "ucs") || strings.HasPrefix(cs, "unicode") {
		cs = "" // UTF-8 is already tried; UTF-16 and UTF-32 do not keep ASCII
	}
	if cs == "" {
		return func(v string) string { return v }
	}
	return func(v string) string {
		if utf8.ValidString(v) {
			return v
		}
		if s, known := charsetToUTF8(cs, []byte(v)); known {
			return s
		}
		return v
	}
}

// attachmentType guesses from the top-level Content-Type (its type) and
// Content-Disposition whether the message carries attachments.
func attachmentType(t, disposition string) bool {
	disp := ""
	if disposition != "" {
		disp, _ = parseParams(disposition)
	}
	switch {
	case disp == "attachment":
		return true
	case t == "multipart/mixed":
		return true
	case t == "" || strings.HasPrefix(t, "text/") || strings.HasPrefix(t, "multipart/"):
		return false
	}
	return true
}

// parseIDs returns the message ids of a field without angle brackets.
// White space and comments inside the brackets are removed, so
// "<9209252113.AA00975@ ebony >" keeps its whole id; a field without
// brackets is split on white space.
func parseIDs(v string) []string {
	return parseCleanIDs(stripComments(fieldText(v)))
}

// parseCleanIDs is parseIDs of a value that fieldText and stripComments
// keep as it is.
func parseCleanIDs(v string) []string {
	var ids []string
	for {
		lt := strings.IndexByte(v, '<')
		if lt < 0 {
			break
		}
		gt := strings.IndexByte(v[lt:], '>')
		if gt < 0 {
			v = v[lt+1:]
			break
		}
		if id := withoutSpace(v[lt+1 : lt+gt]); id != "" {
			if ids == nil {
				ids = make([]string, 0, min(strings.Count(v, "<"), 16))
			}
			ids = append(ids, id)
		}
		v = v[lt+gt+1:]
	}
	if len(ids) > 0 {
		return ids
	}
	for _, f := range strings.Fields(v) {
		f = strings.Trim(f, "<>,")
		if f != "" {
			ids = append(ids, f)
		}
	}
	return ids
}

// withoutSpace returns s without its white space (as strings.Fields
// finds it), s itself when it has none.
func withoutSpace(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] <= ' ' || s[i] >= utf8.RuneSelf {
			return strings.Join(strings.Fields(s), "")
		}
	}
	return s
}

// toUTF8 returns s unchanged when it is valid UTF-8 and otherwise reads it
// as Windows-1252, the usual charset of raw 8-bit headers. Text that is
// mostly UTF-8 (more multi-byte characters than stray bytes, as a UTF-8
// name cut in the middle of a character) stays UTF-8, its stray bytes
// becoming U+FFFD.
func toUTF8(s string) string {
	if utf8.ValidString(s) {
		return s
	}
	multi, stray := 0, 0
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == utf8.RuneError && size == 1:
			stray++
		case size > 1:
			multi++
		}
		i += size
	}
	if multi > stray {
		return strings.ToValidUTF8(s, "\uFFFD")
	}
	return decodeWindows1252([]byte(s))
}
