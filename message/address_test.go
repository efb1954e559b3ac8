package message

import (
	"strings"
	"testing"

	"github.com/posta-mail/posta/mail"
)

func TestAddressList(t *testing.T) {
	tests := []struct {
		name, in string
		want     []mail.Address
	}{
		{"RFC 5322 A.5 comments", `Pete(A wonderful \) chap) <pete(his account)@silly.test(his host)>`,
			[]mail.Address{{Name: "Pete", Addr: "pete@silly.test"}}},
		{"comment and spaces in the domain", `John Doe <jdoe@machine(comment).  example>`,
			[]mail.Address{{Name: "John Doe", Addr: "jdoe@machine.example"}}},
		{"comment after a bare address is its name", `jdoe@example.org (John Doe), "x (y)" <z@example.org>`,
			[]mail.Address{{Name: "John Doe", Addr: "jdoe@example.org"}, {Name: "x (y)", Addr: "z@example.org"}}},
		{"address without brackets after a name", `Stefanie Schwabe stefanie.schwabe@wanadoo.fr`,
			[]mail.Address{{Name: "Stefanie Schwabe", Addr: "stefanie.schwabe@wanadoo.fr"}}},
		{"two bare addresses without a comma", `a@example.org b@example.org`,
			[]mail.Address{{Addr: "a@example.org"}, {Addr: "b@example.org"}}},
		{"two bracketed addresses without a comma", `Bob Dunite <bob@extern> Bobby Dunite <bobby@extern>`,
			[]mail.Address{{Name: "Bob Dunite", Addr: "bob@extern"}, {Name: "Bobby Dunite", Addr: "bobby@extern"}}},
		{"group", `A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;`,
			[]mail.Address{{Name: "Ed Jones", Addr: "c@a.test"}, {Addr: "joe@where.test"}, {Name: "John", Addr: "jdoe@one.test"}}},
		{"unknown charset in a name", `=?x-nonsense?q?Ann?= <a@example.org>, =?utf-8?q?Andr=C3=A9?= <b@example.org>`,
			[]mail.Address{{Name: "Ann", Addr: "a@example.org"}, {Name: "André", Addr: "b@example.org"}}},
		{"broken list keeps every address", `Mary Smith <@node.test:mary@example.net>, , =?utf-8?q?Bj=C3=B6rn?= <<bjorn@example.net>`,
			[]mail.Address{{Name: "Mary Smith", Addr: "mary@example.net"}, {Name: "Björn", Addr: "bjorn@example.net"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := addressList(tt.in)
			if len(got) != len(tt.want) {
				t.Fatalf("addressList(%q) = %#v, want %#v", tt.in, got, tt.want)
			}
			for i := range got {
				if got[i] != tt.want[i] {
					t.Errorf("addressList(%q)[%d] = %#v, want %#v", tt.in, i, got[i], tt.want[i])
				}
			}
		})
	}
}

func TestAddressShownWithoutComments(t *testing.T) {
	raw := crlf("From: Pete(A wonderful \\) chap) <pete(his account)@silly.test(his host)>\nTo: Stefanie Schwabe stefanie.schwabe@wanadoo.fr\nCc: =?x-nonsense?q?Ann?= <a@example.org>, =?utf-8?q?Bj=C3=B6rn?= <<b@example.org>\n\nbody\n")
	res := render(t, raw, Options{})
	if got := header(res, "From"); got != "Pete <pete@silly.test>" {
		t.Errorf("From = %q, want %q", got, "Pete <pete@silly.test>")
	}
	mustContain(t, "To", header(res, "To"), "stefanie.schwabe@wanadoo.fr", "Stefanie Schwabe")
	mustContain(t, "Cc", header(res, "Cc"), "Ann", "a@example.org", "Björn", "b@example.org")
	mustNotContain(t, "Cc", header(res, "Cc"), "=?")
}

func TestAddressCorpus(t *testing.T) {
	for _, tt := range []struct{ file, addr string }{
		{"spamassassin/mime-subject.txt", "stefanie.schwabe@wanadoo.fr"},
		{"mikel-mail/rfc2822/example10.eml", "pete@silly.test"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			h, err := ParseHeader(strings.NewReader(corpusMessage(t, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if len(h.From) != 1 || h.From[0].Addr != tt.addr {
				t.Errorf("From = %#v, want %s", h.From, tt.addr)
			}
		})
	}
}
