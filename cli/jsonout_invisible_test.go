package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestJSONEscapesInvisibleCharacters: list --json and search --json keep
// exact strings but write the characters that would hide in a terminal
// (issue 16) as \u escapes, as the index and the pager show them as
// <U+XXXX>.
func TestJSONEscapesInvisibleCharacters(t *testing.T) {
	in := map[string]string{"from": "PayPal\u3164 <service@pay\u200bpal.com>", "subject": "Soft\u00adware \U000E0041 caf\u00e9 \u2764"}
	out, err := jsonLine(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`PayPal\u3164`, `pay\u200bpal.com`, `Soft\u00adware`, `\udb40\udc41`, "café", "\u2764"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("jsonLine() = %s, want it to contain %s", out, want)
		}
	}
	var back map[string]string
	if err := json.Unmarshal(out, &back); err != nil {
		t.Fatal(err)
	}
	for k, v := range in {
		if back[k] != v {
			t.Errorf("round trip of %s = %q, want %q", k, back[k], v)
		}
	}
}

// TestJSONKeepsAngleBrackets: addresses read as they are written, not
// with encoding/json's HTML escapes ("\u003c"); writeJSON and jsonLine
// end with one newline.
func TestJSONKeepsAngleBrackets(t *testing.T) {
	in := map[string]string{"from": "Ann <ann@example.org>", "subject": "Q&A"}
	line, err := jsonLine(in)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := writeJSON(&b, in); err != nil {
		t.Fatal(err)
	}
	for _, out := range []string{string(line), b.String()} {
		if !strings.Contains(out, `"Ann <ann@example.org>"`) || !strings.Contains(out, `"Q&A"`) || strings.Contains(out, `\u003c`) {
			t.Errorf("JSON = %s, want the address and the subject as written", out)
		}
		if !strings.HasSuffix(out, "}\n") || strings.HasSuffix(out, "\n\n") {
			t.Errorf("JSON = %q, want one newline at the end", out)
		}
	}
}
