package pop3

import (
	"bufio"
	"bytes"
	"io"
	"math/rand/v2"
	"strings"
	"testing"
)

// stuff encodes body as a RETR reply body: dot-stuffed, then ".\r\n".
func stuff(body string) string {
	var b strings.Builder
	for _, line := range strings.SplitAfter(body, "\n") {
		if strings.HasPrefix(line, ".") {
			b.WriteByte('.')
		}
		b.WriteString(line)
	}
	return b.String() + ".\r\n"
}

// TestDotReaderRandom reads random bodies full of dots at line starts
// through small buffers with random read sizes: every byte comes through,
// and the reply after the terminator is left unread.
func TestDotReaderRandom(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	pieces := []string{".", "..", "x", ".x", "\r\n", "\n", "abc", "\r", " "}
	for trial := 0; trial < 2000; trial++ {
		var body strings.Builder
		for range rng.IntN(60) {
			body.WriteString(pieces[rng.IntN(len(pieces))])
		}
		want := body.String()
		if !strings.HasSuffix(want, "\n") {
			want += "\r\n" // a RETR body ends with a line end
		}
		c := &conn{r: bufio.NewReaderSize(strings.NewReader(stuff(want)+"+OK next\r\n"), 16)}
		d := c.retrBody(1<<20, nil)
		var got bytes.Buffer
		buf := make([]byte, 64)
		for {
			n, err := d.Read(buf[:1+rng.IntN(len(buf)-1)])
			got.Write(buf[:n])
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatalf("body %q: Read error = %v", want, err)
			}
		}
		if got.String() != want {
			t.Fatalf("body %q: read %q", want, got.String())
		}
		rest, _ := io.ReadAll(c.r)
		if string(rest) != "+OK next\r\n" {
			t.Fatalf("body %q: left %q after the terminator", want, rest)
		}
	}
}

// BenchmarkDotReader streams a 10 MB body of 76-byte lines.
func BenchmarkDotReader(b *testing.B) {
	body := strings.Repeat(strings.Repeat("y", 74)+"\r\n", 10<<20/76)
	wire := stuff(body)
	b.SetBytes(int64(len(body)))
	for b.Loop() {
		c := &conn{r: bufio.NewReaderSize(strings.NewReader(wire), 64<<10)}
		if _, err := io.Copy(io.Discard, c.retrBody(1<<30, nil)); err != nil {
			b.Fatal(err)
		}
	}
}
