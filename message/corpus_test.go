package message

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var corpusDir = filepath.Join("..", "..", "shared", "corpus")

// corpusFiles returns every regular message file of the shared corpus, or
// skips tb when the corpus is absent.
func corpusFiles(tb testing.TB) []string {
	tb.Helper()
	files, err := listCorpus()
	if err != nil {
		tb.Skipf("corpus not available: %v", err)
	}
	return files
}

func listCorpus() ([]string, error) {
	if _, err := os.Stat(corpusDir); err != nil {
		return nil, err
	}
	var files []string
	err := filepath.WalkDir(corpusDir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && filepath.Dir(path) != corpusDir {
			files = append(files, path)
		}
		return nil
	})
	return files, err
}

// assertTerminalSafe fails t if s contains anything that could drive a
// terminal.
func assertTerminalSafe(t *testing.T, what, s string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Errorf("%s is not valid UTF-8", what)
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == 0x7f || (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) {
			t.Errorf("%s contains control byte %#x near %q", what, c, s[max(0, i-20):min(len(s), i+20)])
			return
		}
	}
	for _, r := range s {
		if (r >= 0x80 && r <= 0x9f) || (r >= 0x202a && r <= 0x202e) || (r >= 0x2066 && r <= 0x2069) {
			t.Errorf("%s contains %U", what, r)
			return
		}
	}
}

func assertRenderedSafe(t *testing.T, res *Rendered) {
	t.Helper()
	assertTerminalSafe(t, "Body", res.Body, true)
	assertTerminalSafe(t, "String()", res.String(), true)
	for _, f := range res.Headers {
		assertTerminalSafe(t, "header name", f.Name, false)
		assertTerminalSafe(t, "header "+f.Name, f.Value, false)
	}
	for _, a := range res.Attachments {
		assertTerminalSafe(t, "attachment name", a.Name, false)
		assertTerminalSafe(t, "attachment type", a.ContentType, false)
	}
	for _, w := range res.Warnings {
		assertTerminalSafe(t, "warning", w, false)
	}
	for _, l := range res.Links {
		assertTerminalSafe(t, "link", l, false)
	}
}

func TestRenderCorpus(t *testing.T) {
	files := corpusFiles(t)
	if len(files) < 100 {
		t.Fatalf("found only %d corpus files", len(files))
	}
	for _, path := range files {
		name, _ := filepath.Rel(corpusDir, path)
		t.Run(name, func(t *testing.T) {
			raw, err := os.ReadFile(path)
			if err != nil {
				t.Skipf("unreadable: %v", err)
			}
			res, err := Render(bytes.NewReader(raw), Options{Width: 80})
			if err != nil {
				t.Fatalf("Render() error = %v", err)
			}
			assertRenderedSafe(t, res)
			for _, w := range res.Warnings {
				if strings.HasPrefix(w, "internal error") {
					t.Errorf("Render() recovered a panic: %s", w)
				}
			}
			if isPlainTextMessage(raw) && res.Body == "" {
				t.Errorf("Render() body is empty for a text message")
			}
			if _, err := ParseHeader(bytes.NewReader(raw)); err != nil {
				t.Errorf("ParseHeader() error = %v", err)
			}
			// The pager's full-header view (h): every field, safe.
			full, err := Render(bytes.NewReader(raw), Options{Width: 80, AllHeaders: true})
			if err != nil {
				t.Fatalf("Render(AllHeaders) error = %v", err)
			}
			assertRenderedSafe(t, full)
			if len(full.Headers) < len(res.Headers) {
				t.Errorf("the full view shows %d header fields, fewer than the %d displayed", len(full.Headers), len(res.Headers))
			}
		})
	}
}

// isPlainTextMessage reports whether raw is a single-part text message with
// some visible content after its header.
func isPlainTextMessage(raw []byte) bool {
	head, body, ok := bytes.Cut(bytes.ReplaceAll(raw, []byte("\r\n"), []byte("\n")), []byte("\n\n"))
	if !ok || len(bytes.TrimSpace(body)) == 0 {
		return false
	}
	lower := strings.ToLower(string(head))
	ct := ""
	for _, line := range strings.Split(lower, "\n") {
		if strings.HasPrefix(line, "content-type:") {
			ct = strings.TrimSpace(strings.TrimPrefix(line, "content-type:"))
		}
	}
	return ct == "" || strings.HasPrefix(ct, "text/plain")
}
