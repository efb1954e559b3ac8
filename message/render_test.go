package message

import (
	"encoding/base64"
	"errors"
	"fmt"
	"strings"
	"testing"
	"testing/iotest"

	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/charmap"
	"golang.org/x/text/encoding/japanese"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/traditionalchinese"
	"golang.org/x/text/encoding/unicode"
)

const alternative = `From: Alice <alice@example.com>
To: Bob <bob@example.com>
Subject: Lunch
Date: Mon, 02 Jan 2006 15:04:05 +0000
MIME-Version: 1.0
Content-Type: multipart/alternative; boundary="b1"

--b1
Content-Type: text/html; charset=utf-8

<p>HTML version</p>
--b1
Content-Type: text/plain; charset=utf-8

Plain version
--b1--
`

func TestRenderPicksPlainAlternative(t *testing.T) {
	res := render(t, crlf(alternative), Options{})
	if res.Body != "Plain version\n" {
		t.Errorf("Body = %q, want %q", res.Body, "Plain version\n")
	}
	if len(res.Attachments) != 0 {
		t.Errorf("Attachments = %v, want none (the HTML alternative is not an attachment)", res.Attachments)
	}
	want := []Field{
		{Name: "From", Value: "Alice <alice@example.com>"}, {Name: "To", Value: "Bob <bob@example.com>"},
		{Name: "Date", Value: "Mon, 02 Jan 2006 15:04:05 +0000"}, {Name: "Subject", Value: "Lunch"},
	}
	if fmt.Sprint(res.Headers) != fmt.Sprint(want) {
		t.Errorf("Headers = %v, want %v", res.Headers, want)
	}
	s := res.String()
	if !strings.HasPrefix(s, "From: Alice <alice@example.com>\nTo: Bob <bob@example.com>\n") || !strings.Contains(s, "Subject: Lunch\n\nPlain version\n") {
		t.Errorf("String() = %q", s)
	}
}

func TestRenderHTML(t *testing.T) {
	raw := `Subject: html
Content-Type: text/html; charset=utf-8

<html><head><title>T</title><style>p{color:red}</style><script>alert("x")</script></head>
<body><p>First   paragraph
with <b>bold</b> text.</p><p>Second<br>line</p>
<ul><li>one</li><li>two <a href="https://example.com/a">link</a></li></ul>
<img src="https://tracker.example/pixel.gif" alt="logo">
<a href="javascript:evil()">js</a> <a href="mailto:x@example.com">mail</a>
<blockquote>quoted</blockquote>
</body></html>
`
	res := render(t, raw, Options{})
	mustContain(t, "Body", res.Body,
		"First paragraph with bold text.\n\nSecond\nline",
		"- one\n- two link[1]",
		"[logo]", "js mail[2]", "> quoted",
		"[1] https://example.com/a\n[2] mailto:x@example.com")
	mustNotContain(t, "Body", res.Body, "alert", "color:red", "tracker.example", "javascript", "<p>")
	if len(res.Links) != 2 || res.Links[0] != "https://example.com/a" {
		t.Errorf("Links = %q, want the two footnote URLs", res.Links)
	}
}

func TestRenderCharsets(t *testing.T) {
	text := map[string]string{
		"latin": "Grüße, façade, naïve",
		"koi8":  "Привет, мир",
		"ja":    "日本語のテスト",
		"zh":    "中文测试",
		"big5":  "中文測試",
	}
	tests := []struct {
		charset string
		enc     encoding.Encoding
		text    string
	}{
		{"iso-8859-1", charmap.ISO8859_1, text["latin"]},
		{"ISO-8859-15", charmap.ISO8859_15, text["latin"] + " €"},
		{"windows-1252", charmap.Windows1252, text["latin"] + " “quotes”"},
		{"windows-1251", charmap.Windows1251, text["koi8"]},
		{"koi8-r", charmap.KOI8R, text["koi8"]},
		{"iso-2022-jp", japanese.ISO2022JP, text["ja"]},
		{"shift_jis", japanese.ShiftJIS, text["ja"]},
		{"euc-jp", japanese.EUCJP, text["ja"]},
		{"gb18030", simplifiedchinese.GB18030, text["zh"]},
		{"gb2312", simplifiedchinese.HZGB2312, ""},
		{"big5", traditionalchinese.Big5, text["big5"]},
		{"utf-16", unicode.UTF16(unicode.BigEndian, unicode.UseBOM), text["ja"]},
	}
	for _, tt := range tests {
		if tt.text == "" {
			continue
		}
		t.Run(tt.charset, func(t *testing.T) {
			body, err := tt.enc.NewEncoder().String(tt.text)
			if err != nil {
				t.Fatal(err)
			}
			raw := "Subject: cs\r\nContent-Type: text/plain; charset=" + tt.charset +
				"\r\nContent-Transfer-Encoding: base64\r\n\r\n" + base64.StdEncoding.EncodeToString([]byte(body)) + "\r\n"
			res := render(t, raw, Options{})
			if strings.TrimSpace(res.Body) != tt.text {
				t.Errorf("Body = %q, want %q", res.Body, tt.text)
			}
			if len(res.Warnings) != 0 {
				t.Errorf("Warnings = %q, want none", res.Warnings)
			}
		})
	}
}

