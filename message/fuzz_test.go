package message

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	netmail "net/mail"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// fuzzSeeds adds hostile constructed messages and a sample of the corpus.
func fuzzSeeds(f *testing.F) {
	for _, s := range []string{
		"", "\r\n", "Subject: x\r\n\r\nbody",
		crlf(alternative),
		attachmentMessage("../../etc/passwd"),
		"Content-Type: multipart/mixed; boundary=\"\"\r\n\r\n--\r\n",
		"Content-Type: multipart/alternative; boundary=a\r\n\r\n--a\r\nContent-Type: message/rfc822\r\n\r\nContent-Type: multipart/digest; boundary=a\r\n\r\n--a\r\n\r\n--a--\r\n",
		"Content-Type: text/html\r\n\r\n<ul><li><a href=https://x>\x1b]8;;x\x07</a><blockquote><pre>\r\n\x9b</pre>",
		"Content-Type: text/plain; charset=utf-16\r\nContent-Transfer-Encoding: base64\r\n\r\n//5oAGkA",
		"Content-Type: text/plain; format=flowed; delsp=yes\r\n\r\n> > a \r\n>b \r\n \r\n",
		"Subject: =?utf-8?q?=1B]52;c;x=07?= =?x-foo?b?////?=\r\nFrom: <<@>>, \"\r\n\r\n",
		"Content-Type: text/plain; charset*0*=utf-8''a; charset*1=b\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n=\r\n=Z=",
		" leading continuation\r\nX: y\r\n\tmore\r\n\r\n",
		"Content-Type: message/rfc822\r\nContent-Transfer-Encoding: base64\r\n\r\nU3ViamVjdDogaGkNCg0KYm9keQ==",
	} {
		f.Add([]byte(s))
	}
	files, err := corpusSample(40)
	if err != nil {
		return
	}
	for _, path := range files {
		if raw, err := os.ReadFile(path); err == nil && len(raw) < 64<<10 {
			f.Add(raw)
		}
	}
}

// corpusSample returns about n corpus files spread over the corpus, or an
// error when the corpus is absent.
func corpusSample(n int) ([]string, error) {
	files, err := listCorpus()
	if err != nil {
		return nil, err
	}
	step := len(files)/n + 1
	var out []string
	for i := 0; i < len(files); i += step {
		out = append(out, files[i])
	}
	return out, nil
}

func FuzzRender(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		// AllHeaders: the displayed fields and every other one.
		res, err := Render(bytes.NewReader(raw), Options{Width: 40, MaxBodyBytes: 64 << 10, AllHeaders: true})
		if err != nil {
			t.Fatalf("Render() error = %v", err)
		}
		assertRenderedSafe(t, res)
		for _, w := range res.Warnings {
			if strings.HasPrefix(w, "internal error") {
				t.Fatalf("Render() recovered a panic: %s", w)
			}
		}
		// Everything is sanitized already: a second pass changes nothing.
		if sanitize.Text(res.Body) != res.Body {
			t.Fatalf("Body is not stable under sanitize.Text: %q", res.Body)
		}
		for _, h := range res.Headers {
			if sanitize.Line(h.Value) != h.Value || sanitize.Line(h.Name) != h.Name {
				t.Fatalf("header %q is not stable under sanitize.Line: %q", h.Name, h.Value)
			}
		}
		assertPartsSafe(t, res.Parts, 0)
		for _, a := range res.Attachments {
			if a.Size < 0 || a.Index <= 0 || a.Name == "" {
				t.Fatalf("attachment %+v", a)
			}
		}
		if _, err := json.Marshal(res.Headers); err != nil {
			t.Fatalf("headers do not encode as JSON: %v", err)
		}
	})
}

