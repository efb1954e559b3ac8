package message

import (
	"bytes"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// forwardSource is a message with text and one attachment.
var forwardSource = crlf(`From: =?utf-8?q?Zo=C3=AB?= <zoe@example.com>
To: bob@example.com
Cc: carol@example.com
Subject: Fwd: report
Date: Mon, 02 Mar 2026 10:00:00 +0000
Message-ID: <orig@example.com>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary=b

--b
Content-Type: text/plain; charset=iso-8859-1
Content-Transfer-Encoding: quoted-printable

Gr=FC=DFe, here is the report.
--b
Content-Type: application/pdf; name=report.pdf
Content-Disposition: attachment; filename=report.pdf
Content-Transfer-Encoding: base64

JVBERi0xLjQKAAEC/w==
--b--
`)

func TestForwardDraft(t *testing.T) {
	raw := []byte(forwardSource)
	orig, err := ParseHeader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	pdf := []byte("%PDF-1.4\n\x00\x01\x02\xff")
	tests := []struct {
		name         string
		asAttachment bool
		bodyWants    []string
		attName      string
		attType      string
		attData      []byte
	}{
		{"inline", false, []string{"---------- Forwarded message ----------", "From: Zoë <zoe@example.com>",
			"Date: Mon, 02 Mar 2026 10:00:00 +0000", "Subject: Fwd: report", "To: bob@example.com", "Cc: carol@example.com",
			"Grüße, here is the report."}, "report.pdf", "application/pdf", pdf},
		{"as attachment", true, nil, "report.eml", "message/rfc822", raw},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ForwardDraft(orig, raw, "me@example.org", tt.asAttachment)
			if d.Subject != "Fwd: report" || d.From != "me@example.org" || len(d.To) != 0 || d.InReplyTo != "" {
				t.Errorf("draft = %+v", d)
			}
			mustContain(t, "Body", d.Body, tt.bodyWants...)
			if len(d.Attachments) != 1 {
				t.Fatalf("Attachments = %d, want 1", len(d.Attachments))
			}
			a := d.Attachments[0]
			if a.Name != tt.attName || a.ContentType != tt.attType || !bytes.Equal(a.Data, tt.attData) {
				t.Errorf("attachment = %q %q %q", a.Name, a.ContentType, a.Data)
			}
			d.To = []string{"dave@example.com"}
			built, err := d.Build(buildTime)
			if err != nil {
				t.Fatal(err)
			}
			res := render(t, string(built), Options{})
			if tt.asAttachment {
				mustContain(t, "rendered forward", res.Body, "[enclosed message]", "Subject: Fwd: report", "Grüße, here is the report.")
				if len(res.Attachments) != 1 || res.Attachments[0].Name != "report.pdf" {
					t.Errorf("attachments of the enclosed message = %+v", res.Attachments)
				}
			} else {
				mustContain(t, "rendered forward", res.Body, "Grüße, here is the report.")
			}
		})
	}
}

