package message

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/sanitize"
)

// TestRenderJSONCorpus reads every message of the shared corpus as
// `posta render --json` does (Render, then the headers, parts tree,
// attachments, text, links and warnings encoded as JSON) and checks the
// results issue 16 asks for: everything is sanitized and stable, no
// header shows an encoded word that could be decoded, every header
// address is shown, a readable Date is shown in numeric form, and every
// listed attachment can be saved.
func TestRenderJSONCorpus(t *testing.T) {
	files := corpusFiles(t)
	for _, path := range files {
		name, _ := filepath.Rel(corpusDir, path)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("unreadable: %v", err)
			}
			res, err := Render(bytes.NewReader(raw), Options{})
			if err != nil {
				t.Fatalf("Render() error = %v", err)
			}
			out := map[string]any{
				"headers": res.Headers, "parts": res.Parts, "attachments": res.Attachments,
				"text": res.Body, "links": res.Links, "warnings": res.Warnings,
			}
			js, err := json.Marshal(out)
			if err != nil {
				t.Fatalf("json.Marshal() error = %v", err)
			}
			if !json.Valid(js) {
				t.Fatalf("invalid JSON")
			}
			for _, w := range res.Warnings {
				if strings.HasPrefix(w, "internal error") {
					t.Errorf("Render() recovered a panic: %s", w)
				}
			}
			if sanitize.Text(res.Body) != res.Body {
				t.Errorf("text is not sanitized")
			}
			h, _ := ParseHeader(bytes.NewReader(raw))
			for _, f := range res.Headers {
				if sanitize.Line(f.Value) != f.Value {
					t.Errorf("header %s = %q is not sanitized", f.Name, f.Value)
				}
				if word := decodableWord(f.Value); word != "" {
					t.Errorf("header %s = %q shows the encoded word %q", f.Name, f.Value, word)
				}
				switch f.Name {
				case "Subject":
					if want := strings.Join(strings.Fields(sanitize.Line(h.Subject)), " "); f.Value != want {
						t.Errorf("Subject shown %q, index %q", f.Value, want)
					}
				case "Date":
					if !h.Date.IsZero() && f.Value != h.Date.Format("Mon, 02 Jan 2006 15:04:05 -0700") {
						t.Errorf("Date shown %q, parsed %v", f.Value, h.Date)
					}
				case "From":
					for _, a := range h.From {
						if a.Addr != "" && !strings.Contains(f.Value, strings.Join(strings.Fields(sanitize.Line(a.Addr)), " ")) {
							t.Errorf("From shown %q lacks the address %q", f.Value, a.Addr)
						}
					}
				}
			}
			for _, a := range res.Attachments {
				if _, err := SaveAttachment(bytes.NewReader(raw), a.Index, t.TempDir()); err != nil {
					t.Errorf("SaveAttachment(%d %q) error = %v", a.Index, a.Name, err)
				}
			}
		})
	}
}

// decodableWord returns the first RFC 2047 encoded word in s whose
// charset is known, or "".
func decodableWord(s string) string {
	for i := strings.Index(s, "=?"); i >= 0; {
		if cs, _, n, ok := encodedWord(s[i:]); ok {
			if _, known := charsetToUTF8(cs, nil); known {
				return s[i : i+n]
			}
		}
		j := strings.Index(s[i+2:], "=?")
		if j < 0 {
			break
		}
		i += 2 + j
	}
	return ""
}
