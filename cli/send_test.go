package cli

import (
	"bytes"
	"slices"
	"strings"
	"testing"
	"time"
)

// TestPrepareOutgoingBareCR: a bare CR or LF inside a header field is a
// line end on the wire, so the Bcc it hides is a recipient, and is
// stripped, like every Bcc.
func TestPrepareOutgoingBareCR(t *testing.T) {
	for _, in := range []string{
		"From: a@example.org\r\nTo: b@example.org\r\nX-Foo: a\rBcc: x@evil.example\r\nSubject: hi\r\n\r\nbody\r\n",
		"From: a@example.org\nTo: b@example.org\nX-Foo: a\rBcc: x@evil.example\nBcc: y@example.org\nSubject: hi\n\nbody\n",
		"From: a@example.org\r\nTo: b@example.org\r\nX-Foo: a\nBcc: x@evil.example\r\n\r\nbody\r\n",
	} {
		raw, _, to, err := prepareOutgoing([]byte(in), "a@example.org", time.Now())
		if err != nil {
			t.Fatalf("prepareOutgoing(%q): %v", in, err)
		}
		if !slices.Contains(to, "x@evil.example") {
			t.Errorf("prepareOutgoing(%q): recipients %v lack the hidden Bcc", in, to)
		}
		header, _, _ := bytes.Cut(raw, []byte("\r\n\r\n"))
		for _, line := range strings.FieldsFunc(string(header), func(r rune) bool { return r == '\r' || r == '\n' }) {
			if strings.HasPrefix(strings.ToLower(strings.TrimSpace(line)), "bcc") {
				t.Errorf("prepareOutgoing(%q) put %q on the wire:\n%q", in, line, raw)
			}
		}
	}
}
