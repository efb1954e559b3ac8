package message

import (
	"strings"
	"testing"
)

// crlf turns a readable test message with "\n" line ends into wire form.
func crlf(s string) string { return strings.ReplaceAll(s, "\n", "\r\n") }

func render(t *testing.T, raw string, opts Options) *Rendered {
	t.Helper()
	res, err := Render(strings.NewReader(raw), opts)
	if err != nil {
		t.Fatalf("Render() error = %v", err)
	}
	assertRenderedSafe(t, res)
	return res
}

func header(res *Rendered, name string) string {
	for _, f := range res.Headers {
		if f.Name == name {
			return f.Value
		}
	}
	return ""
}

func mustContain(t *testing.T, what, got string, wants ...string) {
	t.Helper()
	for _, want := range wants {
		if !strings.Contains(got, want) {
			t.Errorf("%s = %q, want it to contain %q", what, got, want)
		}
	}
}

func mustNotContain(t *testing.T, what, got string, unwanted ...string) {
	t.Helper()
	for _, u := range unwanted {
		if strings.Contains(got, u) {
			t.Errorf("%s = %q, want it not to contain %q", what, got, u)
		}
	}
}
