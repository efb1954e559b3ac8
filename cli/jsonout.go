package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"time"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// messageJSON is one row of `list --json` and `search --json`.
type messageJSON struct {
	ID            int64    `json:"id"`
	Account       string   `json:"account"`
	Folder        string   `json:"folder"`
	UID           string   `json:"uid"`
	MessageID     string   `json:"message_id"`
	InReplyTo     string   `json:"in_reply_to,omitempty"`
	Subject       string   `json:"subject"`
	From          string   `json:"from"`
	To            []string `json:"to"`
	Cc            []string `json:"cc,omitempty"`
	Date          string   `json:"date"`
	Flags         []string `json:"flags"`
	Size          int64    `json:"size"`
	HasAttachment bool     `json:"has_attachment"`
	// Signed and Encrypted say what the message's top-level
	// Content-Type shows (multipart/signed, multipart/encrypted, S/MIME),
	// as the index marks it; nothing is verified or decrypted for them.
	Signed    bool `json:"signed"`
	Encrypted bool `json:"encrypted"`
	// FromDisplay is the first sender as posta shows it (sanitize.Address:
	// a lookalike domain in punycode, invisible characters as <U+XXXX>);
	// AddressWarnings says, for each sender or recipient that may imitate
	// another, why (issue 18).
	FromDisplay     string   `json:"from_display"`
	AddressWarnings []string `json:"address_warnings,omitempty"`
}

func toJSON(m accounts.Message) messageJSON {
	row := messageJSON{
		ID: m.ID, Account: m.Account, Folder: m.Folder, UID: m.UID,
		MessageID: m.MessageID, InReplyTo: m.InReplyTo, Subject: m.Subject,
		To: addrs(m.To), Cc: addrs(m.Cc), Flags: []string{},
		Size: m.Size, HasAttachment: m.HasAttachment,
		Signed: m.Security.Has(mail.Signed), Encrypted: m.Security.Has(mail.Encrypted),
	}
	if len(m.From) > 0 {
		row.From = m.From[0].String()
		row.FromDisplay = displayAddress(m.From[0])
	}
	more := 0
	for _, list := range [][]mail.Address{m.From, m.To, m.Cc} {
		for _, a := range list {
			shown, warning := sanitize.Address(a.Addr)
			switch {
			case warning == "":
			case len(row.AddressWarnings) < maxAddressWarnings:
				row.AddressWarnings = append(row.AddressWarnings, shown+": "+warning)
			default:
				more++
			}
		}
	}
	if more > 0 {
		row.AddressWarnings = append(row.AddressWarnings, fmt.Sprintf("and %d more addresses that may imitate others", more))
	}
	if !m.Date.IsZero() {
		row.Date = m.Date.UTC().Format(time.RFC3339)
	}
	for _, f := range m.Flags {
		row.Flags = append(row.Flags, string(f))
	}
	return row
}

// maxAddressWarnings bounds a row's address_warnings; the others are
// counted in a last entry.
const maxAddressWarnings = 10

// displayAddress is a as posta shows it: `Name <addr>` with the address
// made safe by sanitize.Address.
func displayAddress(a mail.Address) string {
	shown, _ := sanitize.Address(a.Addr)
	return mail.Address{Name: sanitize.Line(a.Name), Addr: shown}.String()
}

func addrs(as []mail.Address) []string {
	out := make([]string, 0, len(as))
	for _, a := range as {
		out = append(out, a.String())
	}
	return out
}

// writeJSON writes v as indented JSON, safe for a terminal (see
// terminalSafe).
func writeJSON(w io.Writer, v any) error {
	data, err := encodeJSON(v, "  ")
	if err != nil {
		return err
	}
	_, err = w.Write(terminalSafe(data))
	return err
}

// jsonLine encodes v as one line of JSON, safe for a terminal as
// writeJSON is.
func jsonLine(v any) ([]byte, error) {
	data, err := encodeJSON(v, "")
	if err != nil {
		return nil, err
	}
	return terminalSafe(data), nil
}

// encodeJSON encodes v, indented by indent unless it is empty, followed
// by a newline. <, > and & stay as they are: encoding/json escapes them
// by default for JSON embedded in HTML, which made every address in
// `posta list --json` read "Ann \u003cann@example.org\u003e".
func encodeJSON(v any, indent string) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if indent != "" {
		enc.SetIndent("", indent)
	}
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// terminalSafe rewrites encoded JSON so that, besides what encoding/json
// escapes already (C0 controls), DEL, C1 controls, bidi overrides and the
// invisible characters of sanitize.Invisible (zero width spaces, soft
// hyphens, Hangul fillers) are \u escapes: the output is safe to print on
// a terminal, hides nothing, and still carries the exact strings.
func terminalSafe(data []byte) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		r, n := utf8.DecodeRune(data)
		switch {
		case r == 0x7f || (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069):
			fmt.Fprintf(&b, `\u%04x`, r)
		case sanitize.Invisible(r) && r > 0xffff:
			r1, r2 := utf16.EncodeRune(r)
			fmt.Fprintf(&b, `\u%04x\u%04x`, r1, r2)
		case sanitize.Invisible(r):
			// Zero width and filler characters would hide in the output
			// (issue 16): escaped like the bidi controls.
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.Write(data[:n])
		}
		data = data[n:]
	}
	return b.Bytes()
}
