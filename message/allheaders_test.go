package message

import (
	"fmt"
	"strings"
	"testing"
)

func TestAllHeaders(t *testing.T) {
	raw := "Received: from a.example by b.example;\r\n\tThu, 3 Dec 2026 10:00:00 +0000\r\n" +
		"From: Ann <ann@example.org>\r\n" +
		"To: bob@example.org\r\n" +
		"Subject: first\r\n" +
		"Subject: second\r\n" +
		"X-Mood: =?UTF-8?Q?gr=C3=BCn?=\r\n" +
		"X-Evil: \x1b]0;owned\x07red\x1b[31m\r\n" +
		"DKIM-Signature: v=1; a=rsa-sha256;\r\n b=" + strings.Repeat("A", 20000) + "\r\n" +
		"Date: Thu, 3 Dec 2026 10:00:00 +0000\r\n" +
		"\r\nbody\r\n"
	plain, err := Render(strings.NewReader(raw), Options{})
	if err != nil {
		t.Fatal(err)
	}
	full, err := Render(strings.NewReader(raw), Options{AllHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(full.Headers) < len(plain.Headers) {
		t.Fatalf("full headers %d < displayed %d", len(full.Headers), len(plain.Headers))
	}
	for i, h := range plain.Headers {
		if full.Headers[i] != h {
			t.Errorf("field %d: full view shows %+v first, the plain view %+v", i, full.Headers[i], h)
		}
	}
	var names []string
	for _, h := range full.Headers[len(plain.Headers):] {
		names = append(names, h.Name)
		for _, s := range []string{h.Name, h.Value} {
			if strings.ContainsAny(s, "\x1b\x07\r\n\t") {
				t.Errorf("field %q: raw control character in %q", h.Name, s)
			}
		}
		switch h.Name {
		case "Received":
			if h.Value != "from a.example by b.example; Thu, 3 Dec 2026 10:00:00 +0000" {
				t.Errorf("Received = %q, want its folding undone", h.Value)
			}
		case "X-Mood":
			if h.Value != "grün" {
				t.Errorf("X-Mood = %q, want the encoded word decoded", h.Value)
			}
		case "X-Evil":
			if h.Value != "␛]0;owned␇red␛[31m" {
				t.Errorf("X-Evil = %q, want its escapes shown, not sent", h.Value)
			}
		case "Subject":
			if h.Value != "second" {
				t.Errorf("the other Subject = %q, want \"second\"", h.Value)
			}
		case "DKIM-Signature":
			if len(h.Value) > maxOtherHeaderValue+8 || !strings.HasSuffix(h.Value, "…") {
				t.Errorf("DKIM-Signature: %d bytes, want it cut at %d with a marker", len(h.Value), maxOtherHeaderValue)
			}
		}
	}
	if got, want := strings.Join(names, ","), "Received,Subject,X-Mood,X-Evil,DKIM-Signature"; got != want {
		t.Errorf("other fields %s, want %s", got, want)
	}
}

// A header of thousands of fields shows maxOtherHeaders of them, then
// says how many more there are.
func TestAllHeadersBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.org\r\n")
	for i := range maxOtherHeaders + 7 {
		fmt.Fprintf(&b, "X-Field-%d: %d\r\n", i, i)
	}
	b.WriteString("\r\nbody\r\n")
	r, err := Render(strings.NewReader(b.String()), Options{AllHeaders: true})
	if err != nil {
		t.Fatal(err)
	}
	last := r.Headers[len(r.Headers)-1]
	if last.Value != "7 more fields, not shown" || len(r.Headers) != 1+maxOtherHeaders+1 {
		t.Errorf("%d fields, the last %+v; want From, %d others and a count of 7", len(r.Headers), last, maxOtherHeaders)
	}
}