func TestRenderUnknownCharset(t *testing.T) {
	res := render(t, "Content-Type: text/plain; charset=x-foo\r\n\r\nplain words and caf\xe9\r\n", Options{})
	mustContain(t, "Body", res.Body, "plain words and café")
	mustContain(t, "Warnings", strings.Join(res.Warnings, "|"), "unknown charset x-foo")
}

func TestRenderEncodedHeadersAndParams(t *testing.T) {
	raw := `From: =?ISO-8859-1?Q?Andr=E9?= Pirard <andre@example.com>
To: "=?UTF-8?Q?Miros=C5=82aw?=" <m@example.com>
Subject: =?utf-8?B?8J+RiyBow6lsbG8=?= =?iso-8859-1?q?_w=F6rld?=
Content-Type: multipart/mixed; boundary=XX

--XX
Content-Type: text/plain

see attachment
--XX
Content-Type: application/pdf
Content-Disposition: attachment; filename*0*=utf-8''r%C3%A9sum; filename*1*=%C3%A9.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQK
--XX
Content-Type: application/octet-stream; name="=?utf-8?Q?d=C3=A9j=C3=A0.bin?="

data
--XX--
`
	res := render(t, crlf(raw), Options{})
	if got := header(res, "From"); got != "André Pirard <andre@example.com>" {
		t.Errorf("From = %q", got)
	}
	if got := header(res, "To"); got != "Mirosław <m@example.com>" {
		t.Errorf("To = %q", got)
	}
	if got := header(res, "Subject"); got != "👋 héllo wörld" {
		t.Errorf("Subject = %q", got)
	}
	if len(res.Attachments) != 2 {
		t.Fatalf("Attachments = %v, want 2", res.Attachments)
	}
	want := Attachment{Index: 2, Name: "résumé.pdf", ContentType: "application/pdf", Size: 9}
	if res.Attachments[0] != want {
		t.Errorf("Attachments[0] = %+v, want %+v", res.Attachments[0], want)
	}
	if res.Attachments[1].Name != "déjà.bin" || res.Attachments[1].Index != 3 {
		t.Errorf("Attachments[1] = %+v, want déjà.bin as part 3", res.Attachments[1])
	}
	mustContain(t, "String()", res.String(), "\nAttachments:\n[2] résumé.pdf  application/pdf  9 B\n[3] déjà.bin")
}

func TestRenderFlowed(t *testing.T) {
	raw := "Content-Type: text/plain; charset=utf-8; format=flowed\r\n\r\n" +
		"This is a long \r\nparagraph that was \r\nwrapped.\r\n>> quoted \r\n>> text\r\n From stuffed\r\n-- \r\nsig\r\n"
	res := render(t, raw, Options{})
	want := "This is a long paragraph that was wrapped.\n>> quoted text\nFrom stuffed\n-- \nsig\n"
	if res.Body != want {
		t.Errorf("Body = %q, want %q", res.Body, want)
	}
	raw = "Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\nver \r\ny long\r\n"
	if res := render(t, raw, Options{}); res.Body != "very long\n" {
		t.Errorf("delsp Body = %q, want %q", res.Body, "very long\n")
	}
}

func TestRenderTransferEncodingsTolerant(t *testing.T) {
	tests := []struct {
		name, cte, body, want string
	}{
		{"qp soft breaks", "quoted-printable", "caf=C3=A9 is a long=\r\n line", "café is a long line"},
		{"qp bad escapes", "quoted-printable", "a=ZZb =\r\nc 100=", "a=ZZb c 100"},
		{"qp lower hex and padding", "Quoted-Printable", "x=c3=a9 =  \r\ny", "xé y"},
		{"base64 with garbage", "base64", "aGVsbG8g\r\n!!d29y\r\nbGQ", "hello world"},
		{"base64 dangling char", "base64", "aGVsbG8=Z", "hello"},
		{"unknown encoding", "x-gzip64", "as is", "as is"},
		{"uuencode without a begin line", "x-uuencode", "as is", "as is"},
		{"sloppy name", "quoted-printable;", "a=3Db", "a=b"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: " + tt.cte + "\r\n\r\n" + tt.body
			res := render(t, raw, Options{})
			if strings.TrimSpace(res.Body) != tt.want {
				t.Errorf("Body = %q, want %q", res.Body, tt.want)
			}
		})
	}
}

