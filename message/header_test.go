package message

import (
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/mail"
)

func TestParseHeader(t *testing.T) {
	raw := crlf(`From: =?iso-8859-1?q?Andr=E9?= <andre@example.com>
To: bob@example.com, "Carol, C." <carol@example.com>
Cc: broken <<dave@example.com>, eve@example.com
Subject: =?koi8-r?b?8NLJ18XU?= world
Date: Tue, 03 Jan 2006 10:00:00 +0100
Message-ID: <abc@example.com>
In-Reply-To: <parent@example.com>
References: <root@example.com>
 <parent@example.com>
Content-Type: multipart/mixed; boundary=x

body
`)
	h, err := ParseHeader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if h.MessageID != "abc@example.com" || h.InReplyTo != "parent@example.com" {
		t.Errorf("ids = %q, %q", h.MessageID, h.InReplyTo)
	}
	if strings.Join(h.References, " ") != "root@example.com parent@example.com" {
		t.Errorf("References = %q", h.References)
	}
	if h.Subject != "Привет world" {
		t.Errorf("Subject = %q, want %q", h.Subject, "Привет world")
	}
	if len(h.From) != 1 || h.From[0] != (mail.Address{Name: "André", Addr: "andre@example.com"}) {
		t.Errorf("From = %v", h.From)
	}
	if len(h.To) != 2 || h.To[1] != (mail.Address{Name: "Carol, C.", Addr: "carol@example.com"}) {
		t.Errorf("To = %v", h.To)
	}
	if len(h.Cc) != 2 || h.Cc[1].Addr != "eve@example.com" {
		t.Errorf("Cc = %v, want the valid entry kept from a broken list", h.Cc)
	}
	if want := time.Date(2006, 1, 3, 9, 0, 0, 0, time.UTC); !h.Date.Equal(want) {
		t.Errorf("Date = %v, want %v", h.Date, want)
	}
	if !h.HasAttachment {
		t.Errorf("HasAttachment = false for multipart/mixed")
	}
}

func TestParseHeaderBroken(t *testing.T) {
	tests := []struct {
		name, raw string
		check     func(mail.Header) bool
	}{
		{"bad date", "Date: yesterday\r\nSubject: s\r\n\r\n", func(h mail.Header) bool { return h.Date.IsZero() && h.Subject == "s" }},
		{"raw 8-bit subject", "Subject: caf\xe9\r\n\r\n", func(h mail.Header) bool { return h.Subject == "café" }},
		{"bad message id", "Message-ID: not an id\r\n\r\n", func(h mail.Header) bool { return h.MessageID == "not" }},
		{"no headers", "hello\r\n", func(h mail.Header) bool { return h.Subject == "" && !h.HasAttachment }},
		{"pdf", "Content-Type: application/pdf\r\n\r\n", func(h mail.Header) bool { return h.HasAttachment }},
		{"plain", "Content-Type: text/plain\r\n\r\n", func(h mail.Header) bool { return !h.HasAttachment }},
		{"empty", "", func(h mail.Header) bool { return h.MessageID == "" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHeader(strings.NewReader(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if !tt.check(h) {
				t.Errorf("ParseHeader() = %+v", h)
			}
		})
	}
}
