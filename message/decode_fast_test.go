package message

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"mime/quotedprintable"
	"strings"
	"testing"
	"testing/iotest"
)

// TestBase64FastPathSameAsFeed decodes random input, base64 with line
// breaks, padding, URL-safe and stray characters, with the reader (whose
// feedAll decodes whole groups at once) and a byte at a time with feed,
// and wants the same bytes and the same trailer.
func TestBase64FastPathSameAsFeed(t *testing.T) {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
	extra := []string{"=", "==", "\r\n", "-", "_", " ", "!", "\t", "é"}
	rng := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		var in bytes.Buffer
		for range rng.IntN(400) {
			if rng.IntN(12) == 0 {
				in.WriteString(extra[rng.IntN(len(extra))])
			} else {
				in.WriteByte(alphabet[rng.IntN(len(alphabet))])
			}
		}
		ref := b64Reader{}
		for _, c := range in.Bytes() {
			ref.feed(c)
		}
		if ref.padded && !ref.stopped {
			ref.decodeLine()
		}
		ref.flush()
		var r io.Reader = bytes.NewReader(in.Bytes())
		if n%2 == 0 {
			r = iotest.HalfReader(r)
		}
		got := &b64Reader{r: r}
		out, err := io.ReadAll(got)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(out, ref.out) || !bytes.Equal(got.trailer, ref.trailer) {
			t.Fatalf("input %q: reader gave %x (trailer %q), feed %x (trailer %q)", in.Bytes(), out, got.trailer, ref.out, ref.trailer)
		}
	}
}

// TestQuotedPrintableLongRuns decodes text with long runs between escapes
// (taken from the reader's buffer at once) across its buffer's edges, as
// the standard library's decoder does for valid input.
func TestQuotedPrintableLongRuns(t *testing.T) {
	rng := rand.New(rand.NewPCG(3, 4))
	for range 200 {
		var in bytes.Buffer
		for range rng.IntN(200) {
			switch rng.IntN(4) {
			case 0:
				in.WriteString("=C3=BC")
			case 1:
				in.WriteString("=\r\n")
			case 2:
				in.WriteString("\r\n")
			default:
				in.WriteString(strings.Repeat("abc ", rng.IntN(900)) + "x\r\n") // lines under the standard decoder's 4 KiB
			}
		}
		want, err := io.ReadAll(quotedprintable.NewReader(bytes.NewReader(in.Bytes())))
		if err != nil {
			t.Fatal(err)
		}
		got, err := io.ReadAll(iotest.HalfReader(&qpReader{br: bufio.NewReader(bytes.NewReader(in.Bytes()))}))
		if err != nil {
			t.Fatal(err)
		}
		// The standard decoder turns CRLF into LF in decoded text and
		// drops trailing spaces; posta's keeps the bytes: compare both
		// with CRLF as LF.
		if !bytes.Equal(bytes.ReplaceAll(got, []byte("\r\n"), []byte("\n")), bytes.ReplaceAll(want, []byte("\r\n"), []byte("\n"))) {
			t.Fatalf("decoded %d bytes, want %d", len(got), len(want))
		}
	}
}
