package message

import (
	"os"
	"strings"
	"testing"
)

// uuData is "hello uuencoded world\n" three times, uuencoded.
const uuData = "M:&5L;&\\@=75E;F-O9&5D('=O<FQD\"FAE;&QO('5U96YC;V1E9\"!W;W)L9 IH\n" +
	"596QL;R!U=65N8V]D960@=V]R;&0*\n`\nend\n"

var uuPlain = strings.Repeat("hello uuencoded world\n", 3)

func TestUUTransferEncoding(t *testing.T) {
	raw := crlf("From: a@example.org\nSubject: uu\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nsee the file\n" +
		"--b\nContent-Type: application/octet-stream\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 hello.dat\n" + uuData + "--b--\n")
	res := render(t, raw, Options{})
	if len(res.Attachments) != 1 || res.Attachments[0].Name != "hello.dat" || res.Attachments[0].Size != int64(len(uuPlain)) {
		t.Fatalf("Attachments = %+v, want hello.dat of %d bytes", res.Attachments, len(uuPlain))
	}
	path, err := SaveAttachment(strings.NewReader(raw), res.Attachments[0].Index, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != uuPlain {
		t.Errorf("saved %q, want %q", got, uuPlain)
	}
}

func TestUUBlockInPlainText(t *testing.T) {
	raw := crlf("From: a@example.org\nSubject: uu in text\n\nHere it is:\n\nbegin 644 hello.txt\n" + uuData + "\nBye.\n")
	res := render(t, raw, Options{})
	mustContain(t, "Body", res.Body, "Here it is:", "[uuencoded file: hello.txt]", "Bye.")
	mustNotContain(t, "Body", res.Body, "M:&5L")
	if len(res.Attachments) != 1 || res.Attachments[0].Name != "hello.txt" || res.Attachments[0].ContentType != "text/plain" {
		t.Fatalf("Attachments = %+v, want hello.txt", res.Attachments)
	}
	path, err := SaveAttachment(strings.NewReader(raw), res.Attachments[0].Index, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != uuPlain {
		t.Errorf("saved %q, want %q", got, uuPlain)
	}
}

func TestUUBlockWithoutEndKept(t *testing.T) {
	raw := crlf("Subject: not uu\n\nbegin 644 this is prose\nand no end line\n")
	res := render(t, raw, Options{})
	mustContain(t, "Body", res.Body, "begin 644 this is prose")
	if len(res.Attachments) != 0 {
		t.Errorf("Attachments = %+v, want none", res.Attachments)
	}
}

func TestUUCorpus(t *testing.T) {
	res := render(t, corpusMessage(t, "jwz-mailcore2/35"), Options{})
	if len(res.Attachments) != 1 || res.Attachments[0].Name != "ind_111.jpg" || res.Attachments[0].Size < 5000 {
		t.Fatalf("Attachments = %+v, want ind_111.jpg", res.Attachments)
	}
	path, err := SaveAttachment(strings.NewReader(corpusMessage(t, "jwz-mailcore2/35")), res.Attachments[0].Index, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); len(got) < 3 || string(got[:3]) != "\xff\xd8\xff" {
		t.Errorf("saved file does not start like a JPEG: %q", got[:min(len(got), 8)])
	}
}

func TestTextAttachmentsListed(t *testing.T) {
	raw := crlf("From: a@example.org\nSubject: notes\nContent-Type: multipart/mixed; boundary=b\n\n--b\nContent-Type: text/plain\n\nthe body\n" +
		"--b\nContent-Type: text/plain; name=notes.txt\n\nthe notes\n" +
		"--b\nContent-Type: text/plain\nContent-Disposition: attachment\n\nthe log\n" +
		"--b\nContent-Type: text/csv\nContent-Disposition: attachment; filename=data.csv\n\na,b\n--b--\n")
	res := render(t, raw, Options{})
	mustContain(t, "Body", res.Body, "the body", "the notes", "the log", "[attachment 2: notes.txt]")
	mustNotContain(t, "Body", res.Body, "a,b")
	var names []string
	for _, a := range res.Attachments {
		names = append(names, a.Name)
	}
	if got := strings.Join(names, " "); got != "notes.txt part-3.txt data.csv" {
		t.Errorf("Attachments = %q, want notes.txt part-3.txt data.csv", got)
	}
	path, err := SaveAttachment(strings.NewReader(raw), 2, t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); string(got) != "the notes" {
		t.Errorf("saved %q, want %q", got, "the notes")
	}
}
