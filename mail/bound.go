package mail

import (
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
	return h
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
	n -= len("…")
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return strings.Clone(s[:n]) + "…"
}
