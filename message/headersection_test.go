package message

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestHeaderWhitespaceLines(t *testing.T) {
	tests := []struct {
		name, raw   string
		subject     string
		from        string
		bodyHas     string
		bodyHasNot  string
		attachments int
	}{
		{
			name:    "first line of spaces",
			raw:     "   \r\nFrom: a@example.com\r\nSubject: hello\r\n\r\nbody\r\n",
			subject: "hello", from: "a@example.com", bodyHas: "body",
		},
		{
			name:    "tab line as a fold",
			raw:     "From: a@example.com\r\nSubject: one\r\n\t\r\n two\r\nDate: Tue, 1 Jul 2003 10:52:37 +0200\r\n\r\nbody\r\n",
			subject: "one two", from: "a@example.com", bodyHas: "body",
		},
		{
			name: "white space line before MIME fields",
			raw: "From: a@example.com\r\nSubject: pdf\r\n \r\nMIME-Version: 1.0\r\nContent-Type: multipart/mixed; boundary=b\r\n\r\n" +
				"--b\r\nContent-Type: text/plain\r\n\r\nsee attached\r\n--b\r\nContent-Type: application/pdf\r\n\t\r\nContent-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQK\r\n--b--\r\n",
			subject: "pdf", from: "a@example.com", bodyHas: "see attached", bodyHasNot: "JVBER", attachments: 1,
		},
		{
			name:    "white space line really ending the header",
			raw:     "From: a@example.com\r\nSubject: s\r\n  \r\nHello there,\r\nbody\r\n",
			subject: "s", from: "a@example.com", bodyHas: "Hello there,",
		},
		{
			name:    "field name with spaces before the colon",
			raw:     "Subject : spaced\r\nFrom  : a@example.com\r\n\r\nbody\r\n",
			subject: "spaced", from: "a@example.com", bodyHas: "body",
		},
		{
			name:    "separator line before the fields",
			raw:     "26-Aug-92 22:15:02-LCL,22076;000000000000\r\nFrom: a@example.com\r\nSubject: babyl\r\n\r\nbody\r\n",
			subject: "babyl", from: "a@example.com", bodyHas: "body",
		},
		{
			name: "fold that lost its indentation",
			raw: "X-Diagnostics: 1;AM4PR01MB1442;6:1Y77VdiYZvw\r\nP8FxVksOO2tmFWl+LxT0Acgv7RaCFBKFmzA31fwJ\r\nFrom: a@example.com\r\nSubject: outlook\r\n" +
				"Content-Type: text/plain\r\n\r\nbody\r\n",
			subject: "outlook", from: "a@example.com", bodyHas: "body", bodyHasNot: "P8Fx",
		},
		{
			name:    "body without a separating blank line",
			raw:     "From: a@example.com\r\nSubject: s\r\ncounter to RFC 5322, no blank line\r\nmore body\r\n",
			subject: "s", from: "a@example.com", bodyHas: "counter to RFC 5322, no blank line\nmore body",
		},
		{
			name:    "mbox From line still skipped",
			raw:     "From a@example.com Tue Jul  1 10:52:37 2003\r\nFrom: a@example.com\r\nSubject: mbox\r\n\r\nbody\r\n",
			subject: "mbox", from: "a@example.com", bodyHas: "body",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h, err := ParseHeader(strings.NewReader(tt.raw))
			if err != nil {
				t.Fatal(err)
			}
			if h.Subject != tt.subject {
				t.Errorf("Subject = %q, want %q", h.Subject, tt.subject)
			}
			if len(h.From) != 1 || h.From[0].Addr != tt.from {
				t.Errorf("From = %v, want %s", h.From, tt.from)
			}
			res := render(t, tt.raw, Options{})
			mustContain(t, "Body", res.Body, tt.bodyHas)
			if tt.bodyHasNot != "" {
				mustNotContain(t, "Body", res.Body, tt.bodyHasNot)
			}
			if len(res.Attachments) != tt.attachments {
				t.Errorf("Attachments = %v, want %d", res.Attachments, tt.attachments)
			}
			if got := header(res, "Subject"); got != tt.subject {
				t.Errorf("shown Subject = %q, want %q", got, tt.subject)
			}
		})
	}
}

func TestHeaderJunkLinesCorpus(t *testing.T) {
	for _, tt := range []struct{ file, subject string }{
		{"mikel-mail/plain_emails/raw_email_incorrect_header.eml", ""},
		{"mimekit/messages/issue358.txt", "R: R: R: I: FR-selca LA selcaE"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			raw := corpusMessage(t, tt.file)
			h, _ := ParseHeader(strings.NewReader(raw))
			if len(h.From) == 0 || h.Date.IsZero() || (tt.subject != "" && h.Subject != tt.subject) {
				t.Errorf("ParseHeader() = From %v, Date %v, Subject %q", h.From, h.Date, h.Subject)
			}
			res := render(t, raw, Options{})
			mustNotContain(t, "Body", res.Body, "X-Antivirus", "Message-ID:")
		})
	}
}

func TestMessageIDWithSpaces(t *testing.T) {
	raw := "Message-ID: <9209252113.AA00975@ ebony >\r\nIn-Reply-To: < parent@x (comment) >\r\nReferences: <a@x> < b @x >\r\n\r\n"
	h, err := ParseHeader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if h.MessageID != "9209252113.AA00975@ebony" {
		t.Errorf("MessageID = %q, want %q", h.MessageID, "9209252113.AA00975@ebony")
	}
	if h.InReplyTo != "parent@x" {
		t.Errorf("InReplyTo = %q, want parent@x", h.InReplyTo)
	}
	if got := strings.Join(h.References, " "); got != "a@x b@x" {
		t.Errorf("References = %q, want %q", got, "a@x b@x")
	}
}

// corpusMessage reads one file of the shared corpus, or skips t.
func corpusMessage(t *testing.T, name string) string {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join(corpusDir, name))
	if err != nil {
		t.Skipf("corpus file %s not available: %v", name, err)
	}
	return string(raw)
}

func TestHeaderSectionCorpus(t *testing.T) {
	t.Run("leading line of spaces", func(t *testing.T) {
		h, _ := ParseHeader(strings.NewReader(corpusMessage(t, "flanker/iphone.eml")))
		if len(h.From) != 1 || h.From[0].Addr != "someone@somewhere.com" || h.Subject != "Subject" {
			t.Errorf("ParseHeader() From = %v, Subject = %q", h.From, h.Subject)
		}
	})
	t.Run("message id with spaces", func(t *testing.T) {
		h, _ := ParseHeader(strings.NewReader(corpusMessage(t, "jwz-mailcore2/86")))
		if h.MessageID != "9209252113.AA00975@ebony" {
			t.Errorf("MessageID = %q", h.MessageID)
		}
	})
	t.Run("RFC 5322 A.6.3 white space", func(t *testing.T) {
		// The file marks RFC 5322's line of white space with "__".
		raw := strings.Replace(corpusMessage(t, "mikel-mail/rfc2822/example13.eml"), "\r\n__\r\n", "\r\n  \r\n", 1)
		h, _ := ParseHeader(strings.NewReader(raw))
		if h.Subject != "Saying Hello" || h.MessageID != "1234@local.machine.example" || h.Date.IsZero() {
			t.Errorf("ParseHeader() = Subject %q, MessageID %q, Date %v", h.Subject, h.MessageID, h.Date)
		}
	})
}
