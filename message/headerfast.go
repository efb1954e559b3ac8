package message

import (
	"bytes"
	"slices"
	"unicode/utf8"
	"unsafe"

	"github.com/posta-mail/posta/mail"
)

// ParseHeaderBytes is ParseHeader of a header held in memory, as the
// raw fields a header sync fetches: the same header for the same bytes,
// without a reader, and without copying a block that is already as
// readBlock would make it (fields and continuation lines ended by CRLF,
// up to an empty line or the end). It reads only the header block.
func ParseHeaderBytes(raw []byte) mail.Header {
	sc := getScratch()
	var sp indexSpans
	if !sp.scanCanonical(raw) {
		sp = indexSpans{}
		br := getReader(bytes.NewReader(raw))
		block, _ := sc.readBlock(br, func(string) {})
		putReader(br)
		sp.scan(block)
	}
	h := sp.info(sc)
	putScratch(sc)
	return h
}

// scanCanonical is scan of the header block at the start of raw, in
// the same pass as it checks that readBlock would return the block
// unchanged: every line ended by CRLF and without a CR before that; the
// first a field line, each other a field line or a continuation line
// that holds more than white space; no field over maxFieldBytes, the
// block no longer than maxHeaderBytes; up to an empty line or the end
// of raw (where readBlock adds the empty line, which ends the fields as
// the end does). It reports false for anything else, which readBlock
// reads then; sp is then to be reset.
//
// On such a block scan's steps are few: each field line has a name
// of bytes in '!'..'~' (isFieldLine) and runs to the next field line.
func (sp *indexSpans) scanCanonical(raw []byte) bool {
	if len(raw) > maxHeaderBytes {
		return false
	}
	var seen uint32
	field := 0            // the length of the current field, continuation lines included
	var value *[]byte     // where the current field's value goes, if anywhere
	valueStart := 0       // and where it starts in raw
	end := func(at int) { // the current field ends at raw[at]
		if value != nil {
			*value = raw[valueStart:at]
			value = nil
		}
	}
	for i := 0; i < len(raw); {
		nl := bytes.IndexByte(raw[i:], '\n')
		if nl < 1 || raw[i+nl-1] != '\r' {
			return false // a line without CRLF
		}
		start, line := i, raw[i:i+nl-1]
		i += nl + 1
		switch {
		case len(line) == 0:
			end(start)
			return true
		case line[len(line)-1] == '\r' || len(bytes.TrimSpace(line)) == 0:
			return false
		case line[0] == ' ' || line[0] == '\t':
			if field == 0 {
				return false // the first line
			}
			field += 2 + len(line)
		default:
			colon := bytes.IndexByte(line, ':')
			if colon <= 0 {
				return false
			}
			key := trimRightWSP(line[:colon])
			if len(key) == 0 {
				return false
			}
			for _, c := range key {
				if c < '!' || c > '~' {
					return false
				}
			}
			end(start)
			field = len(line)
			if len(key) == 4 && asciiEqualFold(key, "from") {
				if sp.nFrom == 0 {
					value = &sp.from
				} else {
					sp.moreFrom = append(sp.moreFrom, nil)
					value = &sp.moreFrom[len(sp.moreFrom)-1]
				}
				sp.nFrom++
				valueStart = start + colon + 1
				break
			}
			if n := indexFieldOf(key); n >= 0 && seen&(1<<n) == 0 {
				value, valueStart = &sp.slot[n], start+colon+1
				seen |= 1 << n
			}
		}
		if field > maxFieldBytes {
			return false
		}
	}
	end(len(raw))
	return true
}

// stringView returns b as a string without copying it. The string is
// only for a call whose result holds none of it (addressListFastBuf's
// addresses are copied by compact, decodeText of a text with "=?" is a
// string of its own): b must not change while it is in use.
func stringView(b []byte) string {
	return unsafe.String(unsafe.SliceData(b), len(b))
}

