package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// runNoConfig runs a command line that needs no configuration.
func runNoConfig(t *testing.T, stdin string, args ...string) (string, error) {
	t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

const jsonSample = "From: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>\r\n" +
	"To: bob@example.com\r\n" +
	"Subject: \x1b]0;title\x07report\r\n" +
	"MIME-Version: 1.0\r\n" +
	"Content-Type: multipart/mixed; boundary=outer\r\n\r\n" +
	"--outer\r\n" +
	"Content-Type: multipart/alternative; boundary=inner\r\n\r\n" +
	"--inner\r\nContent-Type: text/plain; charset=iso-8859-1\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\nGr=FC=DFe\r\n" +
	"--inner\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>Gr\xc3\xbc\xc3\x9fe</p>\r\n" +
	"--inner--\r\n" +
	"--outer\r\n" +
	"Content-Type: application/pdf\r\n" +
	"Content-Disposition: attachment; filename*=utf-8''..%2F..%2F%D0%BE%D1%82%D1%87%D1%91%D1%82.pdf\r\n" +
	"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n" +
	"--outer--\r\n"

func TestRenderJSON(t *testing.T) {
	path := filepath.Join(t.TempDir(), "m.eml")
	if err := os.WriteFile(path, []byte(jsonSample), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runNoConfig(t, "", "render", "--json", path)
	if err != nil {
		t.Fatal(err)
	}
	var got renderJSON
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("output is not JSON: %v\n%s", err, out)
	}
	if strings.ContainsAny(out, "\x1b\x07") {
		t.Errorf("JSON carries a raw control character: %q", out)
	}
	headers := map[string]string{}
	for _, h := range got.Headers {
		headers[h.Name] = h.Value
	}
	if headers["From"] != "Zoë <zoe@example.com>" || !strings.Contains(headers["Subject"], "report") || strings.Contains(headers["Subject"], "\x1b") {
		t.Errorf("headers = %+v", got.Headers)
	}
	if got.Text != "Grüße\n" {
		t.Errorf("text = %q, want the plain alternative", got.Text)
	}
	p := got.Parts
	if p == nil || p.Type != "multipart/mixed" || len(p.Children) != 2 {
		t.Fatalf("parts = %+v", p)
	}
	alt, pdf := p.Children[0], p.Children[1]
	if alt.Type != "multipart/alternative" || len(alt.Children) != 2 || alt.Children[0].Charset != "iso-8859-1" ||
		alt.Children[1].Type != "text/html" || alt.Children[0].Index != 1 {
		t.Errorf("alternative = %+v", alt)
	}
	if pdf.Type != "application/pdf" || pdf.Disposition != "attachment" || pdf.Size != 9 || pdf.Index != 3 ||
		!strings.Contains(pdf.Filename, "отчёт.pdf") {
		t.Errorf("pdf part = %+v", pdf)
	}
	if p.Size != alt.Size+pdf.Size {
		t.Errorf("container size %d, want the sum of its children", p.Size)
	}
	if len(got.Attachments) != 1 || got.Attachments[0] != (attachmentJSON{Index: 3, Name: "отчёт.pdf", ContentType: "application/pdf", Size: 9}) {
		t.Errorf("attachments = %+v", got.Attachments)
	}
}

func TestRenderJSONNeverFails(t *testing.T) {
	for _, input := range []string{"", "\x00\xff\xfe", "Content-Type: multipart/mixed\r\n\r\n--", strings.Repeat("X: y\r\n", 1000)} {
		out, err := runNoConfig(t, input, "render", "--json", "-")
		if err != nil {
			t.Fatalf("render --json of %q: %v", input[:min(len(input), 20)], err)
		}
		var got renderJSON
		if err := json.Unmarshal([]byte(out), &got); err != nil || got.Headers == nil || got.Attachments == nil {
			t.Errorf("render --json of %q = %s (%v)", input[:min(len(input), 20)], out, err)
		}
	}
}