func TestRenderNestedMessage(t *testing.T) {
	raw := `From: a@example.com
Subject: Fwd: hi
Content-Type: multipart/mixed; boundary=o

--o
Content-Type: text/plain

See below.
--o
Content-Type: message/rfc822

From: Carol <carol@example.com>
Subject: hi
Content-Type: multipart/mixed; boundary=i

--i
Content-Type: text/plain

inner text
--i
Content-Type: image/png
Content-Disposition: attachment; filename=pic.png

PNG
--i--
--o--
`
	res := render(t, crlf(raw), Options{})
	mustContain(t, "Body", res.Body, "See below.\n\n[enclosed message]\n    From: Carol <carol@example.com>\n    Subject: hi\n\ninner text")
	if len(res.Attachments) != 1 || res.Attachments[0].Name != "pic.png" || res.Attachments[0].Index != 3 {
		t.Errorf("Attachments = %+v, want pic.png as part 3", res.Attachments)
	}
}

func TestRenderHostileContent(t *testing.T) {
	raw := "From: \x1b]0;pwned\x07 <evil@example.com>\r\n" +
		"Subject: =?utf-8?q?=1B[2J_clear_=E2=80=AE_gnp.exe?=\r\n" +
		"Content-Type: multipart/mixed; boundary=b\r\n\r\n" +
		"--b\r\nContent-Type: text/plain\r\n\r\nbody \x1b]52;c;ZXZpbA==\x07 and \u009b31m and safe\rEVIL\r\n" +
		"--b\r\nContent-Type: application/octet-stream\r\nContent-Disposition: attachment; filename=\"../../\x1b[31mevil\u202e.sh\"\r\n\r\nx\r\n--b--\r\n"
	res := render(t, raw, Options{})
	mustContain(t, "Subject", header(res, "Subject"), "␛[2J clear")
	mustContain(t, "Body", res.Body, "␛]52;c;ZXZpbA==␇", "safe␍EVIL")
	if len(res.Attachments) != 1 || res.Attachments[0].Name != "[31mevil.sh" {
		t.Errorf("Attachments = %+v, want the name stripped to [31mevil.sh", res.Attachments)
	}
}

func TestRenderBrokenStructure(t *testing.T) {
	tests := []struct {
		name, raw, body, warning string
	}{
		{"no headers", "just some text\nand more\n", "just some text\nand more", ""},
		{"missing separator", "Subject: x\nbody line without blank\n", "body line without blank", "blank line"},
		{"no boundary param", "Content-Type: multipart/mixed\n\ntext anyway\n", "text anyway", "without boundary"},
		{"boundary never appears", "Content-Type: multipart/mixed; boundary=zz\n\nall text\n", "all text", "boundary not found"},
		{"no close boundary", "Content-Type: multipart/mixed; boundary=zz\n\n--zz\n\npart one\n", "part one", ""},
		{"bad content type", "Content-Type: garbage\n\nhello\n", "hello", "malformed Content-Type"},
		{"bom and mbox line", "\xef\xbb\xbfFrom someone Mon Jan 1\nSubject: s\n\nbody\n", "body", ""},
		{"empty", "", "", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := render(t, tt.raw, Options{})
			if strings.TrimSpace(res.Body) != tt.body {
				t.Errorf("Body = %q, want %q", res.Body, tt.body)
			}
			if tt.warning != "" {
				mustContain(t, "Warnings", strings.Join(res.Warnings, "|"), tt.warning)
			}
		})
	}
}

