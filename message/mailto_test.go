package message

import (
	"errors"
	"strings"
	"testing"
)

func TestParseMailto(t *testing.T) {
	tests := []struct {
		name, uri                  string
		to, cc, bcc, subject, body string
		inReplyTo                  string
	}{
		{"address only", "mailto:bob@example.com", "bob@example.com", "", "", "", "", ""},
		{"scheme case", "MAILTO:bob@example.com", "bob@example.com", "", "", "", "", ""},
		{"several addresses", "mailto:a@example.com,b@example.com", "a@example.com|b@example.com", "", "", "", "", ""},
		{"fields", "mailto:a@example.com?Subject=Hello%20there&cc=c@example.com&bcc=d@example.com&body=line%201%0D%0Aline%202",
			"a@example.com", "c@example.com", "d@example.com", "Hello there", "line 1\nline 2", ""},
		{"plus stays plus", "mailto:a+tag@example.com?subject=1+1", "a+tag@example.com", "", "", "1+1", "", ""},
		{"to field adds", "mailto:?to=a@example.com&to=b@example.com", "a@example.com|b@example.com", "", "", "", "", ""},
		{"utf-8 subject", "mailto:a@example.com?subject=Gr%C3%BC%C3%9Fe", "a@example.com", "", "", "Grüße", "", ""},
		{"percent-encoded name", "mailto:%22Bob%20B%22%20%3Cbob@example.com%3E", "Bob B <bob@example.com>", "", "", "", "", ""},
		{"in-reply-to", "mailto:list@example.com?In-Reply-To=%3C3469A91.D10AF4C@example.com%3E", "list@example.com", "", "", "", "", "3469A91.D10AF4C@example.com"},
		{"unknown and unsafe fields ignored", "mailto:a@example.com?from=evil@example.com&X-Mailer=x&reply-to=evil@example.com", "a@example.com", "", "", "", "", ""},
		{"fragment ignored", "mailto:a@example.com?subject=s#frag", "a@example.com", "", "", "s", "", ""},
		{"body control characters dropped", "mailto:a@example.com?body=hi%1B%5B2J%07%09there%0Aok", "a@example.com", "", "", "", "hi[2J\tthere\nok", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseMailto(tt.uri)
			if err != nil {
				t.Fatalf("ParseMailto(%q) error = %v", tt.uri, err)
			}
			for _, c := range []struct{ field, got, want string }{
				{"To", strings.Join(d.To, "|"), tt.to}, {"Cc", strings.Join(d.Cc, "|"), tt.cc},
				{"Bcc", strings.Join(d.Bcc, "|"), tt.bcc}, {"Subject", d.Subject, tt.subject},
				{"Body", d.Body, tt.body}, {"InReplyTo", d.InReplyTo, tt.inReplyTo},
			} {
				if c.got != c.want {
					t.Errorf("%s = %q, want %q", c.field, c.got, c.want)
				}
			}
			if d.From != "" {
				t.Errorf("From = %q, want it left to the caller", d.From)
			}
		})
	}
}

func TestParseMailtoRejects(t *testing.T) {
	for _, uri := range []string{
		"mailto:a@example.com?subject=hi%0D%0ABcc:%20evil@example.com",
		"mailto:a@example.com?subject=hi%0ABcc:%20evil@example.com",
		"mailto:a@example.com?subject=hi%0Devil",
		"mailto:a@example.com%0D%0ABcc:%20evil@example.com",
		"mailto:a@example.com?cc=b@example.com%0D%0ABcc:evil@example.com",
		"mailto:a@example.com?to=%0Aevil@example.com",
		"mailto:a@example.com?in-reply-to=%3Cx@y%3E%0D%0ABcc:%20evil@example.com",
		"mailto:a@example.com?subject=%1B%5D0;title%07",
		"mailto:a@example.com?subject=%C2%9B31m",
		"mailto:a@example.com?subject=%ZZ",
		"mailto:a@example.com?subject=%FF%FE",
		"mailto:not an address",
		"mailto:a@example.com?cc=<<<",
		"http://example.com/",
		"mailto:" + strings.Repeat("a", 70<<10) + "@example.com",
	} {
		t.Run(uri[:min(len(uri), 60)], func(t *testing.T) {
			d, err := ParseMailto(uri)
			if !errors.Is(err, ErrBadMailto) {
				t.Errorf("ParseMailto(%q) = %+v, %v; want ErrBadMailto", uri, d, err)
			}
		})
	}
}

func TestMailtoDraftBuilds(t *testing.T) {
	d, err := ParseMailto("mailto:bob@example.com?subject=Caf%C3%A9&body=Bonjour%0A")
	if err != nil {
		t.Fatal(err)
	}
	d.From = "me@example.org"
	raw, err := d.Build(buildTime)
	if err != nil {
		t.Fatal(err)
	}
	h, _ := ParseHeader(strings.NewReader(string(raw)))
	if h.Subject != "Café" || len(h.To) != 1 || h.To[0].Addr != "bob@example.com" {
		t.Errorf("built header = %+v", h)
	}
}

func FuzzParseMailto(f *testing.F) {
	for _, s := range []string{"mailto:a@b", "mailto:?to=a@b&subject=%0D%0A", "mailto:%", "mailto:a@b?body=%00"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		d, err := ParseMailto(uri)
		if err != nil {
			return
		}
		for _, s := range append(append(append([]string{d.Subject, d.InReplyTo}, d.To...), d.Cc...), d.Bcc...) {
			if strings.ContainsAny(s, "\r\n") {
				t.Fatalf("line break passed into a header field: %q", s)
			}
		}
	})
}
