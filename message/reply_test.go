package message

import (
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/mail"
)

func TestReplyDraftRecipients(t *testing.T) {
	alice := mail.Address{Name: "Alice", Addr: "alice@example.com"}
	list := mail.Address{Name: "List", Addr: "list@example.com"}
	me := mail.Address{Addr: "me@example.org"}
	meAlias := mail.Address{Name: "Me Too", Addr: "ME@alias.example.org"}
	bob := mail.Address{Addr: "bob@example.com"}
	carol := mail.Address{Name: "Carol", Addr: "carol@example.com"}
	tests := []struct {
		name   string
		orig   mail.Header
		self   []string
		all    bool
		to, cc string
	}{
		{"reply goes to From", mail.Header{From: []mail.Address{alice}, To: []mail.Address{me, bob}}, nil, false,
			"Alice <alice@example.com>", ""},
		{"reply goes to Reply-To", mail.Header{From: []mail.Address{alice}, ReplyTo: []mail.Address{list}, To: []mail.Address{me}}, nil, false,
			"List <list@example.com>", ""},
		{"reply-all adds To and Cc", mail.Header{From: []mail.Address{alice}, To: []mail.Address{me, bob}, Cc: []mail.Address{carol}}, nil, true,
			"Alice <alice@example.com>", "bob@example.com|Carol <carol@example.com>"},
		{"reply-all without duplicates", mail.Header{From: []mail.Address{alice}, To: []mail.Address{bob, alice, {Addr: "BOB@example.com"}}, Cc: []mail.Address{bob, carol}}, nil, true,
			"Alice <alice@example.com>", "bob@example.com|Carol <carol@example.com>"},
		{"reply-all without my aliases", mail.Header{From: []mail.Address{alice}, To: []mail.Address{meAlias, bob}, Cc: []mail.Address{me}}, []string{"me@alias.example.org"}, true,
			"Alice <alice@example.com>", "bob@example.com"},
		{"reply-all with Reply-To keeps From out of To", mail.Header{From: []mail.Address{alice}, ReplyTo: []mail.Address{list}, To: []mail.Address{list, me}, Cc: []mail.Address{carol}}, nil, true,
			"List <list@example.com>", "Carol <carol@example.com>"},
		{"reply to my own message answers its recipients", mail.Header{From: []mail.Address{me}, To: []mail.Address{bob}, Cc: []mail.Address{carol}}, nil, false,
			"bob@example.com", ""},
		{"reply-all to my own message", mail.Header{From: []mail.Address{me}, To: []mail.Address{bob}, Cc: []mail.Address{carol}}, nil, true,
			"bob@example.com", "Carol <carol@example.com>"},
		{"note to self", mail.Header{From: []mail.Address{me}, To: []mail.Address{me}}, nil, true,
			"me@example.org", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ReplyDraft(tt.orig, "x", "Me <me@example.org>", tt.self, tt.all)
			if got := strings.Join(d.To, "|"); got != tt.to {
				t.Errorf("To = %q, want %q", got, tt.to)
			}
			if got := strings.Join(d.Cc, "|"); got != tt.cc {
				t.Errorf("Cc = %q, want %q", got, tt.cc)
			}
			if d.From != "Me <me@example.org>" {
				t.Errorf("From = %q", d.From)
			}
		})
	}
}

func TestReplyDraftThreadAndQuote(t *testing.T) {
	tests := []struct {
		name                string
		orig                mail.Header
		subject, irt, refs  string
		attributionContains string
	}{
		{"fresh thread", mail.Header{MessageID: "a@x", Subject: "plans"}, "Re: plans", "a@x", "a@x", "you wrote:"},
		{"in-reply-to only", mail.Header{MessageID: "b@x", InReplyTo: "a@x", Subject: "Re: plans"}, "Re: plans", "b@x", "a@x b@x", "wrote:"},
		{"references chain", mail.Header{MessageID: "c@x", InReplyTo: "b@x", References: []string{"a@x", "b@x"}, Subject: "RE: re: Re : plans"},
			"Re: plans", "c@x", "a@x b@x c@x", "wrote:"},
		{"no message id", mail.Header{Subject: "", From: []mail.Address{{Name: "Zoë", Addr: "z@x"}},
			Date: time.Date(2026, 5, 6, 7, 8, 0, 0, time.UTC)}, "Re: ", "", "", "On Wed, 06 May 2026 07:08, Zoë <z@x> wrote:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := ReplyDraft(tt.orig, "hello\r\n\r\n> old\r\n", "me@example.org", nil, false)
			if d.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", d.Subject, tt.subject)
			}
			if d.InReplyTo != tt.irt || strings.Join(d.References, " ") != tt.refs {
				t.Errorf("InReplyTo %q References %q, want %q %q", d.InReplyTo, d.References, tt.irt, tt.refs)
			}
			first, rest, _ := strings.Cut(d.Body, "\n")
			if !strings.Contains(first, tt.attributionContains) {
				t.Errorf("attribution = %q, want it to contain %q", first, tt.attributionContains)
			}
			if rest != "> hello\n>\n>> old\n\n" {
				t.Errorf("quoted = %q", rest)
			}
		})
	}
}

func TestParseHeaderReplyTo(t *testing.T) {
	h, err := ParseHeader(strings.NewReader(crlf("From: a@example.com\nReply-To: =?utf-8?q?Li=C3=9Fte?= <list@example.com>, b@example.com\nSubject: s\n\nbody")))
	if err != nil {
		t.Fatal(err)
	}
	if len(h.ReplyTo) != 2 || h.ReplyTo[0].Name != "Lißte" || h.ReplyTo[1].Addr != "b@example.com" {
		t.Errorf("ReplyTo = %+v", h.ReplyTo)
	}
}
