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
)

// Draft is a message being composed. Address fields hold one address per
// entry, as "Name <addr>" or "addr".
type Draft struct {
	From        string
	To, Cc      []string
	Bcc         []string
	Subject     string
	Body        string
	InReplyTo   string   // message id without angle brackets
	References  []string // message ids without angle brackets
	Attachments []DraftAttachment
	// Sign and Encrypt ask the sender to sign and encrypt the built
	// message (OpenPGP, or S/MIME when SMIME is set; see mailcrypto);
	// Build itself ignores them.
	Sign, Encrypt, SMIME bool
}

// DraftAttachment is a file attached to a [Draft]: either Data, or the
// file at Path, read when the draft is built.
type DraftAttachment struct {
	Name        string // file name shown to the recipient; "" means the base name of Path
	ContentType string // "" means guessed from the name
	Data        []byte // content; when nil, the file at Path is read
	Path        string
}

// ErrNoRecipients is returned when a draft has nobody to send to.
var ErrNoRecipients = errors.New("message: no recipients")

// Build returns the message as RFC 5322 bytes with CRLF line endings:
// Date (now), a random Message-ID at the sender's domain, MIME-Version and
// a text/plain UTF-8 body, quoted-printable when it is not plain short
// ASCII. Non-ASCII header text is RFC 2047 encoded. Bcc is not written.
//
// With attachments the message is multipart/mixed: the text part first,
// then one base64 part per attachment with its file name RFC 2231
// encoded. Attachments given by Path are read now; a missing file is an
// error naming it.
func (d Draft) Build(now time.Time) ([]byte, error) {
	return d.build(now, false)
}

// BuildDraft returns the draft as a message to keep in a Drafts folder
// (store it with the \Draft flag). It is [Draft.Build] except that it
// needs no recipients and no From, and it keeps Bcc, so that
// [DraftFromMessage] gives the whole draft back.
func (d Draft) BuildDraft(now time.Time) ([]byte, error) {
	return d.build(now, true)
}

func (d Draft) build(now time.Time, asDraft bool) ([]byte, error) {
	from, err := parseAddrs("From", []string{d.From})
	if err != nil {
		return nil, err
	}
	if len(from) > 1 || (len(from) == 0 && !asDraft) {
		return nil, fmt.Errorf("message: need exactly one From address")
	}
	if len(d.Recipients()) == 0 && !asDraft {
		return nil, ErrNoRecipients
	}
	atts, err := loadAttachments(d.Attachments)
	if err != nil {
		return nil, err
	}
	var h gomail.Header
	h.SetDate(now)
	if len(from) == 1 {
		h.SetAddressList("From", from)
	}
	lists := []struct {
		key  string
		list []string
	}{{"To", d.To}, {"Cc", d.Cc}}
	if asDraft {
		lists = append(lists, struct {
			key  string
			list []string
		}{"Bcc", d.Bcc})
	}
	for _, f := range lists {
		addrs, err := parseAddrs(f.key, f.list)
		if err != nil {
			return nil, err
		}
		if len(addrs) > 0 {
			h.SetAddressList(f.key, addrs)
		}
	}
	h.SetSubject(oneLine(d.Subject))
	if asDraft {
		setCryptoField(&h, d) // so that resuming keeps it; never sent
	}
	sender := ""
	if len(from) == 1 {
		sender = from[0].Address
	}
	id, err := newMessageID(sender)
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
	var buf bytes.Buffer
	if len(atts) == 0 {
		setTextPart(&h.Header, d.Body)
		err = writeSingle(&buf, h.Header, []byte(crlfText(d.Body)))
	} else {
		h.SetContentType("multipart/mixed", nil)
		err = writeMixed(&buf, h.Header, d.Body, atts)
	}
	if err != nil {
		return nil, fmt.Errorf("message: build: %w", err)
	}
	return buf.Bytes(), nil
}

// crlfText gives text CRLF line endings.
func crlfText(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

// setTextPart sets the Content-Type and transfer encoding of a UTF-8
// text/plain body.
func setTextPart(h *gomessage.Header, body string) {
	h.SetContentType("text/plain", map[string]string{"charset": "utf-8"})
	if needsQP(crlfText(body)) {
		h.Set("Content-Transfer-Encoding", "quoted-printable")
	} else {
		h.Set("Content-Transfer-Encoding", "7bit")
	}
}

// writeSingle writes a one-part entity; go-message applies the transfer
// encoding named in h.
func writeSingle(buf *bytes.Buffer, h gomessage.Header, content []byte) error {
	w, err := gomessage.CreateWriter(buf, h)
	if err != nil {
		return err
	}
	if _, err := w.Write(content); err != nil {
		return err
	}
	return w.Close()
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
