package message

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"
)

// TestIndexTextMatchesBodyText checks that the fast path gives what
// BodyText gives, on the messages it takes and those it leaves.
func TestIndexTextMatchesBodyText(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		fast bool // the fast path applies
	}{
		{"plain utf-8", "From: a@b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nHallo Zürich\r\n\r\n", true},
		{"no content type", "Subject: x\r\n\r\nhello\r\nworld\r\n", true},
		{"ascii with 8-bit bytes", "Subject: x\r\n\r\nZ\xc3\xbcrich\r\n", false},
		{"us-ascii", "Content-Type: text/plain; charset=\"US-ASCII\"\n\nplain\n", true},
		{"empty body", "Subject: x\r\n\r\n", true},
		{"blank body", "Subject: x\r\n\r\n \r\n\t\r\n", true},
		{"bare CR", "Subject: x\r\n\r\na\r\r\nb\r\n", true},
		{"control characters", "Content-Type: text/plain; charset=utf-8\r\n\r\nbell\a esc\x1b[31m red\r\n", true},
		{"8bit", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nna\xc3\xafve\r\n", true},
		{"folded subject", "Subject: a\r\n b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbody\r\n", true},
		{"invalid utf-8", "Content-Type: text/plain; charset=utf-8\r\n\r\nbad \xff byte\r\n", false},
		{"quoted-printable", "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nZ=C3=BCrich\r\n", false},
		{"latin-1", "Content-Type: text/plain; charset=iso-8859-1\r\n\r\nZ\xfcrich\r\n", false},
		{"flowed", "Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\nsoft \r\nbreak\r\n", false},
		{"attachment", "Content-Type: text/plain; charset=utf-8\r\nContent-Disposition: attachment; filename=a.txt\r\n\r\nfile\r\n", false},
		{"inline disposition", "Content-Disposition: inline\r\n\r\ntext\r\n", false},
		{"folded content type", "Content-Type: text/plain;\r\n charset=utf-8\r\n\r\nbody\r\n", true},
		{"two content types", "Content-Type: text/plain\r\nContent-Type: text/html\r\n\r\n<b>x</b>\r\n", false},
		{"html", "Content-Type: text/html; charset=utf-8\r\n\r\n<p>x</p>\r\n", false},
		{"multipart", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b--\r\n", true},
		{"html then plain", "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n\r\n--b--\r\n", true},
		{"html alone", "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n--b--\r\n", false},
		{"blank plain alternative", "Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\n  \r\n--b\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n--b--\r\n", false},
		{"mixed with attachments", "Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\npreamble\r\n--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\nfirst\r\n\r\n--=_b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nJVBERi0=\r\n--=_b\r\nContent-Type: text/csv; name=x.csv\r\n\r\na,b\r\n--=_b\r\n\r\nsecond\r\n--=_b--\r\nepilogue\r\n", true},
		{"plain attachment", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n--b\r\nContent-Type: text/plain; name=a.txt\r\n\r\nfile\r\n--b--\r\n", false},
		{"html in mixed", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n--b--\r\n", false},
		{"no close boundary", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\nx\r\n", false},
		{"no boundary line", "Content-Type: multipart/mixed; boundary=b\r\n\r\njust text\r\n", false},
		{"LF only multipart", "Content-Type: multipart/alternative; boundary=b\n\n--b \nContent-Type: text/plain\n\nline\n\n--b--", true},
		{"nested multipart", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: multipart/alternative; boundary=c\r\n\r\n--c\r\n\r\nx\r\n--c--\r\n--b--\r\n", false},
		{"part without blank line", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n--b--\r\n", false},
		{"boundary look-alike", "Content-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\n\r\n--bx is not a boundary\r\n--b--\r\n", true},
		{"mbox From line", "From a@b Sat Jan  3 01:05:34 1996\r\nSubject: x\r\n\r\nbody\r\n", false},
		{"no blank line", "Subject: x\r\n", false},
		{"starts folded", " Subject: x\r\n\r\nbody\r\n", false},
		{"upper case", "CONTENT-TYPE: TEXT/PLAIN; CHARSET=UTF-8\r\ncontent-transfer-encoding: 7BIT\r\n\r\nok\r\n", true},
		{"LF only", "Subject: x\n\nline one\nline two\n\n\n", true},
		{"white space line", "Subject: x\r\n \r\nContent-Type: text/html\r\n\r\n<p>x</p>\r\n", false},
		{"byte order mark", "\xef\xbb\xbfSubject: x\r\n\r\nbody\r\n", false},
		{"alternative", "From: \"A, B\" <a@b>\r\nMIME-Version: 1.0\r\nContent-Type: multipart/alternative;\r\n boundary=\"xx\"\r\n\r\n--xx\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nZ=FCrich\r\n--xx\r\nContent-Type: text/html\r\n\r\n<p>Z&uuml;rich</p>\r\n--xx--\r\n", false},
		{"enclosed message", "Subject: fwd\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n--b\r\nContent-Type: text/plain\r\n\r\nsee below\r\n--b\r\nContent-Type: message/rfc822\r\n\r\nFrom: c@d\r\nSubject: inner\r\n\r\ninner body\r\n--b--\r\n", false},
		{"leading blank lines", "Subject: x\r\n\r\n\r\n\r\n  indented\r\n", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, _ := BodyText(bytes.NewReader([]byte(tt.msg)))
			f, ok := scanHeader([]byte(tt.msg), true)
			got, fast := fastBodyText(f)
			fast = fast && ok
			if fast != tt.fast {
				t.Errorf("fastBodyText() applies = %v, want %v", fast, tt.fast)
			}
			if fast && got != want {
				t.Errorf("fastBodyText() = %q, want %q (BodyText)", got, want)
			}
			if got := IndexText([]byte(tt.msg)); got != want {
				t.Errorf("IndexText() = %q, want %q", got, want)
			}
		})
	}
}

// TestIndexTextCorpus compares the fast path with BodyText on every
// file of the directory POSTA_TEXT_CORPUS names (a Maildir's cur/, say).
func TestIndexTextCorpus(t *testing.T) {
	dir := os.Getenv("POSTA_TEXT_CORPUS")
	if dir == "" {
		t.Skip("POSTA_TEXT_CORPUS not set")
	}
	names, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	fast := 0
	for _, e := range names {
		raw, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		raw = raw[:min(len(raw), IndexTextBytes)]
		want, _ := BodyText(bytes.NewReader(raw))
		if got := IndexText(raw); got != want {
			t.Errorf("%s: IndexText() = %q, want %q", e.Name(), got, want)
		}
		if f, ok := scanHeader(raw, true); ok {
			if _, ok := fastBodyText(f); ok {
				fast++
			}
		}
	}
	t.Logf("fast path on %d of %d messages", fast, len(names))
}

// FuzzIndexText checks that IndexText, fast path or not, gives what
// BodyText gives for the same bytes.
func FuzzIndexText(f *testing.F) {
	f.Add([]byte("Subject: x\r\n\r\nhello\r\nworld\r\n"))
	f.Add([]byte("Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\nna\xc3\xafve\r\n"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=b\r\n\r\n--b\r\nContent-Type: text/html\r\n\r\n<p>h</p>\r\n--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nplain\r\n\r\n--b--\r\n"))
	f.Add([]byte("Content-Type: multipart/mixed; boundary=\"=_b\"\r\n\r\npreamble\r\n--=_b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n\r\nfirst\r\n\r\n--=_b\r\nContent-Type: application/pdf; name=a.pdf\r\nContent-Transfer-Encoding: base64\r\nContent-Disposition: attachment; filename=a.pdf\r\n\r\nJVBERi0=\r\n--=_b\r\n\r\nsecond\r\n--=_b--\r\nepilogue\r\n"))
	f.Add([]byte("Content-Type: multipart/alternative; boundary=b\n\n--b \nContent-Type: text/plain\n\nline\n\n--b--"))
	f.Fuzz(func(t *testing.T, msg []byte) {
		if len(msg) > IndexTextBytes {
			return
		}
		want, err := BodyText(bytes.NewReader(msg))
		if err != nil {
			want = ""
		}
		if got := IndexText(msg); got != want {
			t.Errorf("IndexText(%q) = %q, want %q (BodyText)", msg, got, want)
		}
	})
}
