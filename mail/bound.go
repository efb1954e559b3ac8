package mail

import (
	"bytes"
	"strings"
	"unicode/utf8"
)

// Bounds on what the index keeps of one message's header. The message
// itself (on disk, or on the server) keeps every byte; these bound what
// is decoded, stored and listed, so that a hostile message (a 50 MB
// Subject, 100,000 recipients) costs the index and every screen that
// reads it no more than an ordinary one.
const (
	MaxSubjectBytes   = 2048 // Subject
	MaxIDBytes        = 998  // Message-ID, In-Reply-To, each reference: RFC 5322's line length
	MaxReferences     = 100  // the newest References are kept
	MaxAddresses      = 100  // From, To, Cc, Reply-To: the first ones are kept
	MaxAddressBytes   = 320  // an address's name, and its address
	maxHeaderUIDBytes = 256  // UIDs: an IMAP UID is 10 digits, a POP3 UIDL at most 70 characters

	// RawFields up to MaxRawFieldsBytes are kept as they are (the index's
	// fields of an ordinary message take 1 or 2 KB). Longer ones keep
	// their fields cut to MaxRawFieldBytes each (enough for
	// MaxSubjectBytes of decoded text and MaxReferences ids), as many as
	// fit in maxRawFieldsTotal bytes.
	MaxRawFieldsBytes = 16 << 10
	MaxRawFieldBytes  = 8 << 10
	maxRawFieldsTotal = 64 << 10
)

// Bounded returns h with every field cut to the bounds above. Cut strings
// are copies, so that they do not keep a huge original alive; a header
// within the bounds is returned as it is.
func (h Header) Bounded() Header {
	h.Subject = cutString(h.Subject, MaxSubjectBytes)
	h.MessageID = cutString(h.MessageID, MaxIDBytes)
	h.InReplyTo = cutString(h.InReplyTo, MaxIDBytes)
	if n := len(h.References); n > MaxReferences {
		h.References = h.References[n-MaxReferences:]
	}
	h.References = boundEach(h.References, MaxIDBytes)
	h.From = boundAddresses(h.From)
	h.To = boundAddresses(h.To)
	h.Cc = boundAddresses(h.Cc)
	h.ReplyTo = boundAddresses(h.ReplyTo)
	h.UID = cutString(h.UID, maxHeaderUIDBytes)
	h.RawFields = boundRawFields(h.RawFields)
	return h
}

// boundRawFields returns raw when it is at most MaxRawFieldsBytes long,
// and otherwise a copy of its fields in their order, each cut to
// MaxRawFieldBytes (References to its last, newest, ids), as many as fit
// in maxRawFieldsTotal bytes. Lines that are not fields are dropped.
func boundRawFields(raw []byte) []byte {
	if len(raw) <= MaxRawFieldsBytes {
		return raw
	}
	out := make([]byte, 0, MaxRawFieldsBytes)
	for len(raw) > 0 {
		end := fieldEnd(raw)
		field := bytes.TrimRight(raw[:end], " \t\r\n")
		raw = raw[end:]
		colon := bytes.IndexByte(field, ':')
		if colon <= 0 || field[0] == ' ' || field[0] == '\t' {
			continue
		}
		if len(field) > MaxRawFieldBytes {
			name := bytes.TrimRight(field[:colon], " \t")
			field = cutField(field, colon < 100 && bytes.EqualFold(name, []byte("References")), colon)
			if len(field) <= colon {
				continue // the cut left only (part of) a name: not a field
			}
		}
		if len(out)+len(field)+2 > maxRawFieldsTotal {
			break
		}
		out = append(out, field...)
		out = append(out, "\r\n"...)
	}
	return out
}

// fieldEnd returns the length of the field that starts raw: up to and
// including the line break that is not followed by a continuation line.
func fieldEnd(raw []byte) int {
	at := 0
	for {
		nl := bytes.IndexByte(raw[at:], '\n')
		if nl < 0 {
			return len(raw)
		}
		at += nl + 1
		if at == len(raw) || (raw[at] != ' ' && raw[at] != '\t') {
			return at
		}
	}
}

// cutField cuts a field (name, colon at colon, value) to at most
// MaxRawFieldBytes: its head, ended at white space where there is some in
// the second half so that an encoded word is not cut, or for tail (a
// References field) its name and the last ids of its value.
func cutField(field []byte, tail bool, colon int) []byte {
	if tail {
		name := field[:colon+1]
		rest := field[len(field)-(MaxRawFieldBytes-len(name)-1):]
		if lt := bytes.IndexByte(rest, '<'); lt >= 0 {
			rest = rest[lt:]
		}
		return append(append(append([]byte(nil), name...), ' '), rest...)
	}
	head := field[:MaxRawFieldBytes]
	if sp := bytes.LastIndexAny(head, " \t"); sp > MaxRawFieldBytes/2 {
		head = head[:sp]
	}
	return bytes.TrimRight(head, " \t\r\n")
}

func boundEach(ss []string, n int) []string {
	for i, s := range ss {
		if len(s) > n {
			ss = append([]string(nil), ss...)
			for j := i; j < len(ss); j++ {
				ss[j] = cutString(ss[j], n)
			}
			return ss
		}
	}
	return ss
}

func boundAddresses(as []Address) []Address {
	if len(as) > MaxAddresses {
		as = as[:MaxAddresses:MaxAddresses]
	}
	for i, a := range as {
		if len(a.Name) > MaxAddressBytes || len(a.Addr) > MaxAddressBytes {
			as = append([]Address(nil), as...)
			for j := i; j < len(as); j++ {
				as[j].Name = cutString(as[j].Name, MaxAddressBytes)
				as[j].Addr = cutString(as[j].Addr, MaxAddressBytes)
			}
			return as
		}
	}
	if len(as) == MaxAddresses {
		as = append([]Address(nil), as...) // let go of the rest
	}
	return as
}

// cutString returns a copy of s cut to at most n bytes at a character
// boundary, with "…" marking the cut; s itself when it is short enough.
func cutString(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return strings.Clone(CutUTF8(s, n-len("…"))) + "…"
}

// CutUTF8 returns s cut to at most n bytes at the start of a character
// (s itself when it is short enough).
func CutUTF8(s string, n int) string {
	if n <= 0 {
		return ""
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}
