package message

import (
	"bytes"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/emersion/go-message/charset"
)

// The fast path converts as charset.Reader does, charset by charset, on
// random bytes (invalid sequences included) and on real text.
func TestFastDecoderConvertsAsReader(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	texts := [][]byte{[]byte("Chlo\xe9 Dubois"), []byte("\x93quoted\x94 \x80"), []byte("\x1b$B$3$s$K$A$O\x1b(B"), []byte("\x82\xb1\x82\xf1")}
	for range 50 {
		b := make([]byte, rng.IntN(40))
		for i := range b {
			b[i] = byte(rng.IntN(256))
		}
		texts = append(texts, b)
	}
	for _, cs := range []string{"iso-8859-1", "iso-8859-2", "iso-8859-15", "windows-1252", "windows-1251", "koi8-r",
		"shift_jis", "euc-jp", "iso-2022-jp", "gb2312", "gbk", "big5", "euc-kr", "utf-16le", "ansi_x3.110-1983"} {
		for _, b := range texts {
			r, err := charset.Reader(cs, bytes.NewReader(b))
			if err != nil {
				t.Fatalf("%s: %v", cs, err)
			}
			out, err := io.ReadAll(r)
			want := strings.ToValidUTF8(string(out), "\uFFFD")
			if err != nil && len(out) == 0 {
				want = toUTF8(string(b))
			}
			if got, _ := charsetToUTF8(cs, b); got != want {
				t.Errorf("%s %q: %q, charset.Reader gives %q", cs, b, got, want)
			}
		}
	}
	if fastDecoder("iso-8859-1") == nil || fastDecoder("windows-1252") == nil {
		t.Errorf("no fast path for ISO-8859-1 or Windows-1252")
	}
}

// fastDecoder remembers at most maxFastDecoders names, whatever names
// the mail makes up.
func TestFastDecoderBounded(t *testing.T) {
	for i := range 3 * maxFastDecoders {
		charsetToUTF8(fmt.Sprintf("x-made-up-%d", i), []byte("abc\xe9"))
	}
	fastDecoders.Lock()
	n := len(fastDecoders.m)
	fastDecoders.Unlock()
	if n > maxFastDecoders {
		t.Errorf("%d names remembered, want at most %d", n, maxFastDecoders)
	}
}

func BenchmarkCharsetWord(b *testing.B) {
	word := []byte("Chlo\xe9 Dubois")
	b.ReportAllocs()
	for b.Loop() {
		charsetToUTF8("iso-8859-1", word)
	}
}
