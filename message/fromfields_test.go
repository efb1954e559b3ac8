package message

import (
	"strings"
	"testing"
)

// Issue 18: a second From, a Sender or Reply-To other than From, and a
// lookalike domain are shown, marked, never dropped.
const twoFroms = "From: Bank <service@bank.example>\r\n" +
	"From: Mallory <mallory@evil.example>\r\n" +
	"Sender: relay@evil.example\r\n" +
	"Reply-To: Bank <service@bank.example>, Mallory <mallory@evil.example>\r\n" +
	"To: you@example.org\r\n" +
	"Subject: hi\r\n\r\nbody\r\n"

func TestRenderShowsEveryFromAndDifferingSender(t *testing.T) {
	res := render(t, twoFroms, Options{})
	var got []string
	for _, f := range res.Headers {
		got = append(got, f.Name+": "+f.Value+" ["+f.Note+"]")
	}
	want := []string{
		"From: Bank <service@bank.example> [this message has 2 From fields]",
		"From: Mallory <mallory@evil.example> [this message has 2 From fields]",
		"Sender: relay@evil.example [Sender differs from From]",
		"To: you@example.org []",
		"Subject: hi []",
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("Headers =\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	if s := res.String(); !strings.Contains(s, "Sender: relay@evil.example\n  [Sender differs from From]\n") {
		t.Errorf("String() = %q, want the Sender line and its note", s)
	}
}

func TestParseHeaderKeepsEveryFrom(t *testing.T) {
	h, err := ParseHeader(strings.NewReader(twoFroms))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.From) != 2 || h.From[1].Addr != "mallory@evil.example" {
		t.Errorf("From = %v, want both From fields' addresses", h.From)
	}
}

func TestRenderShowsLookalikeDomainInPunycode(t *testing.T) {
	raw := "From: PayPal <service@p\u0430ypal.com>\r\nReply-To: service@p\u0430ypal.com\r\nTo: =?utf-8?q?Me?= <me@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444>\r\nSubject: x\r\n\r\nbody\r\n"
	res := render(t, raw, Options{})
	if len(res.Headers) < 2 {
		t.Fatalf("Headers = %v", res.Headers)
	}
	from, to := res.Headers[0], res.Headers[1]
	if from.Value != "PayPal <service@xn--pypal-4ve.com>" || !strings.Contains(from.Note, "Latin and Cyrillic") {
		t.Errorf("From = %+v, want the domain in punycode and a note", from)
	}
	if to.Name != "To" || to.Value != "Me <me@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444>" || to.Note != "" {
		t.Errorf("To = %+v, want the Cyrillic domain as it is, no note", to)
	}
}

func TestRenderBoundsAddressNotes(t *testing.T) {
	var to []string
	for range 1000 {
		to = append(to, "a@b.p\u0430ypal.p\u0430ypal.com")
	}
	raw := "From: a@example.org\r\nTo: " + strings.Join(to, ", ") + "\r\n\r\nbody\r\n"
	res := render(t, raw, Options{})
	for _, f := range res.Headers {
		if f.Name == "To" {
			if len(f.Note) > 600 || !strings.Contains(f.Note, "and 997 more") || strings.Count(f.Note, "its domain has") != 3 {
				t.Errorf("To note = %q (%d bytes), want three notes, one each, and a count", f.Note, len(f.Note))
			}
			return
		}
	}
	t.Errorf("no To line in %v", res.Headers)
}
