package mail

import (
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"
)

func TestHeaderBounded(t *testing.T) {
	to := make([]Address, 100_000)
	for i := range to {
		to[i] = Address{Name: fmt.Sprint("User ", i), Addr: fmt.Sprintf("u%d@example.org", i)}
	}
	refs := make([]string, 500)
	for i := range refs {
		refs[i] = fmt.Sprintf("r%d@example.org", i)
	}
	h := Header{
		UID:        "7",
		Subject:    strings.Repeat("é", 25<<20), // 50 MB
		MessageID:  strings.Repeat("x", 5000) + "@example.org",
		From:       []Address{{Name: strings.Repeat("N", 1<<20), Addr: "eve@example.org"}},
		To:         to,
		References: refs,
	}
	b := h.Bounded()
	if len(b.Subject) > MaxSubjectBytes || !utf8.ValidString(b.Subject) || !strings.HasSuffix(b.Subject, "…") {
		t.Errorf("Subject: %d bytes, valid %v", len(b.Subject), utf8.ValidString(b.Subject))
	}
	if len(b.MessageID) > MaxIDBytes {
		t.Errorf("MessageID: %d bytes", len(b.MessageID))
	}
	if len(b.To) != MaxAddresses || b.To[0] != to[0] {
		t.Errorf("To: %d addresses, first %v", len(b.To), b.To[0])
	}
	if len(b.From[0].Name) > MaxAddressBytes || b.From[0].Addr != "eve@example.org" {
		t.Errorf("From: %d-byte name, address %q", len(b.From[0].Name), b.From[0].Addr)
	}
	if len(b.References) != MaxReferences || b.References[MaxReferences-1] != refs[len(refs)-1] {
		t.Errorf("References: %d, last %q", len(b.References), b.References[len(b.References)-1])
	}
	small := Header{Subject: "hi", To: to[:2]}
	if got := small.Bounded(); got.Subject != "hi" || len(got.To) != 2 {
		t.Errorf("a small header changed: %+v", got)
	}
}

func TestRawFieldsBounded(t *testing.T) {
	small := []byte("Subject: hello\r\nFrom: a@example.org\r\n\r\n")
	if b := (Header{RawFields: small}).Bounded(); &b.RawFields[0] != &small[0] {
		t.Errorf("small raw fields were copied")
	}
	var refs strings.Builder
	for i := range 5000 {
		fmt.Fprintf(&refs, "\r\n <r%d@example.org>", i)
	}
	raw := "Subject: " + strings.Repeat("=?UTF-8?B?w6k=?= ", 5000) + "\r\n" +
		"From: a@example.org\r\n" +
		"References:" + refs.String() + "\r\n" +
		strings.Repeat("To: "+strings.Repeat("b@example.org, ", 1000)+"\r\n", 20) +
		"Cc: late@example.org\r\n\r\n"
	b := Header{RawFields: []byte(raw)}.Bounded()
	got := string(b.RawFields)
	if len(got) > maxRawFieldsTotal {
		t.Errorf("bounded raw fields: %d bytes", len(got))
	}
	fields := strings.Split(strings.TrimSuffix(got, "\r\n"), "\r\n")
	var names []string
	for _, f := range fields {
		if f[0] != ' ' {
			names = append(names, f[:strings.IndexByte(f, ':')])
		}
	}
	if len(names) < 4 || names[0] != "Subject" || names[1] != "From" || names[2] != "References" || names[3] != "To" || names[len(names)-1] == "Cc" {
		t.Errorf("kept fields %v", names)
	}
	subject := fields[0]
	if len(subject) > MaxRawFieldBytes || !strings.HasSuffix(subject, "?=") {
		t.Errorf("Subject cut to %d bytes, ending %q", len(subject), subject[len(subject)-10:])
	}
	i := strings.Index(got, "References:")
	r := got[i : i+fieldEnd([]byte(got[i:]))]
	if len(r) > MaxRawFieldBytes+2 || !strings.HasPrefix(r, "References: <r") || !strings.HasSuffix(r, "<r4999@example.org>\r\n") {
		t.Errorf("References cut to %d bytes: %.40q…%q", len(r), r, r[len(r)-30:])
	}
	if strings.Count(r, "<") < MaxReferences {
		t.Errorf("References keeps %d ids, want at least %d", strings.Count(r, "<"), MaxReferences)
	}
}
