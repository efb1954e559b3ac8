package message

import (
	"bytes"
	"errors"
	"regexp"
	"strings"
	"testing"
	"time"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"

	"github.com/posta-mail/posta/mail"
)

var buildTime = time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)

func TestDraftBuild(t *testing.T) {
	d := Draft{
		From:       "Zoë Example <zoe@example.org>",
		To:         []string{"Bob <bob@example.com>", "carol@example.com, dave@example.com"},
		Cc:         []string{"Ève <eve@example.net>"},
		Bcc:        []string{"secret@example.com"},
		Subject:    "Grüße\r\nBcc: injected@example.com",
		Body:       "Hallo Bob,\nschöne Grüße.\n" + strings.Repeat("long ", 30) + "\n",
		InReplyTo:  "<parent@example.com>",
		References: []string{"root@example.com", "parent@example.com"},
	}
	raw, err := d.Build(buildTime)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(bytes.ReplaceAll(raw, []byte("\r\n"), nil), []byte("\n")) {
		t.Errorf("Build() has bare LF line endings")
	}
	if bytes.Contains(raw, []byte("secret@example.com")) || bytes.Contains(raw, []byte("\r\nBcc:")) {
		t.Errorf("Build() leaks Bcc:\n%s", raw)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Errorf("line longer than 998 bytes")
		}
		for _, c := range []byte(line) {
			if c >= 0x80 {
				t.Fatalf("Build() has 8-bit byte in line %q", line)
			}
		}
	}
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	h := gomail.Header{Header: e.Header}
	if subj, _ := h.Subject(); subj != "Grüße Bcc: injected@example.com" {
		t.Errorf("Subject = %q, want the line break folded away", subj)
	}
	if from, _ := h.AddressList("From"); len(from) != 1 || from[0].Name != "Zoë Example" {
		t.Errorf("From = %v", from)
	}
	if to, _ := h.AddressList("To"); len(to) != 3 {
		t.Errorf("To = %v, want 3 addresses", to)
	}
	if date, _ := h.Date(); !date.Equal(buildTime) {
		t.Errorf("Date = %v, want %v", date, buildTime)
	}
	id, _ := h.MessageID()
	if !regexp.MustCompile(`^[a-z2-7]{26}@example\.org$`).MatchString(id) {
		t.Errorf("Message-ID = %q, want random@example.org", id)
	}
	if irt, _ := h.MsgIDList("In-Reply-To"); len(irt) != 1 || irt[0] != "parent@example.com" {
		t.Errorf("In-Reply-To = %q", irt)
	}
	if refs, _ := h.MsgIDList("References"); len(refs) != 2 {
		t.Errorf("References = %q", refs)
	}
	if h.Get("Mime-Version") != "1.0" || h.Get("Content-Transfer-Encoding") != "quoted-printable" {
		t.Errorf("MIME-Version %q, CTE %q", h.Get("Mime-Version"), h.Get("Content-Transfer-Encoding"))
	}
	if ct, params, _ := h.ContentType(); ct != "text/plain" || params["charset"] != "utf-8" {
		t.Errorf("Content-Type = %s %v", ct, params)
	}
	var body bytes.Buffer
	body.ReadFrom(e.Body)
	if want := strings.ReplaceAll(d.Body, "\n", "\r\n"); body.String() != want {
		t.Errorf("decoded body = %q, want %q", body.String(), want)
	}

	d2, err := Draft{From: "a@example.com", To: []string{"b@example.com"}, Body: "plain ascii"}.Build(buildTime)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(d2, []byte("Content-Transfer-Encoding: 7bit")) || !bytes.HasSuffix(d2, []byte("\r\n\r\nplain ascii")) {
		t.Errorf("ASCII draft:\n%s", d2)
	}
}

func TestDraftBuildErrors(t *testing.T) {
	if _, err := (Draft{From: "a@example.com"}).Build(buildTime); !errors.Is(err, ErrNoRecipients) {
		t.Errorf("no recipients: error = %v, want ErrNoRecipients", err)
	}
	if _, err := (Draft{From: "not an address", To: []string{"b@example.com"}}).Build(buildTime); err == nil {
		t.Errorf("bad From: no error")
	}
	if _, err := (Draft{From: "a@example.com", To: []string{"b@example.com\r\nBcc: x@y"}}).Build(buildTime); err == nil {
		t.Errorf("line break in To: no error")
	}
}

func TestRecipients(t *testing.T) {
	d := Draft{
		To:  []string{"Bob <bob@example.com>", "carol@example.com, Dave <dave@example.com>"},
		Cc:  []string{"BOB@example.com"},
		Bcc: []string{"eve@example.com", "garbage <<"},
	}
	got := strings.Join(d.Recipients(), " ")
	if want := "bob@example.com carol@example.com dave@example.com eve@example.com"; got != want {
		t.Errorf("Recipients() = %q, want %q", got, want)
	}
}