func TestDraftRoundTripThroughBuildDraft(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "notes.txt")
	if err := os.WriteFile(path, []byte("line 1\nline 2\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := Draft{
		From: "Zoë <zoe@example.org>", To: []string{"Bob <bob@example.com>"}, Cc: []string{"carol@example.com"},
		Bcc: []string{"secret@example.com"}, Subject: "Entwurf für später",
		Body:      "Hallo,\n\n" + strings.Repeat("lang ", 40) + "\n",
		InReplyTo: "parent@example.com", References: []string{"root@example.com", "parent@example.com"},
		Attachments: []DraftAttachment{
			{Path: path},
			{Name: "naïve résumé.bin", ContentType: "application/octet-stream", Data: []byte{0, 1, 2, 3, 255}},
			{Name: "quoted.eml", ContentType: "message/rfc822", Data: []byte("Subject: inner\r\n\r\ninner body\r\n")},
		},
	}
	raw, err := d.BuildDraft(buildTime)
	if err != nil {
		t.Fatal(err)
	}
	got, err := DraftFromMessage(raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.From != d.From || got.Subject != d.Subject || got.Body != d.Body || got.InReplyTo != d.InReplyTo {
		t.Errorf("resumed = %+v\nwant %+v", got, d)
	}
	for _, c := range []struct{ name, got, want string }{
		{"To", strings.Join(got.To, ","), strings.Join(d.To, ",")},
		{"Cc", strings.Join(got.Cc, ","), "carol@example.com"},
		{"Bcc", strings.Join(got.Bcc, ","), "secret@example.com"},
		{"References", strings.Join(got.References, ","), "root@example.com,parent@example.com"},
	} {
		if c.got != c.want {
			t.Errorf("%s = %q, want %q", c.name, c.got, c.want)
		}
	}
	want := []DraftAttachment{
		{Name: "notes.txt", ContentType: "text/plain", Data: []byte("line 1\nline 2\n")},
		{Name: "naïve résumé.bin", ContentType: "application/octet-stream", Data: []byte{0, 1, 2, 3, 255}},
		{Name: "quoted.eml", ContentType: "message/rfc822", Data: []byte("Subject: inner\r\n\r\ninner body\r\n")},
	}
	if len(got.Attachments) != len(want) {
		t.Fatalf("Attachments = %+v", got.Attachments)
	}
	for i, w := range want {
		a := got.Attachments[i]
		if a.Name != w.Name || a.ContentType != w.ContentType || !bytes.Equal(a.Data, w.Data) {
			t.Errorf("attachment %d = %q %q %q, want %q %q %q", i, a.Name, a.ContentType, a.Data, w.Name, w.ContentType, w.Data)
		}
	}
	// A draft needs neither recipients nor From; Build does.
	empty := Draft{Subject: "idea"}
	if _, err := empty.BuildDraft(buildTime); err != nil {
		t.Errorf("BuildDraft() of an empty draft = %v", err)
	}
	if _, err := empty.Build(buildTime); err == nil {
		t.Errorf("Build() of an empty draft: no error")
	}
	if _, err := DraftFromMessage([]byte("Content-Type: multipart/mixed; boundary=x\r\n\r\n--x\r\nbroken")); err == nil {
		t.Log("broken multipart resumed best effort") // either outcome is fine; it must not panic
	}
}

func TestBuildAttachmentErrors(t *testing.T) {
	d := Draft{From: "a@example.com", To: []string{"b@example.com"},
		Attachments: []DraftAttachment{{Path: filepath.Join(t.TempDir(), "missing.pdf")}}}
	_, err := d.Build(buildTime)
	if !errors.Is(err, fs.ErrNotExist) || !strings.Contains(err.Error(), "missing.pdf") {
		t.Errorf("Build() with a missing file = %v, want a not-exist error naming it", err)
	}
	d.Attachments = []DraftAttachment{{Name: "x", ContentType: "not a type", Data: []byte("x")}}
	if _, err := d.Build(buildTime); err == nil {
		t.Errorf("Build() with a bad content type: no error")
	}
}

func TestEditorTextAttach(t *testing.T) {
	text := "To: b@example.com\nSubject: files\nAttach: /tmp/a b.pdf\nattach: ~/x.txt\n\nbody\n"
	d, err := ParseEditorText(text)
	if err != nil {
		t.Fatal(err)
	}
	home, _ := os.UserHomeDir()
	if len(d.Attachments) != 2 || d.Attachments[0].Path != "/tmp/a b.pdf" || d.Attachments[1].Path != filepath.Join(home, "x.txt") {
		t.Errorf("Attachments = %+v", d.Attachments)
	}
	if out := d.EditorText(); !strings.Contains(out, "Attach: /tmp/a b.pdf\nAttach: "+filepath.Join(home, "x.txt")+"\n\nbody") {
		t.Errorf("EditorText() = %q", out)
	}
	fwd := Draft{Attachments: []DraftAttachment{{Name: "f.eml", Data: []byte("x")}}}
	if strings.Contains(fwd.EditorText(), "Attach:") {
		t.Errorf("data attachment shown as a path")
	}
	merged := fwd.KeepDataAttachments(d)
	if len(merged.Attachments) != 3 || merged.Attachments[0].Name != "f.eml" {
		t.Errorf("KeepDataAttachments() = %+v", merged.Attachments)
	}
}

func TestRFC2231Param(t *testing.T) {
	long := strings.Repeat("ü", 50) + ".txt"
	for _, name := range []string{"plain.txt", "with space.txt", "Фото.jpg", long, `quote"and;semi.txt`} {
		v := "attachment; " + rfc2231Param("filename", name)
		for _, line := range strings.Split(v, "; ") {
			if len(line) > 78 {
				t.Errorf("param piece %q longer than 78", line)
			}
		}
		_, params := parseParams(v)
		if params["filename"] != name {
			t.Errorf("parse(%q) = %q, want %q", v, params["filename"], name)
		}
	}
}