func TestRenderLimits(t *testing.T) {
	t.Run("body truncated", func(t *testing.T) {
		raw := "Content-Type: text/plain\r\n\r\n" + strings.Repeat("0123456789\r\n", 2000)
		res := render(t, raw, Options{MaxBodyBytes: 1000})
		if len(res.Body) > 1100 || !strings.HasSuffix(res.Body, "[truncated]\n") {
			t.Errorf("Body has %d bytes ending %q, want ~1000 ending in [truncated]", len(res.Body), res.Body[max(0, len(res.Body)-30):])
		}
		if len(res.Warnings) == 0 {
			t.Errorf("Warnings empty, want a truncation warning")
		}
	})
	t.Run("too many parts", func(t *testing.T) {
		var b strings.Builder
		b.WriteString("Content-Type: multipart/mixed; boundary=b\r\n\r\n")
		for i := 0; i < 10100; i++ {
			b.WriteString("--b\r\nContent-Type: application/x-y\r\n\r\nx\r\n")
		}
		b.WriteString("--b--\r\n")
		res := render(t, b.String(), Options{})
		if len(res.Attachments) >= 10000 || len(res.Attachments) < 9990 {
			t.Errorf("got %d attachments, want just under the 10000 part limit", len(res.Attachments))
		}
		mustContain(t, "Warnings", strings.Join(res.Warnings, "|"), "more than 10000 parts")
	})
	t.Run("deep nesting", func(t *testing.T) {
		var b strings.Builder
		for i := 0; i < 200; i++ {
			fmt.Fprintf(&b, "Content-Type: multipart/mixed; boundary=b%d\r\n\r\n--b%d\r\n", i, i)
		}
		b.WriteString("Content-Type: text/plain\r\n\r\ndeep\r\n")
		res := render(t, b.String(), Options{})
		mustContain(t, "Warnings", strings.Join(res.Warnings, "|"), "nesting deeper than 20")
	})
	t.Run("huge header line", func(t *testing.T) {
		raw := "Subject: " + strings.Repeat("A", 300<<10) + "\r\nTo: " + strings.Repeat("x@example.com, ", 20000) + "\r\n\r\nbody\r\n"
		res := render(t, raw, Options{})
		if n := len(header(res, "Subject")); n > 100<<10 || n < 90<<10 {
			t.Errorf("Subject has %d bytes, want it cut near 100 KB", n)
		}
		if strings.TrimSpace(res.Body) != "body" {
			t.Errorf("Body = %q, want %q", res.Body, "body")
		}
		mustContain(t, "Warnings", strings.Join(res.Warnings, "|"), "over 100 KB")
	})
}

func TestRenderWraps(t *testing.T) {
	raw := "Content-Type: text/plain\r\n\r\n" + strings.Repeat("word ", 40) + "\r\n> " + strings.Repeat("quoted ", 20) + "\r\n"
	res := render(t, raw, Options{Width: 30})
	for _, line := range strings.Split(strings.TrimRight(res.Body, "\n"), "\n") {
		if len(line) > 30 {
			t.Errorf("line %q longer than 30", line)
		}
	}
	mustContain(t, "Body", res.Body, "\n> quoted quoted")
}

func TestRenderUnreadable(t *testing.T) {
	boom := errors.New("disk on fire")
	if _, err := Render(iotest.ErrReader(boom), Options{}); !errors.Is(err, boom) {
		t.Errorf("Render(unreadable) error = %v, want %v", err, boom)
	}
	if _, err := ParseHeader(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("ParseHeader(unreadable) error = %v, want %v", err, boom)
	}
	if _, err := BodyText(iotest.ErrReader(boom)); !errors.Is(err, boom) {
		t.Errorf("BodyText(unreadable) error = %v, want %v", err, boom)
	}
}

func TestBodyText(t *testing.T) {
	got, err := BodyText(strings.NewReader(crlf(alternative)))
	if err != nil || got != "Plain version\n" {
		t.Errorf("BodyText() = %q, %v, want %q", got, err, "Plain version\n")
	}
}

func TestRenderLargeOrHostileHTML(t *testing.T) {
	big := "<html><head><style>x{}</style></head><body><p>Start <a href=\"https://example.com/x\">here</a></p>" +
		strings.Repeat("<p>filler text</p>", 20000) + "<ul><li>end</li></ul><script>evil()</script></body></html>"
	deep := strings.Repeat("<b><i>", 100000) + "deep text"
	for name, src := range map[string]string{"big": big, "deep": deep} {
		t.Run(name, func(t *testing.T) {
			res := render(t, "Content-Type: text/html\r\n\r\n"+src, Options{})
			mustNotContain(t, "Body", res.Body, "<b>", "<p>", "evil", "x{}")
			if name == "big" {
				mustContain(t, "Body", res.Body, "Start here[1]\n\nfiller text\n\nfiller text", "- end", "[1] https://example.com/x")
			} else {
				mustContain(t, "Body", res.Body, "deep text")
			}
		})
	}
}
