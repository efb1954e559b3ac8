package message

import (
	"bytes"
	"crypto/rand"
	"encoding/base32"
	"errors"
	"fmt"
	"strings"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/posta-mail/posta/mail"
)

// Draft is a message being composed. Address fields hold one address per
// entry, as "Name <addr>" or "addr".
type Draft struct {
	From       string
	To, Cc     []string
	Bcc        []string
	Subject    string
	Body       string
	InReplyTo  string   // message id without angle brackets
	References []string // message ids without angle brackets
}

// ErrNoRecipients is returned when a draft has nobody to send to.
var ErrNoRecipients = errors.New("message: no recipients")

// Build returns the message as RFC 5322 bytes with CRLF line endings:
// Date (now), a random Message-ID at the sender's domain, MIME-Version and
// a text/plain UTF-8 body, quoted-printable when it is not plain short
// ASCII. Non-ASCII header text is RFC 2047 encoded. Bcc is not written.
func (d Draft) Build(now time.Time) ([]byte, error) {
	from, err := parseAddrs("From", []string{d.From})
	if err != nil {
		return nil, err
	}
	if len(from) != 1 {
		return nil, fmt.Errorf("message: need exactly one From address")
	}
	if len(d.Recipients()) == 0 {
		return nil, ErrNoRecipients
	}
	var h gomail.Header
	h.SetDate(now)
	h.SetAddressList("From", from)
	for _, f := range []struct {
		key  string
		list []string
	}{{"To", d.To}, {"Cc", d.Cc}} {
		addrs, err := parseAddrs(f.key, f.list)
		if err != nil {
			return nil, err
		}
		if len(addrs) > 0 {
			h.SetAddressList(f.key, addrs)
		}
	}
	h.SetSubject(oneLine(d.Subject))
	id, err := newMessageID(from[0].Address)
	if err != nil {
		return nil, err
	}
	h.SetMessageID(id)
	if d.InReplyTo != "" {
		h.SetMsgIDList("In-Reply-To", []string{cleanID(d.InReplyTo)})
	}
	if refs := cleanIDs(d.References); len(refs) > 0 {
		h.SetMsgIDList("References", refs)
	}
	h.Set("MIME-Version", "1.0")
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	body := strings.ReplaceAll(strings.ReplaceAll(d.Body, "\r\n", "\n"), "\n", "\r\n")
	if needsQP(body) {
		h.Set("Content-Transfer-Encoding", "quoted-printable")
	} else {
		h.Set("Content-Transfer-Encoding", "7bit")
	}
	var buf bytes.Buffer
	w, err := gomessage.CreateWriter(&buf, h.Header)
	if err != nil {
		return nil, fmt.Errorf("message: build: %w", err)
	}
	if _, err := w.Write([]byte(body)); err != nil {
		return nil, fmt.Errorf("message: build: %w", err)
	}
	if err := w.Close(); err != nil {
		return nil, fmt.Errorf("message: build: %w", err)
	}
	return buf.Bytes(), nil
}