// info is (*indexFields).info of the fields indexSpans.scan found, each
// read as its unfolded value: the common forms of each field (printable
// ASCII, one message id, a date as nearly every mailer writes it) are
// read from the bytes, without making a string of every value first;
// anything else goes through the same steps as info's.
// TestScanIndexFieldsCorpus and FuzzScanIndexFields check that the two
// agree.
func (sp *indexSpans) info(sc *headerScratch) mail.Header {
	var out mail.Header
	r := spanReader{ctype: sp.slot[8], buf: sc.val[:0], names: sc.names}
	r.ids(&out, sp)
	switch subject := r.value(sp.slot[3]); {
	case bytes.Contains(subject, []byte("=?")) && utf8.Valid(subject):
		// decodeText of a value with "=?" is a string of its own:
		// it reads the value without copying it first.
		out.Subject = decodeText(stringView(subject))
	case printableASCII(subject):
		out.Subject = string(subject) // decodeText keeps it as it is
	default:
		out.Subject = decodeText(r.conv(string(subject)))
	}
	for i := range sp.nFrom {
		// A second From field is not dropped: its addresses join the
		// first's, as a From naming several authors.
		if list := r.addresses(sp.fromAt(i)); len(out.From) == 0 && len(list) > 0 {
			out.From = list
		} else {
			out.From = append(out.From, list...)
		}
	}
	out.To = r.addresses(sp.slot[5])
	out.Cc = r.addresses(sp.slot[6])
	out.ReplyTo = r.addresses(sp.slot[7])
	date := r.value(sp.slot[4])
	if d, ok := parseDateFast(date); ok {
		out.Date = d
	} else if d, err := parseDate(toUTF8(string(date))); err == nil {
		out.Date = d
	}
	out.HasAttachment, out.Security = typeMarks(r.value(sp.slot[8]), r.value(sp.slot[9]))
	sc.val, sc.names = r.buf, r.names
	return out
}

// spanReader unfolds the values of indexSpans, into buf when they are
// folded, and converts raw 8-bit text as info's charsetConverter does.
// What it returns stays good until the scratch it borrows buf from is
// used again: buf only grows during one header.
type spanReader struct {
	ctype   []byte // the raw Content-Type
	buf     []byte
	names   []byte              // addressListFastBuf's buffer
	convert func(string) string // nil until conv needs it
}

// value returns v unfolded as appendUnfolded unfolds it: the line of a value
// that has only one is a slice of it.
func (r *spanReader) value(v []byte) []byte {
	nl := bytes.IndexByte(v, '\n')
	if nl < 0 || nl == len(v)-1 {
		if nl >= 0 {
			v = v[:nl]
		}
		if len(v) > 0 && v[len(v)-1] == '\r' {
			v = v[:len(v)-1]
		}
		return trimWSP(v)
	}
	start := len(r.buf)
	r.buf = appendUnfolded(slices.Grow(r.buf, len(v)), v) // unfolded, the value is no longer than v
	return r.buf[start:len(r.buf):len(r.buf)]
}

// conv is info's charsetConverter of the Content-Type's charset, made
// when a value first needs it.
func (r *spanReader) conv(v string) string {
	if utf8.ValidString(v) {
		return v // what every converter returns
	}
	if r.convert == nil {
		_, charset := contentTypeCharset(string(r.value(r.ctype)))
		r.convert = charsetConverter(charset)
	}
	return r.convert(v)
}

// addresses is addressList of the converted value v, its addresses
// made fieldText as info makes them.
func (r *spanReader) addresses(v []byte) []mail.Address {
	v = r.value(v)
	if len(v) == 0 {
		return nil // addressList("")
	}
	// The fast path takes only ASCII, which the conversion keeps, and
	// only addresses of printable ASCII, which fieldText keeps.
	if list, ok := addressListFastBuf(stringView(v), &r.names); ok {
		return list
	}
	var list []mail.Address
	if ascii(v) {
		list = addressListSlow(string(v))
	} else {
		list = addressList(r.conv(string(v)))
	}
	for i := range list {
		list[i].Addr = fieldText(list[i].Addr)
	}
	return list
}

