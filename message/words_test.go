package message

import (
	"strings"
	"testing"
)

func TestDecodeText(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"plain", "hello", "hello"},
		{"q word", "=?iso-8859-1?q?caf=E9?=", "café"},
		{"space between words dropped", "=?utf-8?q?a?= =?utf-8?q?b?=", "ab"},
		{"text between words kept", "=?utf-8?q?a?= and =?utf-8?q?b?=", "a and b"},
		{"unknown charset leaves neighbours decoded", "=?utf-8?q?caf=C3=A9?= =?x-nonsense?q?plain?= =?iso-8859-1?q?na=EFve?=", "caféplainnaïve"},
		{"unknown charset with 8-bit bytes", "=?x-nonsense?q?caf=E9?= =?utf-8?q?ok?=", "caféok"},
		{"invalid utf-8 becomes U+FFFD", "=?utf-8?b?//4=?= x", "\uFFFD x"},
		{"multi-byte character split between words", "=?utf-8?q?omre=C5?= =?utf-8?q?=BEje?=", "omrežje"},
		{"language tag", "=?iso-8859-2*sl?Q?Doma=e8e?=", "Domače"},
		{"language tag, mixed case charset", "=?utf-8*sl?Q?_omre=C5?=     =?Utf-8*SL?q?=BEje?=", " omrežje"},
		{"utf-7 word", "=?utf-7?q?Hi_+AOk-t+AOk-?=", "Hi été"},
		{"utf-7 base64 word", "=?UTF-7?B?K1plVm5MQS0=?=", "日本"},
		{"malformed word kept", "=?utf-8?x?abc?= tail", "=?utf-8?x?abc?= tail"},
		{"unterminated word kept", "50% =?off", "50% =?off"},
		{"raw latin-1 outside words", "caf\xe9 =?utf-8?q?ok?=", "café ok"},
		{"raw UTF-8 cut in a character", "Картинка чт\xd0", "Картинка чт\uFFFD"},
		{"raw latin-1 with one UTF-8 look-alike", "na\xefve r\xe9sum\xe9 \xc3\xa9", "naïve résumé Ã©"},
		{"b word", "=?UTF-8?B?UHLDvGZ1bmc=?=", "Prüfung"},
		{"utf-16 little endian without a BOM", "=?utf-16?B?RABlAHMAaQBnAG4A?=", "Design"},
		{"utf-16 big endian without a BOM", "=?utf-16?B?AEQAZQBzAGkAZwBu?=", "Design"},
		{"utf-16 with a BOM", "=?UTF-16?B?//492Enc?= test", "\U0001F449 test"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := decodeText(tt.in); got != tt.want {
				t.Errorf("decodeText(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestDecodeUTF7(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Hi Mom -+Jjo--!", "Hi Mom -☺-!"},
		{"+ZeVnLIqe-", "日本語"},
		{"A+ImIDkQ.", "A≢Α."},
		{"1 +- 1", "1 + 1"},
		{"+2D3cAQ-", "\U0001F401"},
		{"+2D0-", "\uFFFD"}, // a lone surrogate
		{"+AO", "\uFFFD"},   // a truncated unit
	}
	for _, tt := range tests {
		if got := decodeUTF7([]byte(tt.in)); got != tt.want {
			t.Errorf("decodeUTF7(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestUTF7Body(t *testing.T) {
	raw := crlf("Subject: =?utf-7?q?+ZeVnLIqe-?=\nContent-Type: text/plain; charset=utf-7\n\nHi Mom -+Jjo--!\n")
	res := render(t, raw, Options{})
	mustContain(t, "Body", res.Body, "Hi Mom -☺-!")
	if got := header(res, "Subject"); got != "日本語" {
		t.Errorf("Subject = %q, want 日本語", got)
	}
	if len(res.Warnings) > 0 {
		t.Errorf("Warnings = %q", res.Warnings)
	}
}

func TestInvalidUTF8InWordsEverywhere(t *testing.T) {
	raw := crlf("From: =?utf-8?b?//4=?=Bob <bob@example.com>\nTo: =?utf-8?q?=FF=FEAnn?= <ann@example.com>\nSubject: =?utf-8?b?//4=?=hi\n\nbody\n")
	h, err := ParseHeader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	for what, v := range map[string]string{"Subject": h.Subject, "From name": h.From[0].Name, "To name": h.To[0].Name} {
		if !strings.Contains(v, "\uFFFD") || strings.ContainsAny(v, "ÿþ") {
			t.Errorf("%s = %q, want U+FFFD for the invalid bytes", what, v)
		}
	}
	res := render(t, raw, Options{})
	for _, f := range res.Headers {
		mustNotContain(t, f.Name, f.Value, "ÿ", "þ")
	}
}

func TestWordsCorpus(t *testing.T) {
	raw := corpusMessage(t, "spamassassin/nice/unicode1")
	h, err := ParseHeader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if h.Subject != "Domače omrežje" {
		t.Errorf("Subject = %q, want %q", h.Subject, "Domače omrežje")
	}
	if len(h.To) != 1 || h.To[0].Name != "Dörte Å. Sörensen, Jr." {
		t.Errorf("To = %#v, want the name in iso-8859-1 with a language tag decoded", h.To)
	}
}

func TestRawHeaderInMessageCharset(t *testing.T) {
	raw := "Subject: \xf0\xd2\xc9\xd7\xc5\xd4 =?utf-8?q?w=C3=B6rld?=\r\nFrom: \xf0\xc5\xd4\xd1 <p@example.org>\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n\xf0\xd2\xc9\xd7\xc5\xd4\r\n"
	h, err := ParseHeader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if h.Subject != "Привет wörld" || len(h.From) != 1 || h.From[0].Name != "Петя" {
		t.Errorf("ParseHeader() Subject = %q, From = %v, want koi8-r read", h.Subject, h.From)
	}
	res := render(t, raw, Options{})
	if got := header(res, "Subject"); got != "Привет wörld" {
		t.Errorf("shown Subject = %q", got)
	}
	// Without a charset, raw 8-bit text is still read as Windows-1252.
	h, _ = ParseHeader(strings.NewReader("Subject: caf\xe9\r\n\r\n"))
	if h.Subject != "café" {
		t.Errorf("Subject = %q, want café", h.Subject)
	}
}