// needsQP reports whether body has non-ASCII bytes, control characters or
// lines too long for 7bit.
func needsQP(body string) bool {
	lineLen := 0
	for i := 0; i < len(body); i++ {
		c := body[i]
		switch {
		case c == '\n':
			lineLen = 0
			continue
		case c >= 0x80, c == 0, c == '\r' && (i+1 == len(body) || body[i+1] != '\n'):
			return true
		}
		lineLen++
		if lineLen > 76 {
			return true
		}
	}
	return strings.Contains(body, "\nFrom ") || strings.HasPrefix(body, "From ")
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

func cleanID(id string) string {
	return strings.Trim(strings.TrimSpace(id), "<>")
}

func cleanIDs(ids []string) []string {
	var out []string
	for _, id := range ids {
		if id = cleanID(id); id != "" && !strings.ContainsAny(id, " \t\r\n") {
			out = append(out, id)
		}
	}
	return out
}

// newMessageID returns a random id at the domain of addr.
func newMessageID(addr string) (string, error) {
	domain := "localhost"
	if i := strings.LastIndexByte(addr, '@'); i >= 0 && i+1 < len(addr) {
		domain = addr[i+1:]
	}
	var b [16]byte
	if _, err := rand.Read(b[:]); err != nil {
		return "", fmt.Errorf("message: message id: %w", err)
	}
	enc := base32.StdEncoding.WithPadding(base32.NoPadding)
	return strings.ToLower(enc.EncodeToString(b[:])) + "@" + domain, nil
}

// parseAddrs parses each entry of list (an entry may itself hold a
// comma-separated list).
func parseAddrs(field string, list []string) ([]*gomail.Address, error) {
	var out []*gomail.Address
	for _, entry := range list {
		if strings.TrimSpace(entry) == "" {
			continue
		}
		if strings.ContainsAny(entry, "\r\n") {
			return nil, fmt.Errorf("message: %s: line break in address %q", field, entry)
		}
		addrs, err := gomail.ParseAddressList(entry)
		if err != nil {
			return nil, fmt.Errorf("message: %s: invalid address %q: %w", field, entry, err)
		}
		out = append(out, addrs...)
	}
	return out, nil
}

// Recipients returns the bare addresses of To, Cc and Bcc, without
// duplicates. Entries that do not parse are skipped.
func (d Draft) Recipients() []string {
	var out []string
	seen := map[string]bool{}
	for _, list := range [][]string{d.To, d.Cc, d.Bcc} {
		for _, entry := range list {
			addrs, err := parseAddrs("", []string{entry})
			if err != nil {
				continue
			}
			for _, a := range addrs {
				if key := strings.ToLower(a.Address); !seen[key] {
					seen[key] = true
					out = append(out, a.Address)
				}
			}
		}
	}
	return out
}

// ReplyDraft starts a reply to orig from the address from. The subject
// gets one "Re: ", To is the original sender, In-Reply-To and References
// continue the thread and body is quoted with "> ". With all, the other
// To and Cc recipients (except from) are copied.
//
// mail.Header carries no Reply-To, so replies go to From.
func ReplyDraft(orig mail.Header, body string, from string, all bool) Draft {
	d := Draft{From: from, Subject: "Re: " + stripReplyPrefix(orig.Subject)}
	self := ""
	if a, err := gomail.ParseAddress(from); err == nil {
		self = strings.ToLower(a.Address)
	}
	seen := map[string]bool{self: true}
	add := func(list *[]string, addrs []mail.Address) {
		for _, a := range addrs {
			key := strings.ToLower(a.Addr)
			if a.Addr == "" || seen[key] {
				continue
			}
			seen[key] = true
			*list = append(*list, formatAddress(a))
		}
	}
	add(&d.To, orig.From)
	if len(d.To) == 0 && len(orig.From) > 0 {
		d.To = append(d.To, formatAddress(orig.From[0])) // replying to oneself
	}
	if all {
		add(&d.Cc, orig.To)
		add(&d.Cc, orig.Cc)
	}
	if orig.MessageID != "" {
		d.InReplyTo = orig.MessageID
	}
	refs := append([]string(nil), orig.References...)
	if len(refs) == 0 && orig.InReplyTo != "" {
		refs = append(refs, orig.InReplyTo)
	}
	if orig.MessageID != "" {
		refs = append(refs, orig.MessageID)
	}
	d.References = cleanIDs(refs)
	d.Body = quoteBody(orig, body)
	return d
}

// stripReplyPrefix removes any number of leading "Re:" prefixes.
func stripReplyPrefix(s string) string {
	s = strings.TrimSpace(s)
	for {
		lower := strings.ToLower(s)
		if !strings.HasPrefix(lower, "re:") && !strings.HasPrefix(lower, "re :") {
			return s
		}
		_, s, _ = strings.Cut(s, ":")
		s = strings.TrimSpace(s)
	}
}

func quoteBody(orig mail.Header, body string) string {
	var b strings.Builder
	who := "you"
	if len(orig.From) > 0 {
		who = formatAddress(orig.From[0])
	}
	if !orig.Date.IsZero() {
		fmt.Fprintf(&b, "On %s, %s wrote:\n", orig.Date.Format("Mon, 02 Jan 2006 15:04"), who)
	} else {
		fmt.Fprintf(&b, "%s wrote:\n", who)
	}
	body = strings.TrimRight(strings.ReplaceAll(body, "\r\n", "\n"), "\n")
	for _, line := range strings.Split(body, "\n") {
		switch {
		case line == "":
			b.WriteString(">\n")
		case strings.HasPrefix(line, ">"):
			b.WriteString(">" + line + "\n")
		default:
			b.WriteString("> " + line + "\n")
		}
	}
	b.WriteString("\n")
	return b.String()
}

// formatAddress writes a as an editable "Name <addr>" without encoding.
func formatAddress(a mail.Address) string {
	name := oneLine(a.Name)
	if name == "" {
		return a.Addr
	}
	if strings.ContainsAny(name, `()<>[]:;@\,."`) {
		name = `"` + strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(name) + `"`
	}
	return name + " <" + a.Addr + ">"
}
