package message

import (
	"bytes"

	"github.com/emersion/go-message/textproto"
)

// indexFields are the values of the fields headerInfo reads: the first
// field of each name, as textproto.Header.Get gives it ("" when there is
// none), and every From field in order.
type indexFields struct {
	messageID, inReplyTo, references string
	subject, date, to, cc, replyTo   string
	contentType, disposition         string
	from                             []string
}

// indexField names the fields of indexFields, lower case, in the order
// of their bits in scanIndexFields's mask.
var indexField = [...]string{
	"message-id", "in-reply-to", "references", "subject", "date", "to", "cc",
	"reply-to", "content-type", "content-disposition",
}

func (f *indexFields) slot(i int) *string {
	return [...]*string{&f.messageID, &f.inReplyTo, &f.references, &f.subject, &f.date,
		&f.to, &f.cc, &f.replyTo, &f.contentType, &f.disposition}[i]
}

// indexFieldsOf reads the index's fields from a parsed header.
func indexFieldsOf(th textproto.Header) indexFields {
	var f indexFields
	for i, name := range indexField {
		*f.slot(i) = th.Get(name)
	}
	f.from = th.Values("From")
	return f
}

// indexSpans are the raw values (what follows the colon, folds and line
// ends kept) of the fields indexFields holds, slices of the header
// block: slot[i] of indexField[i] (nil when there is none), and the
// From fields in order, the first in from and the others in moreFrom.
type indexSpans struct {
	slot     [len(indexField)][]byte
	from     []byte
	moreFrom [][]byte
	nFrom    int
}

// fromAt returns the value of the i-th From field.
func (sp *indexSpans) fromAt(i int) []byte {
	if i == 0 {
		return sp.from
	}
	return sp.moreFrom[i-1]
}

// scan reads the index's fields from a header block as readBlock
// returns it. It follows textproto.ReadHeader step by step: a block
// that starts with white space has no fields; a field is a line and
// the lines after it that start with a space or a tab; the fields end
// at an empty line, at a field without a colon or at one whose name
// (trimmed of spaces and tabs) holds a byte outside '!'..'~'; a field
// with an empty name is skipped; names match as CanonicalMIMEHeaderKey
// makes them match, ignoring ASCII case.
func (sp *indexSpans) scan(raw []byte) {
	var seen uint32
	if len(raw) > 0 && (raw[0] == ' ' || raw[0] == '\t') {
		return
	}
	for len(raw) > 0 {
		end := lineEnd(raw, 0)
		if line := raw[:end]; len(line) == 0 || line[0] == '\n' || (line[0] == '\r' && len(line) > 1 && line[1] == '\n') {
			break // the empty line
		}
		for end < len(raw) && (raw[end] == ' ' || raw[end] == '\t') {
			end = lineEnd(raw, end)
		}
		kv := raw[:end]
		raw = raw[end:]
		colon := bytes.IndexByte(kv, ':')
		if colon < 0 {
			break
		}
		key := trimWSP(kv[:colon])
		for _, c := range key {
			if c < '!' || c > '~' {
				return
			}
		}
		if len(key) == 0 || len(key) > len("content-disposition") {
			continue
		}
		v := kv[colon+1:]
		if len(key) == 4 && asciiEqualFold(key, "from") {
			if sp.nFrom == 0 {
				sp.from = v
			} else {
				sp.moreFrom = append(sp.moreFrom, v)
			}
			sp.nFrom++
			continue
		}
		if i := indexFieldOf(key); i >= 0 && seen&(1<<i) == 0 {
			sp.slot[i] = v
			seen |= 1 << i
		}
	}
}

// lineEnd returns the index just after the line of b that starts at i:
// after its LF, or len(b).
func lineEnd(b []byte, i int) int {
	if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
		return i + j + 1
	}
	return len(b)
}

// appendUnfolded appends v unfolded to dst as go-message's
// trimAroundNewlines unfolds it: each line of v, its CR and the spaces
// and tabs around it cut, the non-empty ones joined by one space.
func appendUnfolded(dst, v []byte) []byte {
	start := len(dst)
	for len(v) > 0 {
		line := v
		if nl := bytes.IndexByte(v, '\n'); nl >= 0 {
			line, v = v[:nl], v[nl+1:]
		} else {
			v = nil
		}
		if len(line) > 0 && line[len(line)-1] == '\r' {
			line = line[:len(line)-1]
		}
		line = trimWSP(line)
		if len(line) == 0 {
			continue
		}
		if len(dst) > start {
			dst = append(dst, ' ')
		}
		dst = append(dst, line...)
	}
	return dst
}

// trimWSP cuts the spaces and tabs around b.
func trimWSP(b []byte) []byte {
	i, n := 0, len(b)
	for i < n && (b[i] == ' ' || b[i] == '\t') {
		i++
	}
	for n > i && (b[n-1] == ' ' || b[n-1] == '\t') {
		n--
	}
	return b[i:n]
}

// indexFieldOf returns the index in indexField of the field named key
// (names match ignoring ASCII case), -1 for any other; From is not one
// of them. TestIndexFieldOf checks it against indexField.
func indexFieldOf(key []byte) int {
	var name string
	i := -1
	switch len(key) {
	case 2:
		switch asciiLower[key[0]] {
		case 't':
			name, i = "to", 5
		case 'c':
			name, i = "cc", 6
		}
	case 4:
		name, i = "date", 4
	case 7:
		name, i = "subject", 3
	case 8:
		name, i = "reply-to", 7
	case 10:
		switch asciiLower[key[0]] {
		case 'm':
			name, i = "message-id", 0
		case 'r':
			name, i = "references", 2
		}
	case 11:
		name, i = "in-reply-to", 1
	case 12:
		name, i = "content-type", 8
	case 19:
		name, i = "content-disposition", 9
	}
	if i < 0 || !asciiEqualFold(key, name) {
		return -1
	}
	return i
}

// trimRightWSP cuts the spaces and tabs at the end of b, as
// bytes.TrimRight(b, " \t") does without making a set of them.
func trimRightWSP(b []byte) []byte {
	n := len(b)
	for n > 0 && (b[n-1] == ' ' || b[n-1] == '\t') {
		n--
	}
	return b[:n]
}

// asciiEqualFold reports whether b is name (lower case ASCII) ignoring
// ASCII case.
func asciiEqualFold(b []byte, name string) bool {
	if len(b) != len(name) {
		return false
	}
	for i, c := range b {
		if asciiLower[c] != name[i] {
			return false
		}
	}
	return true
}
