package sanitize

import (
	"strings"
	"testing"
	"unicode"
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
		{"rlo shown", "invoice\u202Efdp.exe", "invoice<U+202E>fdp.exe"},
		{"bidi isolates and marks in ASCII shown", "a\u2066b\u2069c\u200Ed\u200Fe\u061Cf", "a<U+2066>b<U+2069>c<U+200E>d<U+200F>e<U+061C>f"},
		{"direction marks in right-to-left text dropped", "שלום\u200F עולם\u200F", "שלום עולם"},
		{"newline and tab visible", "a\nb\tc\r\n", "a␊b␉c␍␊"},
		{"del", "a\x7fb", "a␡b"},
		{"nul", "a\x00b", "a␀b"},
		{"invalid utf8", "a\xff\xfeb", "a\uFFFD\uFFFDb"},
		{"zero width shown", "pay\u200Bpal\uFEFF\u2060", "pay<U+200B>pal<U+FEFF><U+2060>"},
		{"tag characters shown", "hi\U000E0041\U000E0042", "hi<U+E0041><U+E0042>"},
		{"flag tag sequence dropped", "\U0001F3F4\U000E0067\U000E0062\U000E007F", "\U0001F3F4"},
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
	rs := []rune(out)
	for i, r := range rs {
		if (r >= 0x80 && r <= 0x9f) || (r >= 0x202A && r <= 0x202E) || (r >= 0x2066 && r <= 0x2069) || r == 0x2028 || r == 0x2029 {
			t.Fatalf("output of %q contains %U: %q", in, r, out)
		}
		if !Invisible(r) {
			continue
		}
		// Only ZWJ and ZWNJ may remain, between two visible non-ASCII
		// characters.
		joined := (r == 0x200C || r == 0x200D) && i > 0 && i+1 < len(rs) &&
			rs[i-1] >= 0xa0 && !Invisible(rs[i-1]) && rs[i+1] >= 0xa0 && !Invisible(rs[i+1])
		if !joined {
			t.Fatalf("output of %q contains invisible %U: %q", in, r, out)
		}
	}
}

func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		"", "hello", "\x1b]52;c;ZXZpbA==\x07", "\x1b[2J", "a\rb", "a\r\nb", "\u202Efdp.exe",
		"\x9b31m", "\u009b31m", "\xc2", "\xed\xa0\x80", strings.Repeat("é", 10), "\u2028\u2029",
		"Pay\u3164Pal\u00AD\u034F\u115F\u1160\uFFA0", "\u2764\uFE0F\u200D\U0001F525", "é\uFE0F\u200Dü\u200F",
		"\U0001F3F4\U000E0067\U000E007F", "a\u200Cb", "\u05E9\u200F\u200E1",
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

func TestInvisibleCharacters(t *testing.T) {
	tests := []struct {
		name, in, line, text string
	}{
		{"soft hyphen", "Soft\u00ADware", "Soft<U+00AD>ware", "Software"},
		{"combining grapheme joiner", "a\u034Fb", "a<U+034F>b", "ab"},
		{"hangul choseong filler", "Pay\u115FPal", "Pay<U+115F>Pal", "PayPal"},
		{"hangul jungseong filler", "Pay\u1160Pal", "Pay<U+1160>Pal", "PayPal"},
		{"hangul filler spoof", "PayPal\u3164", "PayPal<U+3164>", "PayPal"},
		{"halfwidth hangul filler", "\uFFA0PayPal", "<U+FFA0>PayPal", "PayPal"},
		{"zero width space in a domain", "service@pay\u200Bpal.com", "service@pay<U+200B>pal.com", "service@paypal.com"},
		{"khmer inherent vowel", "a\u17B4b", "a<U+17B4>b", "ab"},
		{"mongolian vowel separator", "a\u180Eb", "a<U+180E>b", "ab"},
		{"invisible operators and reserved", "a\u2062b\u2065c\uFFF0d", "a<U+2062>b<U+2065>c<U+FFF0>d", "abcd"},
		{"musical and shorthand format controls", "a\U0001D173b\U0001BCA0c", "a<U+1D173>b<U+1BCA0>c", "abc"},
		{"variation selector after an emoji dropped", "I \u2764\uFE0F you", "I \u2764 you", "I \u2764 you"},
		{"text presentation selector after a CJK character dropped", "\u845B\U000E0100", "\u845B", "\u845B"},
		{"variation selector after ASCII shown", "paypal\uFE0F.com", "paypal<U+FE0F>.com", "paypal.com"},
		{"variation selector alone shown", "\uFE0F", "<U+FE0F>", ""},
		{"keycap selector dropped", "1\uFE0F\u20E3 deals", "1\u20E3 deals", "1\u20E3 deals"},
		{"zwnj in persian kept", "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645", "\u0645\u06CC\u200C\u062E\u0648\u0627\u0647\u0645"},
		{"zwj between ASCII shown", "pay\u200Dpal", "pay<U+200D>pal", "paypal"},
		{"zwj emoji sequence kept", "\U0001F469\u200D\U0001F4BB", "\U0001F469\u200D\U0001F4BB", "\U0001F469\u200D\U0001F4BB"},
		{"preheader padding", "Hi\u034F \u034F \u200C \u00AD", "Hi<U+034F> <U+034F> <U+200C> <U+00AD>", "Hi   "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Line(tt.in); got != tt.line {
				t.Errorf("Line(%q) = %q, want %q", tt.in, got, tt.line)
			}
			if got := Text(tt.in); got != tt.text {
				t.Errorf("Text(%q) = %q, want %q", tt.in, got, tt.text)
			}
		})
	}
}

func TestInvisibleAgreesWithLine(t *testing.T) {
	for r := rune(0); r <= 0x10FFFF; r++ {
		if r >= 0xD800 && r <= 0xDFFF {
			continue
		}
		s := "a" + string(r) + "b"
		got := Line(s)
		if Invisible(r) && got == s {
			t.Errorf("Line(%q) passes invisible %U through", s, r)
		}
		if !Invisible(r) && r >= 0xa0 && r != 0x2028 && r != 0x2029 && got != s {
			t.Errorf("Line(%q) = %q changes visible %U", s, got, r)
		}
	}
}

// TestInvisibleCoversDefaultIgnorables checks Invisible against Go's
// Unicode tables: every format character (Cf), other default-ignorable
// code point and variation selector is invisible, except the ones Unicode
// does not count as default-ignorable because they are drawn (prepended
// concatenation marks, Egyptian hieroglyph format controls).
func TestInvisibleCoversDefaultIgnorables(t *testing.T) {
	drawn := func(r rune) bool {
		return (r >= 0x0600 && r <= 0x0605) || r == 0x06DD || r == 0x070F || r == 0x0890 || r == 0x0891 ||
			r == 0x08E2 || r == 0x110BD || r == 0x110CD || (r >= 0x13430 && r <= 0x1343F)
	}
	for r := rune(0xa0); r <= unicode.MaxRune; r++ {
		di := unicode.Is(unicode.Cf, r) || unicode.Is(unicode.Other_Default_Ignorable_Code_Point, r) || unicode.Is(unicode.Variation_Selector, r)
		if di && !drawn(r) && !Invisible(r) {
			t.Errorf("Invisible(%U) = false for a default-ignorable character", r)
		}
	}
	for _, r := range []rune{0x115F, 0x1160, 0x3164, 0xFFA0} {
		if !Invisible(r) {
			t.Errorf("Invisible(%U) = false for a Hangul filler", r)
		}
	}
}
