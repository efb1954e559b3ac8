package message

import (
	"testing"
)

var mimeWordCases = []string{
	"=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?=", "=?ISO-8859-1?Q?Chlo=E9?=", "=?UTF-8?B?SsO2cmc=?=", "=?utf-8?b?////?=",
	"=?utf-8?b?!!?=", "=?utf-8?x?abc?=", "=?utf-8?q?a=?=", "=?utf-8?q?a?b?=", "=?utf-8?q??=", "=?us-ascii?q?=FF?=",
	"=?iso-8859-1?q?=FF=80a?=", "=?iso-8859-1?b?/w==?=", "=?koi8-r?q?=F0=D2=C9?=", "=??q?a?=", "=?utf-8?qq?a?=",
	"=?UTF-8?Q?=1B=5B31m?=", "=?utf-8?q?=c3=a9?=", "=?utf-8?q?=g0?=", "=?utf-8?b?QQ?=", "=?utf-8?b?QUJD?=",
	"=?Us-Ascii?Q?a=20b?=", "=?iso-8859-1*fr?q?a?=", "=?utf-8?b?QQ==QQ==?=", "=?utf-8?Q?a~b?=",
}

// checkMIMEWord fails t when appendMIMEWord takes word and decodes it
// otherwise than the address parser's word decoder.
func checkMIMEWord(t *testing.T, word string) bool {
	t.Helper()
	got, ok := appendMIMEWord([]byte("x"), word)
	if !ok {
		if string(got) != "x" {
			t.Fatalf("appendMIMEWord(%q) = %q, false: dst changed", word, got)
		}
		return false
	}
	want, err := addressParser.WordDecoder.Decode(word)
	if err != nil {
		t.Fatalf("appendMIMEWord(%q) = %q, Decode fails: %v", word, got, err)
	}
	if string(got) != "x"+want {
		t.Fatalf("appendMIMEWord(%q) = %q, Decode gives %q", word, got[1:], want)
	}
	return true
}

func TestMIMEWordFast(t *testing.T) {
	n := 0
	for _, w := range mimeWordCases {
		if checkMIMEWord(t, w) {
			n++
		}
	}
	if n < 10 {
		t.Errorf("only %d words took the fast path", n)
	}
}

func FuzzMIMEWordFast(f *testing.F) {
	for _, w := range mimeWordCases {
		f.Add(w)
	}
	f.Fuzz(func(t *testing.T, word string) {
		checkMIMEWord(t, word)
	})
}
