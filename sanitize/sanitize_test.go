package sanitize

import (
	"strings"
	"testing"
	"unicode/utf8"
)

func TestLine(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"clean ascii", "Hello, world", "Hello, world"},
		{"clean unicode", "Grüße 日本 👍🏽", "Grüße 日本 👍🏽"},
		{"osc 52 clipboard", "a\x1b]52;c;ZXZpbA==\x07b", "a␛]52;c;ZXZpbA==␇b"},
		{"osc 8 hyperlink", "\x1b]8;;http://evil\x1b\\click\x1b]8;;\x1b\\", "␛]8;;http://evil␛\\click␛]8;;␛\\"},
		{"title set", "\x1b]0;pwned\x07", "␛]0;pwned␇"},
		{"csi clear screen", "\x1b[2J\x1b[H", "␛[2J␛[H"},
		{"dcs", "\x1bPq#0;2;0;0;0\x1b\\", "␛Pq#0;2;0;0;0␛\\"},
		{"8-bit csi", "x\u009b2Jy", "x\uFFFD2Jy"},
		{"raw 8-bit csi byte", "x\x9b2Jy", "x\uFFFD2Jy"},
		{"cr overwrite", "safe\rEVIL", "safe␍EVIL"},
		{"backspace overwrite", "abc\b\b\bxyz", "abc␈␈␈xyz"},
		{"rlo", "invoice\u202Efdp.exe", "invoicefdp.exe"},
		{"bidi isolates and marks", "a\u2066b\u2069c\u200Ed\u200Fe\u061Cf", "abcdef"},
		{"newline and tab visible", "a\nb\tc\r\n", "a␊b␉c␍␊"},
		{"del", "a\x7fb", "a␡b"},
		{"nul", "a\x00b", "a␀b"},
		{"invalid utf8", "a\xff\xfeb", "a\uFFFD\uFFFDb"},
		{"zero width hidden", "pay\u200Bpal\uFEFF\u2060", "paypal"},
		{"tag characters", "hi\U000E0041\U000E0042", "hi"},
		{"zwj kept", "👩\u200D💻", "👩\u200D💻"},
		{"line separator", "a\u2028b", "a␤b"},
		{"empty", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in); got != tt.want {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"keeps newline and tab", "a\n\tb\n", "a\n\tb\n"},
		{"crlf to lf", "a\r\nb\r\n", "a\nb\n"},
		{"lone cr visible", "safe\rEVIL\r", "safe␍EVIL␍"},
		{"cr cr lf", "a\r\r\nb", "a␍\nb"},
		{"csi in body", "line\n\x1b[31mred\x1b[0m", "line\n␛[31mred␛[0m"},
		{"osc 52 in body", "\x1b]52;c;Y3VybA==\x1b\\", "␛]52;c;Y3VybA==␛\\"},
		{"8-bit osc", "\u009d0;title\u009c", "\uFFFD0;title\uFFFD"},
		{"backspace", "pass\b\b\b\bxxxx", "pass␈␈␈␈xxxx"},
		{"rlo", "a\u202Eb\u202Cc", "abc"},
		{"paragraph separator", "a\u2029b", "a\nb"},
		{"vertical tab and form feed", "a\vb\fc", "a␋b␌c"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Text(tt.in); got != tt.want {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestCleanInputIsNotCopied(t *testing.T) {
	for _, s := range []string{"plain ascii subject", "Grüße aus Köln", "multi\nline\ttext"} {
		allocs := testing.AllocsPerRun(100, func() { _ = Text(s) })
		if allocs != 0 {
			t.Errorf("Text(%q) allocated %v times, want 0", s, allocs)
		}
	}
	s := "Grüße aus Köln"
	if allocs := testing.AllocsPerRun(100, func() { _ = Line(s) }); allocs != 0 {
		t.Errorf("Line(%q) allocated %v times, want 0", s, allocs)
	}
}

// checkSafe fails t if out could still control a terminal.
func checkSafe(t *testing.T, in, out string, multiline bool) {
	t.Helper()
	if !utf8.ValidString(out) {
		t.Fatalf("output of %q is not valid UTF-8: %q", in, out)
	}
	for i := 0; i < len(out); i++ {
		c := out[i]
		if c == 0x7f || (c < 0x20 && !(multiline && (c == '\n' || c == '\t'))) {
			t.Fatalf("output of %q contains byte %#x: %q", in, c, out)
		}
	}
	for _, r := range out {
		if (r >= 0x80 && r <= 0x9f) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) {
			t.Fatalf("output of %q contains %U: %q", in, r, out)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		"", "hello", "\x1b]52;c;ZXZpbA==\x07", "\x1b[2J", "a\rb", "a\r\nb", "\u202Efdp.exe",
		"\x9b31m", "\u009b31m", "\xc2", "\xed\xa0\x80", strings.Repeat("é", 10), "\u2028\u2029",
	} {
		f.Add(s)
	}
}

func FuzzLine(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		out := Line(in)
		checkSafe(t, in, out, false)
		if strings.ContainsAny(out, "\n\t") {
			t.Fatalf("Line(%q) = %q keeps a newline or tab", in, out)
		}
		if Line(out) != out {
			t.Fatalf("Line is not idempotent on %q", in)
		}
	})
}

func FuzzText(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, in string) {
		out := Text(in)
		checkSafe(t, in, out, true)
		if Text(out) != out {
			t.Fatalf("Text is not idempotent on %q", in)
		}
	})
}
