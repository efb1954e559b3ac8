package message

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/sanitize"
)

// Rendered is a message made ready for the pager. Every string in it is
// sanitized for the terminal.
type Rendered struct {
	Headers     []Field      // From, Sender, Reply-To, To, Cc, Date, Subject in that order, those present (see displayHeaders)
	Body        string       // decoded body text, sanitized with sanitize.Text
	Attachments []Attachment // parts not shown as body text
	Warnings    []string     // problems met while rendering, for a status line
	Links       []string     // URLs of the numbered link footnotes of HTML parts
	Parts       *Part        // the MIME structure; nil if nothing could be parsed
	// Signatures and Encryption say what was signed and encrypted, when
	// Options.Crypto was set; see SecurityLines.
	Signatures []mailcrypto.Signature
	Encryption []mailcrypto.Encryption
}

// Field is one displayed header field.
type Field struct {
	Name  string `json:"name"`
	Value string `json:"value"`
	// Note, when not empty, says why the field needs the reader's
	// attention: one of several From fields, a Sender or Reply-To that
	// differs from From, an address that may imitate another.
	Note string `json:"note,omitempty"`
}

// Attachment describes a part that can be saved with [SaveAttachment].
type Attachment struct {
	Index       int    // part number, stable for a given message
	Name        string // sanitized base file name
	ContentType string
	Size        int64 // decoded bytes
}

// Options tune [Render]. The zero value is ready to use.
type Options struct {
	Width        int   // wrap body lines at this many characters; 0 = no wrapping
	MaxBodyBytes int64 // decoded body text kept; 0 = 1 MiB
	// Crypto, when set, verifies signed parts and decrypts encrypted ones
	// (nil: they are shown as they are, as for indexing).
	Crypto Crypto
	// AllHeaders adds every other field of the message's header to
	// Headers, after the displayed ones, in the message's order (the
	// pager's full-header view).
	AllHeaders bool
}

// Render parses the message read from r and renders it as text. It returns
// an error only when r cannot be read at all: broken MIME is rendered as
// well as possible and reported in Warnings, and an internal failure is
// recovered and turned into a warning.
func Render(r io.Reader, opts Options) (res *Rendered, err error) {
	rec := &errRecorder{r: r}
	w := newWalker(opts.MaxBodyBytes)
	w.crypto = opts.Crypto
	res = &Rendered{}
	defer func() {
		if p := recover(); p != nil {
			res.Body = sanitize.Text(res.Body)
			res.Warnings = append(res.Warnings, sanitize.Line(fmt.Sprintf("internal error while rendering: %v", p)))
			err = nil
		}
	}()
	br := bufio.NewReaderSize(rec, 32<<10)
	if _, perr := br.Peek(1); perr != nil && perr != io.EOF {
		return nil, perr
	}
	h, rest := readHeader(br, w.warn)
	root := w.parseEntity(h, io.MultiReader(bytes.NewReader(rest), br), 0, "text/plain")
	if rec.err != nil {
		if rec.n == 0 {
			return nil, rec.err
		}
		w.warn("message incomplete: " + rec.err.Error())
	}
	res.Headers = displayHeaders(h)
	if opts.AllHeaders {
		res.Headers = append(res.Headers, otherHeaders(h)...)
	}
	rd := &renderer{w: w, links: &res.Links}
	var b strings.Builder
	if root != nil {
		rd.node(&b, root, 0)
	}
	res.Body = finishBody(b.String(), opts, w)
	res.Attachments = collectAttachments(root, nil)
	res.Parts = partTree(root, 0)
	collectSecurity(root, fromAddress(h), true, res, 0)
	applyProtectedHeaders(root, res)
	for _, warning := range w.warnings {
		res.Warnings = append(res.Warnings, sanitize.Line(warning))
	}
	for i, l := range res.Links {
		res.Links[i] = sanitize.Line(l)
	}
	return res, nil
}

// displayHeaders returns the header fields shown above the body: From
// (every From field, when there are several), Sender and Reply-To when
// they name other addresses than From, To, Cc, Date and Subject.
// Addresses are shown as sanitize.Address shows them; each field that
// needs the reader's attention says why in its Note.
func displayHeaders(th textproto.Header) []Field {
	conv := rawFieldConverter(th)
	froms := th.Values("From")
	var fromAddrs []mail.Address
	for _, raw := range froms {
		fromAddrs = append(fromAddrs, addressList(conv(raw))...)
	}
	var out []Field
	for _, key := range []string{"From", "Sender", "Reply-To", "To", "Cc", "Date", "Subject"} {
		values := th.Values(key)
		if key != "From" && len(values) > 1 {
			values = values[:1]
		}
		for _, raw := range values {
			raw = conv(raw)
			if raw == "" {
				continue
			}
			var v string
			var notes []string
			switch key {
			case "From", "Sender", "Reply-To", "To", "Cc":
				list := addressList(raw)
				if (key == "Sender" || key == "Reply-To") && len(list) > 0 && sameAddresses(list, fromAddrs) {
					continue // says nothing From does not
				}
				v, notes = displayAddresses(list)
				if v == "" {
					v = decodeText(raw)
				}
				switch {
				case key == "From" && len(froms) > 1:
					notes = append([]string{fmt.Sprintf("this message has %d From fields", len(froms))}, notes...)
				case key == "Sender" || key == "Reply-To":
					notes = append([]string{key + " differs from From"}, notes...)
				}
			case "Date":
				if d, err := parseDate(toUTF8(raw)); err == nil {
					v = d.Format("Mon, 02 Jan 2006 15:04:05 -0700")
				} else {
					v = toUTF8(raw)
				}
			default:
				v = decodeText(raw)
			}
			v = strings.Join(strings.Fields(v), " ")
			out = append(out, Field{Name: key, Value: sanitize.Line(v), Note: sanitize.Line(strings.Join(notes, "; "))})
		}
	}
	return out
}

