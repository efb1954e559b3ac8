package trace

import (
	"bytes"
	"encoding/base64"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// scripted is a net.Conn whose reads return the server's next chunk.
type scripted struct {
	net.Conn
	reads [][]byte
}

func (s *scripted) Read(p []byte) (int, error) {
	if len(s.reads) == 0 {
		return 0, io.EOF
	}
	n := copy(p, s.reads[0])
	s.reads[0] = s.reads[0][n:]
	if len(s.reads[0]) == 0 {
		s.reads = s.reads[1:]
	}
	return n, nil
}
func (s *scripted) Write(p []byte) (int, error) { return len(p), nil }
func (s *scripted) Close() error                { return nil }

// step is one chunk sent by the client (C) or by the server (S).
type step struct {
	c, s string
}

func run(t *testing.T, proto string, bodies bool, steps []step) string {
	t.Helper()
	var out bytes.Buffer
	tr := New(&out, Options{Bodies: bodies, Now: func() time.Time { return time.Unix(0, 0) }})
	sc := &scripted{}
	c := tr.Conn(proto, "mail.example:1", sc)
	for _, st := range steps {
		if st.c != "" {
			c.Write([]byte(st.c))
		}
		if st.s != "" {
			sc.reads = append(sc.reads, []byte(st.s))
			buf := make([]byte, len(st.s))
			// Read in small pieces, as a network would deliver them.
			for got := 0; got < len(st.s); {
				n, err := c.Read(buf[:min(7, len(st.s)-got)])
				if err != nil {
					t.Fatal(err)
				}
				got += n
			}
		}
	}
	c.Close()
	return out.String()
}

const (
	secretPW    = "s3cr3t-Pa55"
	secretToken = "ya29.TOKEN-abcdef"
)

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

// noSecret fails if any form of the test secrets is in the trace.
func noSecret(t *testing.T, trace string) {
	t.Helper()
	for _, s := range []string{
		secretPW, secretToken,
		b64(secretPW), b64("\x00me\x00" + secretPW), b64("me\x00me\x00" + secretPW),
		b64("user=me\x01auth=Bearer " + secretToken + "\x01\x01"),
		b64("n,a=me,\x01auth=Bearer " + secretToken + "\x01\x01"),
		"me\\x00" + secretPW,
	} {
		if strings.Contains(trace, s) {
			t.Errorf("the trace holds a secret (%q):\n%s", s, trace)
		}
	}
}

func TestIMAPRedaction(t *testing.T) {
	out := run(t, "imap", false, []step{
		{s: "* OK ready\r\n"},
		{c: "a1 LOGIN me \"" + secretPW + "\"\r\n", s: "a1 OK logged in\r\n"},
		{c: "a2 LOGIN {2}\r\n", s: "+ go\r\n"},
		{c: "me {11}\r\n", s: "+ go\r\n"},
		{c: secretPW + "\r\n", s: "a2 OK\r\n"},
		{c: "a3 AUTHENTICATE PLAIN " + b64("\x00me\x00"+secretPW) + "\r\n", s: "a3 OK\r\n"},
		{c: "a4 AUTHENTICATE XOAUTH2\r\n", s: "+ \r\n"},
		{c: b64("user=me\x01auth=Bearer "+secretToken+"\x01\x01") + "\r\n", s: "+ eyJzdGF0dXMiOiI0MDEifQ==\r\n"},
		{c: "\r\n", s: "a4 NO denied\r\n"},
		{c: "a5 AUTHENTICATE OAUTHBEARER " + b64("n,a=me,\x01auth=Bearer "+secretToken+"\x01\x01") + "\r\n", s: "a5 OK\r\n"},
		{c: "a6 UID FETCH 1 (BODY.PEEK[])\r\n", s: "* 1 FETCH (UID 1 BODY[] {23}\r\nSubject: hi\r\n\r\nsecret\r\n)\r\na6 OK\r\n"},
		{c: "a7 APPEND Sent {6}\r\n", s: "+ go\r\n"},
		{c: "hello!\r\n", s: "a7 OK\r\n"},
		{c: "a8 LIST \"\" \"*\"\r\n", s: "* LIST () \"/\" INBOX\r\na8 OK\r\n"},
	})
	noSecret(t, out)
	for _, want := range []string{
		"imap#1 C: a1 LOGIN [redacted]", "C: a2 LOGIN [redacted]", "C: [2 bytes redacted]", "C: [11 bytes redacted]",
		"C: a3 AUTHENTICATE PLAIN [redacted]", "C: a4 AUTHENTICATE XOAUTH2\n", "a5 AUTHENTICATE OAUTHBEARER [redacted]",
		"S: * 1 FETCH (UID 1 BODY[] {23}", "S: [23 bytes elided]", "S: a6 OK",
		"C: [6 bytes elided]", "S: * LIST () \"/\" INBOX", "1970-01-01T00:00:00.000000Z imap#1 -- closed",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "secret") || strings.Contains(out, "hello!") {
		t.Errorf("a body is in the trace:\n%s", out)
	}
}

func TestIMAPBodies(t *testing.T) {
	out := run(t, "imap", true, []step{
		{c: "a6 UID FETCH 1 (BODY.PEEK[])\r\n", s: "* 1 FETCH (UID 1 BODY[] {23}\r\nSubject: hi\r\n\r\nsecret\r\n)\r\na6 OK\r\n"},
	})
	if !strings.Contains(out, "S: Subject: hi") || !strings.Contains(out, "S: secret") {
		t.Errorf("--trace-bodies left the body out:\n%s", out)
	}
}

func TestPOP3Redaction(t *testing.T) {
	out := run(t, "pop3", false, []step{
		{s: "+OK POP3 ready\r\n"},
		{c: "CAPA\r\n", s: "+OK\r\nUIDL\r\nSASL PLAIN\r\n.\r\n"},
		{c: "USER me\r\n", s: "+OK\r\n"},
		{c: "PASS " + secretPW + "\r\n", s: "+OK\r\n"},
		{c: "AUTH PLAIN\r\n", s: "+ \r\n"},
		{c: b64("\x00me\x00"+secretPW) + "\r\n", s: "+OK\r\n"},
		{c: "APOP me c4c9334bac560ecc979e58001b3e22fb\r\n", s: "-ERR no\r\n"},
		// Pipelined: both commands before the answers.
		{c: "RETR 1\r\nUIDL\r\n", s: "+OK 30 octets\r\nSubject: x\r\n\r\nbody text\r\n.\r\n+OK\r\n1 abc\r\n.\r\n"},
		{c: "STLS\r\n", s: "+OK go\r\n\x16\x03\x01binary"},
	})
	noSecret(t, out)
	for _, want := range []string{
		"C: USER [redacted]", "C: PASS [redacted]", "C: AUTH PLAIN\n", "C: [redacted]", "C: APOP [redacted]",
		"S: +OK 30 octets", "S: [message: 3 lines, 25 bytes elided]", "S: 1 abc", "S: UIDL",
		"-- TLS starts",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "body text") || strings.Contains(out, "binary") {
		t.Errorf("a body or TLS bytes are in the trace:\n%s", out)
	}
}

func TestSMTPRedaction(t *testing.T) {
	out := run(t, "smtp", false, []step{
		{s: "220 mail ESMTP\r\n"},
		{c: "EHLO me\r\n", s: "250-mail\r\n250 AUTH PLAIN LOGIN XOAUTH2\r\n"},
		{c: "AUTH PLAIN " + b64("\x00me\x00"+secretPW) + "\r\n", s: "235 ok\r\n"},
		{c: "AUTH LOGIN\r\n", s: "334 VXNlcm5hbWU6\r\n"},
		{c: b64("me") + "\r\n", s: "334 UGFzc3dvcmQ6\r\n"},
		{c: b64(secretPW) + "\r\n", s: "235 ok\r\n"},
		{c: "AUTH XOAUTH2 " + b64("user=me\x01auth=Bearer "+secretToken+"\x01\x01") + "\r\n", s: "235 ok\r\n"},
		{c: "MAIL FROM:<me@x>\r\n", s: "250 ok\r\n"},
		{c: "DATA\r\n", s: "354 go\r\n"},
		{c: "Subject: private\r\n\r\nthe body\r\n.\r\n", s: "250 queued\r\n"},
		{c: "QUIT\r\n", s: "221 bye\r\n"},
	})
	noSecret(t, out)
	for _, want := range []string{
		"C: AUTH PLAIN [redacted]", "C: AUTH LOGIN\n", "S: 334 VXNlcm5hbWU6", "C: [redacted]", "C: AUTH XOAUTH2 [redacted]",
		"C: MAIL FROM:<me@x>", "C: [message: 3 lines, 30 bytes elided]", "S: 250 queued", "C: QUIT",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("trace lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "private") {
		t.Errorf("the message is in the trace:\n%s", out)
	}
}
