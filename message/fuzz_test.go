package message

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

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
		res, err := Render(bytes.NewReader(raw), Options{Width: 40, MaxBodyBytes: 64 << 10})
		if err != nil {
			t.Fatalf("Render() error = %v", err)
		}
		assertRenderedSafe(t, res)
		for _, w := range res.Warnings {
			if strings.HasPrefix(w, "internal error") {
				t.Fatalf("Render() recovered a panic: %s", w)
			}
		}
	})
}

func FuzzParseHeader(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, raw []byte) {
		if _, err := ParseHeader(bytes.NewReader(raw)); err != nil {
			t.Fatalf("ParseHeader() error = %v", err)
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