func TestReplyDraft(t *testing.T) {
	orig := mail.Header{
		MessageID:  "m3@example.com",
		References: []string{"m1@example.com", "m2@example.com"},
		Subject:    "Re: RE: plans",
		From:       []mail.Address{{Name: "Alice, A.", Addr: "alice@example.com"}},
		To:         []mail.Address{{Addr: "me@example.org"}, {Addr: "bob@example.com"}},
		Cc:         []mail.Address{{Name: "Carol", Addr: "carol@example.com"}, {Addr: "alice@example.com"}},
		Date:       time.Date(2026, 1, 2, 3, 4, 0, 0, time.UTC),
	}
	d := ReplyDraft(orig, "line one\n\n> earlier\n", "Me <me@example.org>", nil, true)
	if d.Subject != "Re: plans" {
		t.Errorf("Subject = %q, want %q", d.Subject, "Re: plans")
	}
	if strings.Join(d.To, "|") != `"Alice, A." <alice@example.com>` {
		t.Errorf("To = %q", d.To)
	}
	if strings.Join(d.Cc, "|") != "bob@example.com|Carol <carol@example.com>" {
		t.Errorf("Cc = %q, want the others without me and without duplicates", d.Cc)
	}
	if d.InReplyTo != "m3@example.com" || strings.Join(d.References, " ") != "m1@example.com m2@example.com m3@example.com" {
		t.Errorf("InReplyTo %q References %q", d.InReplyTo, d.References)
	}
	wantBody := "On Fri, 02 Jan 2026 03:04, \"Alice, A.\" <alice@example.com> wrote:\n> line one\n>\n>> earlier\n\n"
	if d.Body != wantBody {
		t.Errorf("Body = %q, want %q", d.Body, wantBody)
	}
	if single := ReplyDraft(orig, "", "me@example.org", nil, false); len(single.Cc) != 0 || single.From != "me@example.org" {
		t.Errorf("reply to sender only: %+v", single)
	}
	if _, err := d.Build(buildTime); err != nil {
		t.Errorf("Build() of a reply: %v", err)
	}
}

func TestEditorTextRoundTrip(t *testing.T) {
	d := Draft{
		From: "Me <me@example.org>", To: []string{`"Alice, A." <alice@example.com>`, "bob@example.com"},
		Subject: "Re: plans", Body: "Hi\n\nsecond paragraph\n", InReplyTo: "m3@example.com",
		References: []string{"m1@example.com", "m3@example.com"},
	}
	text := d.EditorText()
	if !strings.HasPrefix(text, "From: Me <me@example.org>\nTo: \"Alice, A.\" <alice@example.com>, bob@example.com\nCc: \nSubject: Re: plans\n") {
		t.Errorf("EditorText() = %q", text)
	}
	got, err := ParseEditorText(text)
	if err != nil {
		t.Fatal(err)
	}
	if got.EditorText() != text || got.Body != d.Body || len(got.To) != 2 || got.InReplyTo != d.InReplyTo {
		t.Errorf("round trip = %+v, want %+v", got, d)
	}
}

func TestParseEditorText(t *testing.T) {
	tests := []struct {
		name, text string
		wantErr    bool
		check      func(Draft) bool
	}{
		{"missing to", "From: me@example.org\nTo: \nSubject: s\n\nbody", true,
			// The rest is kept for the review screen.
			func(d Draft) bool {
				return d.From == "me@example.org" && d.Subject == "s" && d.Body == "body" && len(d.To) == 0
			}},
		{"no to line", "Subject: s\n\nbody", true, nil},
		{"unknown field", "To: a@example.com\nTo2: b@example.com\n\nbody", true, nil},
		{"bad address", "To: <<<\n\nbody", true, nil},
		{"continuation and crlf", "To: a@example.com,\r\n b@example.com\r\nBcc: c@example.com\r\n\r\nbody\r\n", false,
			func(d Draft) bool { return len(d.To) == 2 && len(d.Bcc) == 1 && d.Body == "body\n" }},
		{"body keeps header-like lines", "To: a@example.com\n\nFrom: quoted\n", false,
			func(d Draft) bool { return d.Body == "From: quoted\n" && d.From == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d, err := ParseEditorText(tt.text)
			if (err != nil) != tt.wantErr {
				t.Fatalf("ParseEditorText() error = %v, wantErr %v", err, tt.wantErr)
			}
			if tt.check != nil && !tt.check(d) {
				t.Errorf("ParseEditorText() = %+v", d)
			}
		})
	}
}
