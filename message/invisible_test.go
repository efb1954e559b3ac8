package message

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/posta-mail/posta/sanitize"
)

// TestInvisibleCharactersShownConsistently: the pager and render --json
// (Rendered.Headers) show the invisible characters of a spoofed sender as
// the index does (sanitize.Line of ParseHeader's fields), and the address
// never silently loses one.
func TestInvisibleCharactersShownConsistently(t *testing.T) {
	raw := crlf("From: =?utf-8?q?PayPal=E3=85=A4?= <service@pay\u200bpal.com>\nTo: you@example.org\n" +
		"Subject: =?utf-8?q?Your_acc=C2=ADount_=E2=9D=A4=EF=B8=8F?=\n\nbody\n")
	h, err := ParseHeader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	res := render(t, raw, Options{})
	from := header(res, "From")
	mustContain(t, "From", from, "PayPal<U+3164>", "service@pay<U+200B>pal.com")
	if want := sanitize.Line(h.From[0].String()); from != want {
		t.Errorf("pager From = %q, index From = %q", from, want)
	}
	subject := header(res, "Subject")
	if want := "Your acc<U+00AD>ount \u2764"; subject != want {
		t.Errorf("Subject = %q, want %q", subject, want)
	}
	if index := sanitize.Line(h.Subject); index != subject {
		t.Errorf("index Subject = %q, pager Subject = %q", index, subject)
	}
	js, err := json.Marshal(res.Headers)
	if err != nil {
		t.Fatal(err)
	}
	var back []Field
	if err := json.Unmarshal(js, &back); err != nil || len(back) == 0 || back[0].Value != from {
		t.Errorf("JSON headers = %s, want From %q", js, from)
	}
}