// ascii reports whether b is only ASCII.
func ascii(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// printableASCII reports whether b is only printable ASCII (fieldText
// and toUTF8 keep such a value as it is).
func printableASCII(b []byte) bool {
	for _, c := range b {
		if c < 0x20 || c >= 0x7f {
			return false
		}
	}
	return true
}

// ids fills out's Message-ID, In-Reply-To and References as info does:
// the first id parseIDs reads of toUTF8 of each of the first two, ""
// when there is none, and every id of the third. The common forms
// (printable ASCII without comments, the first "<...>" of the first
// two without white space) are read from the bytes, into one string
// for the three fields.
func (r *spanReader) ids(out *mail.Header, sp *indexSpans) {
	id, inReplyTo, refs := r.value(sp.slot[0]), r.value(sp.slot[1]), r.value(sp.slot[2])
	idFast, id := firstIDFast(id)
	inReplyToFast, inReplyTo := firstIDFast(inReplyTo)
	// toUTF8, fieldText and stripComments keep such References as they are.
	refsFast := len(refs) > 0 && printableASCII(refs) && bytes.IndexByte(refs, '(') < 0
	var buf [512]byte
	all := buf[:0]
	if idFast {
		all = append(all, id...)
	}
	if inReplyToFast {
		all = append(all, inReplyTo...)
	}
	if refsFast {
		all = append(all, refs...)
	}
	s, at := string(all), 0
	if idFast {
		out.MessageID, at = s[:len(id)], len(id)
	} else {
		out.MessageID = firstID(id)
	}
	if inReplyToFast {
		out.InReplyTo, at = s[at:at+len(inReplyTo)], at+len(inReplyTo)
	} else {
		out.InReplyTo = firstID(inReplyTo)
	}
	switch {
	case refsFast:
		out.References = parseCleanIDs(s[at:])
	case len(refs) > 0:
		out.References = parseIDs(toUTF8(string(refs)))
	}
}

// firstIDFast returns the first "<...>" of v without its brackets when v
// is of printable ASCII without comments and it holds no white space:
// the first id parseIDs reads. Otherwise it returns false and v.
func firstIDFast(v []byte) (bool, []byte) {
	if printableASCII(v) && bytes.IndexByte(v, '(') < 0 {
		if lt := bytes.IndexByte(v, '<'); lt >= 0 {
			if gt := bytes.IndexByte(v[lt:], '>'); gt > 1 && bytes.IndexByte(v[lt+1:lt+gt], ' ') < 0 {
				return true, v[lt+1 : lt+gt]
			}
		}
	}
	return false, v
}

// firstID is the first message id parseIDs reads of toUTF8(v), "" when
// there is none.
func firstID(v []byte) string {
	if len(v) == 0 {
		return ""
	}
	if ids := parseIDs(toUTF8(string(v))); len(ids) > 0 {
		return ids[0]
	}
	return ""
}

// typeMarks is info's HasAttachment and Security of the unfolded
// Content-Type and Content-Disposition values: attachmentType of the
// type contentTypeCharset reads, and mail.SecurityOf. A Content-Type of
// printable ASCII without a quote before its first ";" is read from the
// bytes, but for the S/MIME types, which need its parameters.
func typeMarks(ctype, disposition []byte) (attachment bool, security mail.Security) {
	base := ctype
	if semi := bytes.IndexByte(base, ';'); semi >= 0 {
		base = base[:semi]
	}
	if !printableASCII(ctype) || bytes.IndexByte(base, '"') >= 0 {
		s := string(ctype)
		t, _ := contentTypeCharset(s)
		return attachmentType(t, string(disposition)), mail.SecurityOf(s)
	}
	base = bytes.Trim(base, " ")
	switch {
	case asciiEqualFold(base, "multipart/signed"):
		security = mail.Signed
	case asciiEqualFold(base, "multipart/encrypted"):
		security = mail.Encrypted
	case asciiEqualFold(base, "application/pkcs7-mime"), asciiEqualFold(base, "application/x-pkcs7-mime"):
		security = mail.SecurityOf(string(ctype))
	}
	t := base // mediaType: the first word, lower case
	if sp := bytes.IndexByte(t, ' '); sp >= 0 {
		t = t[:sp]
	}
	if len(disposition) > 0 {
		if disp, _ := parseParams(string(disposition)); disp == "attachment" {
			return true, security
		}
	}
	switch {
	case asciiEqualFold(t, "multipart/mixed"):
		return true, security
	case len(t) == 0 || asciiHasPrefixFold(t, "text/") || asciiHasPrefixFold(t, "multipart/"):
		return false, security
	}
	return true, security
}

// asciiHasPrefixFold reports whether b starts with prefix (lower case
// ASCII) ignoring ASCII case.
func asciiHasPrefixFold(b []byte, prefix string) bool {
	return len(b) >= len(prefix) && asciiEqualFold(b[:len(prefix)], prefix)
}
