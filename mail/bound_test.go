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
