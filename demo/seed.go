package demo

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"mime"
	"strings"
	"time"
)

// Generator makes deterministic, realistic messages for one folder. The
// same fields and index always give the same bytes.
type Generator struct {
	Seed   int64
	Now    time.Time // date of the newest message
	Span   time.Duration
	Total  int    // messages in the folder; dates spread over Span
	Folder string // mixed into Message-IDs so folders do not collide
	Owner  string // the mailbox owner's address
	// Outgoing makes the owner the sender (Sent, Drafts).
	Outgoing bool
	// Drafts marks the messages as drafts (\Draft, and seen).
	Drafts bool
}

// Generated is one generated message with its suggested IMAP state.
type Generated struct {
	Raw     []byte
	Date    time.Time
	Seen    bool
	Flagged bool
	Draft   bool
}

// threadLen is how many consecutive messages share a thread (when the
// first of them starts one).
const threadLen = 4

// GenerateMessage returns message i (0-based, oldest first) of a folder of
// total messages addressed to owner, dated up to now.
func GenerateMessage(seed int64, i, total int, owner string, now time.Time) []byte {
	g := Generator{Seed: seed, Now: now, Total: total, Folder: "INBOX", Owner: owner}
	return g.Message(i).Raw
}

func (g Generator) rng(i int) *rand.Rand {
	return rand.New(rand.NewPCG(uint64(g.Seed), uint64(i)*0x9e3779b97f4a7c15^hash(g.Folder)))
}

func hash(s string) uint64 {
	h := uint64(14695981039346656037)
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * 1099511628211
	}
	return h
}

func (g Generator) messageID(i int) string {
	return fmt.Sprintf("<%d.%d.%s@posta.example>", g.Seed, i, strings.ReplaceAll(strings.ToLower(g.Folder), "/", "-"))
}

// threaded reports whether message i answers message i-1.
func (g Generator) threaded(i int) bool {
	start := i - i%threadLen
	return i%threadLen != 0 && g.rng(start).IntN(3) != 0
}

func (g Generator) date(i int) time.Time {
	span := g.Span
	if span <= 0 {
		span = 180 * 24 * time.Hour
	}
	total := max(g.Total, 1)
	if i >= total-1 {
		return g.Now.Truncate(time.Second)
	}
	step := span / time.Duration(total)
	jitter := time.Duration(g.rng(i).Int64N(int64(step/2) + 1))
	return g.Now.Add(-step*time.Duration(total-1-i) + jitter).Truncate(time.Second)
}

// Message generates message i.
func (g Generator) Message(i int) Generated {
	r := g.rng(i)
	date := g.date(i)
	small := g.Total > 2000
	start := i
	for start > 0 && g.threaded(start) {
		start--
	}
	subject := topics[g.rng(start).IntN(len(topics))]
	if start != i {
		subject = "Re: " + subject
	}
	other := senders[r.IntN(len(senders))]
	from, to := other.header, g.Owner
	if g.Outgoing {
		from, to = g.Owner, other.header
	}

	var b bytes.Buffer
	b.Grow(1024)
	fmt.Fprintf(&b, "Return-Path: <%s>\r\n", other.addr)
	fmt.Fprintf(&b, "Date: %s\r\n", date.Format(time.RFC1123Z))
	fmt.Fprintf(&b, "From: %s\r\nTo: %s\r\n", from, to)
	if r.IntN(5) == 0 {
		fmt.Fprintf(&b, "Cc: %s\r\n", senders[r.IntN(len(senders))].header)
	}
	fmt.Fprintf(&b, "Subject: %s\r\n", encodeSubject(subject))
	fmt.Fprintf(&b, "Message-ID: %s\r\n", g.messageID(i))
	if start != i {
		fmt.Fprintf(&b, "In-Reply-To: %s\r\nReferences:", g.messageID(i-1))
		for j := start; j < i; j++ {
			b.WriteString(" " + g.messageID(j))
		}
		b.WriteString("\r\n")
	}
	b.WriteString("MIME-Version: 1.0\r\n")
	g.writeBody(&b, r, i, small)

	recent := i >= g.Total-10
	return Generated{
		Raw:     b.Bytes(),
		Date:    date,
		Seen:    g.Outgoing || (!recent && r.IntN(10) < 8),
		Flagged: r.IntN(20) == 0,
		Draft:   g.Drafts,
	}
}

func encodeSubject(s string) string {
	for _, c := range s {
		if c > 0x7e {
			return mime.QEncoding.Encode("utf-8", s)
		}
	}
	return s
}

func (g Generator) paragraphs(r *rand.Rand, n int) string {
	var sb strings.Builder
	for p := 0; p < n; p++ {
		for k := 0; k < 3+r.IntN(4); k++ {
			sb.WriteString(sentences[r.IntN(len(sentences))])
			sb.WriteString(" ")
			if k%2 == 1 {
				sb.WriteString("\r\n")
			}
		}
		sb.WriteString("\r\n\r\n")
	}
	return sb.String()
}

func (g Generator) writeBody(b *bytes.Buffer, r *rand.Rand, i int, small bool) {
	kind := r.IntN(10)
	if small && kind == 1 {
		kind = 0
	}
	boundary := fmt.Sprintf("=_posta_%d_%d", g.Seed, i)
	switch kind {
	case 0, 8, 9: // short plain text
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(g.paragraphs(r, 1))
		b.WriteString("-- \r\nSent from the demo generator\r\n")
	case 1: // long plain text
		b.WriteString("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n")
		b.WriteString(g.paragraphs(r, 12+r.IntN(30)))
	case 2, 3: // alternative
		text := g.paragraphs(r, 1+r.IntN(3))
		fmt.Fprintf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n", boundary)
		fmt.Fprintf(b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", boundary, text)
		fmt.Fprintf(b, "--%s\r\nContent-Type: text/html; charset=utf-8\r\n\r\n", boundary)
		b.WriteString("<html><body><p style=\"font-family:sans-serif\">")
		b.WriteString(strings.ReplaceAll(text, "\r\n\r\n", "</p><p>"))
		b.WriteString("</p><p><a href=\"https://example.org/track?id=1\">View online</a></p></body></html>\r\n")
		fmt.Fprintf(b, "--%s--\r\n", boundary)
	case 4, 5: // attachment
		all := attachments()
		a := all[r.IntN(len(all))]
		fmt.Fprintf(b, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n", boundary)
		fmt.Fprintf(b, "--%s\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n%s\r\n", boundary, g.paragraphs(r, 1))
		fmt.Fprintf(b, "--%s\r\nContent-Type: %s\r\nContent-Transfer-Encoding: base64\r\n", boundary,
			mime.FormatMediaType(a.contentType, map[string]string{"name": a.filename}))
		fmt.Fprintf(b, "Content-Disposition: %s\r\n\r\n%s",
			mime.FormatMediaType("attachment", map[string]string{"filename": a.filename}), a.b64)
		fmt.Fprintf(b, "--%s--\r\n", boundary)
	default: // legacy charsets
		all := legacyBodies()
		lb := all[r.IntN(len(all))]
		fmt.Fprintf(b, "Content-Type: text/plain; charset=%s\r\nContent-Transfer-Encoding: %s\r\n\r\n", lb.charset, lb.cte)
		b.Write(lb.body)
	}
}
