package message

import (
	"bytes"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeTextRef is decodeText as it was before it built its text in
// byte buffers (strings.Builder, a decoded slice per word): the
// reference FuzzDecodeTextFast holds it to.
func decodeTextRef(s string) string {
	if !strings.Contains(s, "=?") {
		return fieldText(toUTF8(s))
	}
	var out strings.Builder
	var run []byte          // decoded bytes of the current run of words
	var runCS string        // their charset
	var gap strings.Builder // text between the last word and the next token
	flush := func() {
		if run != nil {
			s, _ := charsetToUTF8(runCS, run)
			out.WriteString(s)
			run, runCS = nil, ""
		}
	}
	for len(s) > 0 {
		i := strings.Index(s, "=?")
		if i < 0 {
			break
		}
		cs, data, n, ok := encodedWordRef(s[i:])
		if !ok {
			gap.WriteString(s[:i+2])
			s = s[i+2:]
			continue
		}
		gap.WriteString(s[:i])
		between := gap.String()
		if run != nil && strings.TrimSpace(between) == "" {
			between = ""
		}
		if between != "" || !strings.EqualFold(cs, runCS) {
			flush()
			out.WriteString(toUTF8(between))
		}
		gap.Reset()
		if run == nil {
			run, runCS = []byte{}, cs
		}
		run = append(run, data...)
		s = s[i+n:]
	}
	gap.WriteString(s)
	flush()
	out.WriteString(toUTF8(gap.String()))
	return fieldText(out.String())
}

// encodedWordRef is encodedWord as it was, with appendQ (decodeQ's loop) and
// decodeB64Word.
func encodedWordRef(s string) (cs string, data []byte, n int, ok bool) {
	rest := s[2:]
	q1 := strings.IndexByte(rest[:min(len(rest), maxCharsetName)], '?')
	if q1 <= 0 || len(rest) < q1+3 || rest[q1+2] != '?' {
		return "", nil, 0, false
	}
	cs, enc := rest[:q1], rest[q1+1]
	if strings.ContainsAny(cs, " \t\r\n") {
		return "", nil, 0, false
	}
	text := rest[q1+3:]
	end := strings.Index(text[:min(len(text), maxWordText)], "?=")
	if end < 0 {
		return "", nil, 0, false
	}
	text = text[:end]
	if strings.ContainsAny(text, "\r\n") {
		return "", nil, 0, false
	}
	switch enc {
	case 'q', 'Q':
		data = appendQ(nil, text) // the loop decodeQ had, unchanged
	case 'b', 'B':
		data = decodeB64Word(text)
	default:
		return "", nil, 0, false
	}
	return cs, data, 2 + q1 + 3 + end + 2, true
}

var decodeTextCases = []string{
	"", "plain", "=?", "=?utf-8?q?a?=", "=?UTF-8?B?UmU6IENhZsOpIG1lZXRpbmcg4oCUIGFnZW5kYSBmb3IgWsO8cmljaA==?=",
	"=?utf-8?q?a?= =?utf-8?q?b?=", "=?utf-8?q?a?= x =?utf-8?q?b?=", "=?utf-8?q?a?=\r\n =?UTF-8?Q?b?=",
	"=?utf-8?q?=C3?= =?utf-8?q?=A9?=", "=?iso-8859-1?q?caf=E9?= =?utf-8?q?caf=C3=A9?=", "=?x-unknown?q?=E9?= a",
	"=?utf-8?b?QQ==QQ==?=", "=?utf-8?b?QQ?=", "=?utf-8?b?QUJD?=", "=?utf-8?b?QUI=?=", "=?utf-8?b?Q=?=", "=?utf-8?b?=?=",
	"=?utf-8?q??=", "=?utf-8?q??= =?utf-8?q?a?=", "a =? b =?utf-8?q?x?= =? c", "=?utf-8?x?a?=", "=?utf 8?q?a?=",
	"=?us-ascii?q?a=FF?=", "=?UTF8?Q?=FF?=", "=?utf-8*en?q?a?= =?UTF-8*EN?q?b?=", "=?utf-8?q?=1B]52?=",
	"=?koi8-r?b?8NLJ18XU?= \xe9t\xe9", "=?utf-16?b?//5oAGkA?=", "caf\xe9 =?utf-8?q?a?=", "=?gb2312?b?1tDOxA==?=",
	"=?utf-8?b?" + strings.Repeat("QUJD", 100) + "?= =?utf-8?q?" + strings.Repeat("=C3=A9", 60) + "?=",
	"=?utf-8?q?a?= " + strings.Repeat("\xe9", 300) + " =?utf-8?q?b?=", strings.Repeat("=?koi8-r?q?=F0?=", 40),
	strings.Repeat("\x80", 250) + "=?utf-8?q?=C3?=", "=?utf-8?q?" + strings.Repeat("=C3=A9", 50) + "?=",
}

func TestDecodeTextFast(t *testing.T) {
	for _, s := range decodeTextCases {
		if got, want := decodeText(s), decodeTextRef(s); got != want {
			t.Errorf("decodeText(%q) = %q, the former decodeText gives %q", s, got, want)
		}
	}
}

func FuzzDecodeTextFast(f *testing.F) {
	for _, s := range decodeTextCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := decodeText(s), decodeTextRef(s); got != want {
			t.Fatalf("decodeText(%q) = %q, the former decodeText gives %q", s, got, want)
		}
		if !strings.Contains(s, "?") {
			if got, want := appendB64Word([]byte("x"), s), append([]byte("x"), decodeB64Word(s)...); !bytes.Equal(got, want) {
				t.Fatalf("appendB64Word(%q) = %q, decodeB64Word gives %q", s, got, want)
			}
		}
	})
}

// fieldTextRef is fieldText as it was, checking the whole of s after
// its printable ASCII start.
func fieldTextRef(s string) string {
	ascii := 0
	for ascii < len(s) && s[ascii] >= 0x20 && s[ascii] < 0x7f {
		ascii++
	}
	if ascii == len(s) {
		return s
	}
	clean := utf8.ValidString(s)
	for i := 0; clean && i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == 0x7f || (c == 0xc2 && i+1 < len(s) && s[i+1] >= 0x80 && s[i+1] <= 0x9f) {
			clean = false
		}
	}
	if clean {
		return s
	}
	return replaceControls(s)
}

func FuzzFieldTextFast(f *testing.F) {
	for _, s := range append(decodeTextCases, "Jörg Müller", "a\x00b", "a\u0085", "abc\xc2", "abc\xc2\x9f", "\t", "é\x7f") {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := fieldText(s), fieldTextRef(s); got != want {
			t.Fatalf("fieldText(%q) = %q, the former fieldText gives %q", s, got, want)
		}
	})
}
