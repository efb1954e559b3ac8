package accounts

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// rawFieldMessages are messages whose Subject and From ENVELOPE gets
// wrong: raw 8-bit text in the message's charset (or none), an encoded
// word with an unknown charset, a duplicate Subject, folded encoded
// words and an RFC 2231-style name. Each has Message-ID <N@fields.test>.
var rawFieldMessages = []string{
	"From: Ren\xe9 Lef\xe8vre <rene@example.fr>\nSubject: Caf\xe9 cr\xe8me \xe0 la carte\n" +
		"Content-Type: text/plain; charset=iso-8859-1\n",
	"From: \xd5\xc5\xc8\xfd <zhang@example.cn>\nSubject: \xd6\xd0\xce\xc4\xd3\xca\xbc\xfe \xb2\xe2\xca\xd4\n" +
		"Content-Type: text/plain; charset=gb2312\n",
	"From: a@example.test\nSubject: =?NONE?B?VEVTVA=?=\n",
	"From: a@example.test\nSubject: the first subject\nSubject: the second subject\n",
	"From: Gr\xfc\xdfe <b@example.de>\nSubject: Gr\xfc\xdfe ohne Zeichensatz\n",
	"From: =?UTF-8?Q?J=C3=B6rg?= <joerg@example.de>\nSubject: =?UTF-8?Q?Caf=C3=A9?=\n =?UTF-8?Q?_noir?= and =?ISO-8859-1?Q?cr=E8me?=\n",
}

// TestIndexDecodesRawHeaderFields syncs messages that ENVELOPE decodes
// wrongly from the demo IMAP server: the index must show the subject and
// names that message.ParseHeader reads from the whole message, as the
// pager does (issue 17, bug 4).
func TestIndexDecodesRawHeaderFields(t *testing.T) {
	f := startDemoFixture(t, 1)
	want := map[string]mail.Header{}
	for i, head := range rawFieldMessages {
		id := fmt.Sprintf("%d@fields.test", i)
		raw := strings.ReplaceAll(head+"To: alice@work.example\nDate: Mon, 02 Mar 2026 10:00:00 +0100\nMessage-ID: <"+id+">\n\nbody\n", "\n", "\r\n")
		if err := f.srv.Deliver("alice@work.example", []byte(raw)); err != nil {
			t.Fatal(err)
		}
		h, err := message.ParseHeader(strings.NewReader(raw))
		if err != nil {
			t.Fatal(err)
		}
		want[id] = h
	}
	set := f.open(t)
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := set.List("work", "INBOX", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := 0
	for _, m := range msgs {
		w, ok := want[m.MessageID]
		if !ok {
			continue
		}
		seen++
		if m.Subject != w.Subject {
			t.Errorf("%s: index subject %q, the message's header %q", m.MessageID, m.Subject, w.Subject)
		}
		if fmt.Sprint(m.From) != fmt.Sprint(w.From) {
			t.Errorf("%s: index From %v, the message's header %v", m.MessageID, m.From, w.From)
		}
		if !m.Date.Equal(w.Date) {
			t.Errorf("%s: index date %v, the message's header %v", m.MessageID, m.Date, w.Date)
		}
		if len(m.RawFields) != 0 {
			t.Errorf("%s: the index kept %d raw field bytes", m.MessageID, len(m.RawFields))
		}
	}
	if seen != len(want) {
		t.Fatalf("the index lists %d of the %d messages", seen, len(want))
	}
}

// TestDecodeRawFieldsFallback keeps the fetcher's (ENVELOPE's) values
// when no raw fields came, and its date when the raw Date is unreadable.
func TestDecodeRawFieldsFallback(t *testing.T) {
	env := mail.Header{Subject: "from envelope", MessageID: "e@x", From: []mail.Address{{Addr: "e@x"}}}
	h := env
	decodeRawFields(&h)
	if h.Subject != env.Subject || h.MessageID != env.MessageID || len(h.From) != 1 {
		t.Errorf("without raw fields: %+v, want the envelope's %+v", h, env)
	}
	h = env
	h.Date = env.Date.AddDate(2026, 0, 0)
	date := h.Date
	h.RawFields = []byte("Subject: Caf\xe9\r\nDate: not a date\r\n\r\n")
	decodeRawFields(&h)
	if h.Subject != "Café" || !h.Date.Equal(date) || h.RawFields != nil || h.MessageID != "" {
		t.Errorf("with raw fields: %+v", h)
	}
	huge := append([]byte("Subject: "), bytes.Repeat([]byte("w\xe9 "), 100000)...)
	h = mail.Header{RawFields: append(huge, "\r\n\r\n"...)}
	decodeRawFields(&h)
	if len(h.Subject) > mail.MaxSubjectBytes || !strings.HasPrefix(h.Subject, "wé wé") {
		t.Errorf("huge subject: %d bytes, %q…", len(h.Subject), h.Subject[:min(20, len(h.Subject))])
	}
}
