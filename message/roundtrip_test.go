package message

import (
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/pop3"
	"github.com/posta-mail/posta/protocols/smtp"
)

func endpoint(t *testing.T, s *demo.Servers, addr string, sec protocols.Security, user string) protocols.Endpoint {
	t.Helper()
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	p, _ := strconv.Atoi(port)
	return protocols.Endpoint{
		Host: host, Port: p, Security: sec, TLSConfig: s.TLSConfig(), Username: user,
		Password: func(context.Context) (string, error) { return "password", nil },
		Timeout:  10 * time.Second,
	}
}

// TestComposeRoundTrip composes a message with non-ASCII headers, a long
// line and two attachments, submits it to the demo SMTP server for
// bob@home.example, downloads it over POP3 and reads it back.
func TestComposeRoundTrip(t *testing.T) {
	s, err := demo.Start(demo.Options{Messages: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()

	dir := t.TempDir()
	pdfPath := filepath.Join(dir, "report.pdf")
	pdf := append([]byte("%PDF-1.4\n"), bytes.Repeat([]byte{0, 1, 2, 0xff, '\r', '\n', '.'}, 3000)...)
	if err := os.WriteFile(pdfPath, pdf, 0o600); err != nil {
		t.Fatal(err)
	}
	photo := bytes.Repeat([]byte("JPEG\x00\xd8\xff"), 500)
	longLine := strings.Repeat("Ünïcödé and a long line without breaks, ", 12)
	body := "Hallo Bob,\n\n" + longLine + "\n.\nFrom here on\n-- \nZoë\n"
	d := Draft{
		From:    "Zoë Ångström <alice@work.example>",
		To:      []string{"Bob Ünderhill <bob@home.example>"},
		Subject: "Grüße aus Köln — 東京 ☕ and a subject long enough to need folding across lines",
		Body:    body,
		Attachments: []DraftAttachment{
			{Path: pdfPath},
			{Name: "Фото отпуск 2026 ñ.jpg", ContentType: "image/jpeg", Data: photo},
		},
	}
	raw, err := d.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	for _, line := range strings.Split(string(raw), "\r\n") {
		if len(line) > 998 {
			t.Fatalf("built line of %d bytes", len(line))
		}
		for _, c := range []byte(line) {
			if c >= 0x80 {
				t.Fatalf("built message has 8-bit byte in %q", line)
			}
		}
	}

	sender := smtp.New(smtp.Options{Endpoint: endpoint(t, s, s.SMTPAddr, protocols.SecurityStartTLS, "alice")})
	if err := sender.Send(ctx, "alice@work.example", d.Recipients(), bytes.NewReader(raw)); err != nil {
		t.Fatalf("Send() = %v", err)
	}
	drop := s.POP3.Messages("bob")
	if len(drop) == 0 {
		t.Fatal("nothing delivered to bob")
	}
	fetcher := pop3.New(pop3.Options{Endpoint: endpoint(t, s, s.POP3Addr, protocols.SecurityTLS, "bob"), LeaveOnServer: true})
	rc, err := fetcher.FetchBody(ctx, pop3.Inbox, drop[len(drop)-1].UID)
	if err != nil {
		t.Fatalf("FetchBody() = %v", err)
	}
	got, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		t.Fatal(err)
	}

	h, err := ParseHeader(bytes.NewReader(got))
	if err != nil {
		t.Fatal(err)
	}
	if h.Subject != d.Subject {
		t.Errorf("Subject = %q, want %q", h.Subject, d.Subject)
	}
	if len(h.From) != 1 || h.From[0].Name != "Zoë Ångström" || h.From[0].Addr != "alice@work.example" {
		t.Errorf("From = %+v", h.From)
	}
	if len(h.To) != 1 || h.To[0].Name != "Bob Ünderhill" {
		t.Errorf("To = %+v", h.To)
	}
	if !h.HasAttachment || h.MessageID == "" {
		t.Errorf("HasAttachment %v, MessageID %q", h.HasAttachment, h.MessageID)
	}
	res, err := Render(bytes.NewReader(got), Options{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Body != body {
		t.Errorf("Body = %q\nwant %q", res.Body, body)
	}
	if len(res.Attachments) != 2 {
		t.Fatalf("Attachments = %+v, want 2", res.Attachments)
	}
	wants := []struct {
		name, ctype string
		data        []byte
	}{{"report.pdf", "application/pdf", pdf}, {"Фото отпуск 2026 ñ.jpg", "image/jpeg", photo}}
	saveDir := t.TempDir()
	for i, want := range wants {
		a := res.Attachments[i]
		if a.Name != want.name || a.ContentType != want.ctype || a.Size != int64(len(want.data)) {
			t.Errorf("attachment %d = %+v, want %s %s %d bytes", i, a, want.name, want.ctype, len(want.data))
		}
		path, err := SaveAttachment(bytes.NewReader(got), a.Index, saveDir)
		if err != nil {
			t.Fatalf("SaveAttachment(%d) = %v", a.Index, err)
		}
		if filepath.Base(path) != want.name {
			t.Errorf("saved as %q, want %q", filepath.Base(path), want.name)
		}
		if data, _ := os.ReadFile(path); !bytes.Equal(data, want.data) {
			t.Errorf("attachment %s: saved %d bytes differ from the %d written", want.name, len(data), len(want.data))
		}
	}
}
