package message

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"
)

// bigMessage is a 50 MB message: a text part, a 40 MB base64 attachment
// and a 10 MB text part that must be truncated.
func bigMessage() []byte {
	var b bytes.Buffer
	b.WriteString("From: a@example.com\r\nSubject: big\r\nContent-Type: multipart/mixed; boundary=B\r\n\r\n")
	b.WriteString("--B\r\nContent-Type: text/plain\r\n\r\nHello, see the attachment.\r\n")
	b.WriteString("--B\r\nContent-Type: application/octet-stream; name=big.bin\r\nContent-Transfer-Encoding: base64\r\n\r\n")
	line := base64.StdEncoding.EncodeToString(bytes.Repeat([]byte{0xab, 0xcd, 0xef}, 19)) + "\r\n" // 76 chars
	b.WriteString(strings.Repeat(line, 40<<20/len(line)))
	b.WriteString("--B\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n")
	b.WriteString(strings.Repeat("Gr=C3=BC=C3=9Fe aus dem sehr langen Text, der abgeschnitten wird.\r\n", 10<<20/68))
	b.WriteString("--B--\r\n")
	return b.Bytes()
}

func BenchmarkRender50MB(b *testing.B) {
	raw := bigMessage()
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		res, err := Render(bytes.NewReader(raw), Options{Width: 80})
		if err != nil || len(res.Attachments) != 1 {
			b.Fatalf("Render() = %v, %v", res, err)
		}
	}
}
