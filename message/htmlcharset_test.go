package message

import (
	"strings"
	"testing"
)

func TestHTMLMetaCharset(t *testing.T) {
	tests := []struct {
		name, head, body, want string
	}{
		{"meta charset", "Content-Type: text/html", "<html><head><meta charset=\"koi8-r\"></head><body><p>\xf0\xd2\xc9\xd7\xc5\xd4</p></body></html>", "Привет"},
		{"meta http-equiv", "Content-Type: text/html", "<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=iso-8859-2\"></head><body>Doma\xe8e</body></html>", "Domače"},
		{"parameter wins over meta", "Content-Type: text/html; charset=utf-8", "<meta charset=\"iso-8859-1\"><p>caf\xc3\xa9</p>", "café"},
		{"meta windows-1252 over valid UTF-8 guess", "Content-Type: text/html", "<meta charset=windows-1252><p>caf\xe9</p>", "café"},
		{"no meta, UTF-8", "Content-Type: text/html", "<p>caf\xc3\xa9</p>", "café"},
		{"no meta, 8-bit", "Content-Type: text/html", "<p>caf\xe9</p>", "café"},
		{"utf-16 BOM", "Content-Type: text/html", "\xff\xfe<\x00p\x00>\x00h\x00\xe9\x00", "hé"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := render(t, crlf(tt.head+"\n\n")+tt.body, Options{})
			mustContain(t, "Body", res.Body, tt.want)
		})
	}
}

func TestHTMLMetaCharsetCorpus(t *testing.T) {
	raw := corpusMessage(t, "enmime/mail/non-mime-missing-charset.raw")
	w := newWalker(0)
	root := w.parseMessage(strings.NewReader(raw), 0)
	if root == nil || root.mediaType != "text/html" || root.params["charset"] != "" {
		t.Fatalf("root = %+v, want an HTML part without a charset", root)
	}
	if got := sniffHTMLCharset(root.text); got != "windows-1250" {
		t.Errorf("sniffHTMLCharset() = %q, want windows-1250 from <meta charset>", got)
	}
}