func assertPartsSafe(t *testing.T, p *Part, depth int) {
	t.Helper()
	if p == nil {
		return
	}
	for what, s := range map[string]string{"type": p.Type, "charset": p.Charset, "disposition": p.Disposition, "filename": p.Filename} {
		assertTerminalSafe(t, "part "+what, s, false)
	}
	if p.Size < 0 {
		t.Fatalf("part size %d", p.Size)
	}
	for _, c := range p.Children {
		assertPartsSafe(t, c, depth+1)
	}
}

// assertDecodedField fails t when a field ParseHeader decoded is not valid
// UTF-8 or holds a C0 or C1 control.
func assertDecodedField(t *testing.T, what, s string) {
	t.Helper()
	if !utf8.ValidString(s) {
		t.Fatalf("%s = %q is not valid UTF-8", what, s)
	}
	for _, r := range s {
		if r < 0x20 || (r >= 0x7f && r <= 0x9f) {
			t.Fatalf("%s = %q holds control %U", what, s, r)
		}
	}
}

func FuzzParseHeader(f *testing.F) {
	fuzzSeeds(f)
	for _, s := range []string{
		"Subject: =?utf-8?q?a=00=1B=9B=C2=9Bb?=\r\nFrom: =?utf-8?b?//4=?= <a\x01@b>\r\n\r\n",
		"Date: Wed, 15 Jan 92 16:24:40 EST\r\nMessage-ID: <a @ b>\r\n\r\n",
		"   \r\nSubject : x\r\n\t\r\n y\r\nFrom: Pete(A \\) c) <pete(x)@silly.test(y)>\r\n\r\n",
		"To: =?iso-8859-2*sl?Q?Doma=e8e?= <x@y>, Stefanie s@example.fr\r\n\r\n",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		h, err := ParseHeader(bytes.NewReader(raw))
		if err != nil {
			t.Fatalf("ParseHeader() error = %v", err)
		}
		assertDecodedField(t, "Subject", h.Subject)
		assertDecodedField(t, "Message-ID", h.MessageID)
		assertDecodedField(t, "In-Reply-To", h.InReplyTo)
		for _, id := range h.References {
			assertDecodedField(t, "References", id)
		}
		for _, list := range [][]mail.Address{h.From, h.To, h.Cc, h.ReplyTo} {
			for _, a := range list {
				assertDecodedField(t, "address name", a.Name)
				assertDecodedField(t, "address", a.Addr)
			}
		}

		// A second parse of the fields written back gives them again.
		var again strings.Builder
		again.WriteString("Subject: =?utf-8?b?" + base64.StdEncoding.EncodeToString([]byte(h.Subject)) + "?=\r\n")
		if !h.Date.IsZero() {
			again.WriteString("Date: " + h.Date.Format(time.RFC1123Z) + "\r\n")
		}
		if h.MessageID != "" && !strings.ContainsAny(h.MessageID, "<>()\\\"") {
			again.WriteString("Message-ID: <" + h.MessageID + ">\r\n")
		}
		var simple []mail.Address
		for _, a := range h.From {
			if _, err := netmail.ParseAddress("<" + a.Addr + ">"); err == nil && !strings.Contains(a.Name, "=?") && strings.TrimSpace(a.Name) == a.Name {
				simple = append(simple, a)
			}
		}
		if len(simple) > 0 {
			var list []string
			for _, a := range simple {
				list = append(list, (&netmail.Address{Name: a.Name, Address: a.Addr}).String())
			}
			again.WriteString("From: " + strings.Join(list, ", ") + "\r\n")
		}
		again.WriteString("\r\n")
		h2, err := ParseHeader(strings.NewReader(again.String()))
		if err != nil {
			t.Fatal(err)
		}
		if h2.Subject != h.Subject {
			t.Fatalf("Subject %q parsed again = %q", h.Subject, h2.Subject)
		}
		if !h2.Date.Equal(h.Date) {
			t.Fatalf("Date %v parsed again = %v", h.Date, h2.Date)
		}
		if strings.Contains(again.String(), "Message-ID:") && h2.MessageID != h.MessageID {
			t.Fatalf("Message-ID %q parsed again = %q", h.MessageID, h2.MessageID)
		}
		if len(simple) > 0 {
			if len(h2.From) != len(simple) {
				t.Fatalf("From %v parsed again = %v", simple, h2.From)
			}
			for i := range simple {
				if h2.From[i] != simple[i] {
					t.Fatalf("From %#v parsed again = %#v", simple[i], h2.From[i])
				}
			}
		}
	})
}