// displayAddresses formats list for display, with a note for each
// address that may imitate another.
// At most maxAddressNotes are written out, then a count of the others.
func displayAddresses(list []mail.Address) (string, []string) {
	const maxAddressNotes = 3
	var shown, notes []string
	more := 0
	for _, a := range list {
		addr, warning := sanitize.Address(fieldText(a.Addr))
		shown = append(shown, mail.Address{Name: a.Name, Addr: addr}.String())
		switch {
		case warning == "":
		case len(notes) < maxAddressNotes:
			notes = append(notes, addr+": "+warning)
		default:
			more++
		}
	}
	if more > 0 {
		notes = append(notes, fmt.Sprintf("and %d more addresses that may imitate others", more))
	}
	return strings.Join(shown, ", "), notes
}

// sameAddresses reports whether a and b hold the same addresses, in any
// order, ignoring case and names.
func sameAddresses(a, b []mail.Address) bool {
	set := func(l []mail.Address) map[string]bool {
		m := map[string]bool{}
		for _, x := range l {
			m[strings.ToLower(strings.TrimSpace(x.Addr))] = true
		}
		return m
	}
	sa, sb := set(a), set(b)
	if len(sa) != len(sb) {
		return false
	}
	for k := range sa {
		if !sb[k] {
			return false
		}
	}
	return true
}

// finishBody trims, caps, wraps and sanitizes the assembled body text.
func finishBody(s string, opts Options, w *walker) string {
	limit := opts.MaxBodyBytes
	if limit <= 0 {
		limit = defaultMaxBody
	}
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimRight(s, " \t\n") + "\n"
	truncated := false
	if int64(len(s)) > limit {
		cut := int(limit)
		for cut > 0 && s[cut]&0xc0 == 0x80 { // keep whole UTF-8 sequences
			cut--
		}
		s = s[:cut]
		truncated = true
	}
	if truncated {
		w.warn(fmt.Sprintf("truncated at %s", humanSize(limit)))
		s = strings.TrimRight(s, "\n") + "\n\n[truncated]\n"
	}
	if strings.TrimSpace(s) == "" {
		return ""
	}
	if opts.Width > 0 {
		s = wrapText(s, opts.Width)
	}
	return sanitize.Text(s)
}

// collectAttachments lists the leaves that were not shown as body text.
func collectAttachments(n *node, out []Attachment) []Attachment {
	if n == nil {
		return out
	}
	if n.decrypted != nil {
		return collectAttachments(n.decrypted, out) // the blob is shown decrypted
	}
	if n.isLeaf() && isAttachment(n) {
		out = append(out, Attachment{
			Index:       n.number,
			Name:        safeName(n.displayName(), n.number),
			ContentType: sanitize.Line(n.mediaType),
			Size:        n.size,
		})
	}
	for _, c := range n.extracted {
		out = collectAttachments(c, out)
	}
	if n.sig != nil && n.mediaType == "multipart/signed" && len(n.children) > 0 {
		return collectAttachments(n.children[0], out) // the checked signature is shown above the body
	}
	for _, c := range n.children {
		out = collectAttachments(c, out)
	}
	return collectAttachments(n.inner, out)
}

// String formats the rendered message as the pager shows it: the header
// lines, a blank line, the body and the list of attachments.
func (r *Rendered) String() string {
	var b strings.Builder
	for _, f := range r.Headers {
		fmt.Fprintf(&b, "%s: %s\n", f.Name, f.Value)
		if f.Note != "" {
			fmt.Fprintf(&b, "  [%s]\n", f.Note)
		}
	}
	if lines := r.SecurityLines(); len(lines) > 0 {
		b.WriteString("\n")
		for _, l := range lines {
			b.WriteString("[" + l + "]\n")
		}
	}
	b.WriteString("\n")
	b.WriteString(r.Body)
	if len(r.Attachments) > 0 {
		if r.Body != "" && !strings.HasSuffix(r.Body, "\n") {
			b.WriteString("\n")
		}
		b.WriteString("\nAttachments:\n")
		for _, a := range r.Attachments {
			fmt.Fprintf(&b, "[%d] %s  %s  %s\n", a.Index, a.Name, a.ContentType, humanSize(a.Size))
		}
	}
	return b.String()
}

func humanSize(n int64) string {
	switch {
	case n < 1024:
		return fmt.Sprintf("%d B", n)
	case n < 1<<20:
		return fmt.Sprintf("%d KB", (n+512)/1024)
	case n < 1<<30:
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.1f GB", float64(n)/(1<<30))
}

// BodyText returns the decoded text of the message body for full-text
// indexing: what [Render] shows, without headers and attachments.
func BodyText(r io.Reader) (string, error) {
	res, err := Render(r, Options{})
	if err != nil {
		return "", err
	}
	return res.Body, nil
}
