package message

import (
	"encoding/base64"
	"io"
	"strings"
	"testing"
)

func TestBase64StopsAtFinalPadding(t *testing.T) {
	const footer = "_______________________________________________\r\nList mailing list\r\nList@lists.example.org\r\nhttps://lists.example.org/listinfo/list\r\n"
	tests := []struct{ name, in, want string }{
		{"footer after padding", "aGVsbG8gd29ybGQ=\r\n" + footer, "hello world"},
		{"footer after double padding", "aGk=\r\n\r\n" + footer, "hi"},
		{"signature dashes after padding", "aGk=\r\n-- \r\nsig\r\n", "hi"},
		{"separately padded chunks", "aGk=\r\nIHRoZXJl\r\nIQ==\r\n", "hi there!"},
		{"padding chunks on one line", "aGk=IQ==", "hi!"},
		{"no padding: garbage skipped", "aGVsbG8g\r\n!!d29y\r\nbGQ", "hello world"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := io.ReadAll(&b64Reader{r: strings.NewReader(tt.in)})
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tt.want {
				t.Errorf("b64Reader(%q) = %q, want %q", tt.in, got, tt.want)
			}
		})
	}
}

func TestBase64FooterInMessage(t *testing.T) {
	data := strings.Repeat("0123456789", 100) // 1000 bytes, padded when encoded
	enc := base64.StdEncoding.EncodeToString([]byte(data))
	raw := crlf("From: a@example.org\nSubject: list\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\nContent-Transfer-Encoding: base64\n\n" +
		base64.StdEncoding.EncodeToString([]byte("Hello list")) + "\n\n--\nthe footer\n" +
		"--b\nContent-Type: application/octet-stream; name=data.bin\nContent-Transfer-Encoding: base64\n\n" +
		enc + "\n_______________\nList mailing list\n--b--\n")
	res := render(t, raw, Options{})
	if want := "Hello list\n\n--\nthe footer\n"; res.Body != want {
		t.Errorf("Body = %q, want %q (the footer shown as text)", res.Body, want)
	}
	if len(res.Attachments) != 1 || res.Attachments[0].Size != int64(len(data)) {
		t.Errorf("Attachments = %+v, want one of %d bytes", res.Attachments, len(data))
	}
}

func TestBase64FooterCorpus(t *testing.T) {
	res := render(t, corpusMessage(t, "spamassassin/nice/cjk/big5-base64.1"), Options{})
	mustContain(t, "Body", res.Body, "更新日期", "SLAT-talk mailing list")
}