// htmlSeeds returns the HTML parts of a sample of the corpus.
func htmlSeeds() []string {
	files, err := corpusSample(60)
	if err != nil {
		return nil
	}
	var out []string
	for _, path := range files {
		raw, err := os.ReadFile(path)
		if err != nil || len(raw) > 256<<10 {
			continue
		}
		w := newWalker(0)
		root := w.parseMessage(bytes.NewReader(raw), 0)
		var visit func(n *node)
		visit = func(n *node) {
			if n == nil {
				return
			}
			if n.mediaType == "text/html" && len(n.text) > 0 {
				out = append(out, decodeCharset(n.text, n.params["charset"], func(string) {}))
			}
			for _, c := range n.children {
				visit(c)
			}
			visit(n.inner)
		}
		visit(root)
	}
	return out
}

func FuzzHTMLToText(f *testing.F) {
	for _, s := range []string{
		"", "<p>hi</p>", "<a href='javascript:alert(1)'>x</a><img src=http://tracker/x.gif>",
		"<table><tr><td>a<td>b</table><ol><li>one<li>two</ol>",
		"<pre>\x1b[2J\r\x08</pre><style>p{}</style><script>x</script>",
		strings.Repeat("<div>", 5000) + "deep" + strings.Repeat("</div>", 5000),
		"<a href=\"https://x/\x1b]8;;evil\x07\">link</a>",
	} {
		f.Add(s)
	}
	for _, s := range htmlSeeds() {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		var links []string
		out := htmlToText(src, &links)
		assertTerminalSafe(t, "sanitized HTML text", sanitize.Text(out), true)
		for _, l := range links {
			if strings.ContainsAny(l, "\r\n") {
				t.Fatalf("link footnote with a line break: %q", l)
			}
		}
		if utf8.ValidString(src) && !utf8.ValidString(out) {
			t.Fatalf("htmlToText(%q) = %q is not valid UTF-8", src, out)
		}
		if strings.Contains(out, "\n\n\n") || strings.HasPrefix(out, "\n") {
			t.Fatalf("htmlToText(%q) = %q has runs of blank lines", src, out)
		}
		for _, line := range strings.Split(out, "\n") {
			if strings.TrimRight(line, " \t") != line {
				t.Fatalf("htmlToText(%q) has a line with trailing blanks: %q", src, line)
			}
		}
		// Every link the text points to has its footnote.
		for i := range links {
			if !strings.Contains(out, "["+strconv.Itoa(i+1)+"] ") {
				t.Fatalf("htmlToText(%q) = %q lacks footnote %d", src, out, i+1)
			}
		}
		// Plain words without markup come out as they are.
		if plainWords(src) {
			if got, want := strings.Join(strings.Fields(out), " "), strings.Join(strings.Fields(src), " "); got != want {
				t.Fatalf("htmlToText(%q) = %q, want the words %q", src, out, want)
			}
		}
	})
}

func FuzzDraftFromMessage(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		d, err := DraftFromMessage(raw)
		if err != nil {
			return
		}
		if _, err := d.BuildDraft(time.Unix(0, 0)); err != nil && strings.Contains(err.Error(), "internal") {
			t.Fatalf("BuildDraft() of a resumed draft = %v", err)
		}
	})
}

// plainWords reports whether s holds only ASCII letters, digits, spaces,
// newlines and simple punctuation: text an HTML parser keeps as it is.
func plainWords(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		ok := c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte(" \n.,;:!?-'()", c) >= 0
		if !ok {
			return false
		}
	}
	return true
}
