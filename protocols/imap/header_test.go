package imap

import (
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

func TestWordDecoderCharsets(t *testing.T) {
	tests := []struct{ in, want string }{
		{"=?ISO-8859-1?Q?Caf=E9?=", "Café"},
		{"=?windows-1252?Q?=80_10?=", "€ 10"},
		{"=?ISO-8859-2?B?r/Ozdw==?=", "Żółw"},
		{"=?KOI8-R?B?8NLJ18XU?=", "Привет"},
	}
	for _, tt := range tests {
		got, err := newWordDecoder().DecodeHeader(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("DecodeHeader(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

func TestMsgIDs(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"<a@x> <b@y>", []string{"a@x", "b@y"}},
		{"(comment) <a@x>\r\n\t<b@y> junk", []string{"a@x", "b@y"}},
		{"<unterminated", nil},
		{"<> < > no ids", nil},
		{"", nil},
	}
	for _, tt := range tests {
		if got := msgIDs(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("msgIDs(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestToHeaderToleratesMissingData(t *testing.T) {
	h := toHeader(&imapclient.FetchMessageBuffer{UID: 7, Flags: []imap.Flag{`\SEEN`, `\Recent`, "$Label"}}, "INBOX", false)
	want := mail.Flags{mail.FlagSeen, "$Label"}
	if h.UID != "7" || h.Subject != "" || h.HasAttachment || !slices.Equal(h.Flags, want) {
		t.Errorf("toHeader(bare) = %+v", h)
	}
}

func TestSyncSurvivesGarbageMessages(t *testing.T) {
	ts := startServer(t)
	ts.seed(t, "INBOX", "\x00\xff\xfe not a header at all", nil, internalDate)
	ts.seed(t, "INBOX", "Subject: =?bogus-charset?Q?x?=\nFrom: <<<@@@>>>\nReferences: <<<\nIn-Reply-To: garbage\nContent-Type: text/plain; charset=x-unknown\n\nbody\n", nil, internalDate)
	ts.seed(t, "INBOX", "Subject: truncated\nContent-Type: multipart/mixed; boundary=zz\n\n--zz\n", nil, internalDate)
	ts.seed(t, "INBOX", msgLatin1, nil, internalDate)
	f := ts.fetcher(t, protocols.SecurityTLS)
	cache := newFakeCache()
	res := cache.sync(t, f, "INBOX")
	if res.Added != 4 || len(cache.headers) != 4 {
		t.Fatalf("Sync() = %+v, headers %d, want 4", res, len(cache.headers))
	}
	if cache.headers["4"].Subject != "Café crème" {
		t.Errorf("good message after garbage: %+v", cache.headers["4"])
	}
}

// TestSyncHandsUpRawHeaderFields: each header carries the raw bytes of
// the fields the index decodes, as the server has them (raw 8-bit text,
// duplicates), and nothing else of the header, for the account layer to
// decode in place of ENVELOPE (issue 17, bug 4).
func TestSyncHandsUpRawHeaderFields(t *testing.T) {
	ts := startServer(t)
	ts.seed(t, "INBOX", "Received: from somewhere\nFrom: Ren\xe9 <rene@example.fr>\nSubject: Caf\xe9\nSubject: second\n"+
		"References: <a@x> <b@x>\nX-Junk: no\nContent-Type: text/plain; charset=iso-8859-1\n\nbody\n", nil, internalDate)
	f := ts.fetcher(t, protocols.SecurityTLS)
	cache := newFakeCache()
	cache.sync(t, f, "INBOX")
	h, ok := cache.headers["1"]
	if !ok {
		t.Fatalf("no header: %+v", cache.headers)
	}
	raw := string(h.RawFields)
	for _, want := range []string{"From: Ren\xe9 <rene@example.fr>\r\n", "Subject: Caf\xe9\r\n", "Subject: second\r\n", "Content-Type: text/plain; charset=iso-8859-1\r\n"} {
		if !strings.Contains(raw, want) {
			t.Errorf("raw fields %q lack %q", raw, want)
		}
	}
	for _, not := range []string{"Received", "X-Junk", "body"} {
		if strings.Contains(raw, not) {
			t.Errorf("raw fields %q hold %s", raw, not)
		}
	}
	if !slices.Equal(h.References, []string{"a@x", "b@x"}) {
		t.Errorf("References = %q", h.References)
	}
}
