package smtp

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/protocols"
)

const message = "From: bob@example.org\r\n" +
	"To: alice@example.org\r\n" +
	"Subject: dots\r\n" +
	"\r\n" +
	"first line\r\n" +
	".a line starting with a dot\r\n" +
	".\r\n" +
	"last line\r\n"

func TestSendDeliversExactBytes(t *testing.T) {
	ts := startServer(t)
	tests := []struct {
		name string
		sec  protocols.Security
		auth string
		mech string
	}{
		{"starttls plain", protocols.SecurityStartTLS, "", "PLAIN"},
		{"implicit tls plain", protocols.SecurityTLS, "plain", "PLAIN"},
		{"starttls login", protocols.SecurityStartTLS, "login", "LOGIN"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ep := ts.endpoint(tt.sec)
			ep.Auth = tt.auth
			before := len(ts.received())
			s := New(Options{Endpoint: ep, LocalName: "client.example.org"})
			to := []string{"alice@example.org", "carol@example.org"}
			// One byte at a time: normalisation and dot-stuffing must not
			// depend on how the reader splits the message.
			if err := s.Send(testCtx(t), testUser, to, iotest.OneByteReader(strings.NewReader(message))); err != nil {
				t.Fatalf("Send() error = %v", err)
			}
			got := ts.received()[before:]
			if len(got) != 1 {
				t.Fatalf("server received %d messages, want 1", len(got))
			}
			d := got[0]
			if string(d.data) != message {
				t.Errorf("data = %q, want %q", d.data, message)
			}
			if d.from != testUser || !slices.Equal(d.to, to) || d.authMech != tt.mech {
				t.Errorf("envelope = %+v, want from %s to %v via %s", d, testUser, to, tt.mech)
			}
		})
	}
	if !strings.Contains(ts.transcript.String(), "EHLO client.example.org") {
		t.Error("LocalName was not used in EHLO")
	}
}

func TestSendNormalisesLineEndings(t *testing.T) {
	ts := startServer(t)
	s := New(Options{Endpoint: ts.endpoint(protocols.SecurityTLS)})
	in := "Subject: lf\n\nunix line\n.dot after lf\nold mac\rline\r\nend"
	want := "Subject: lf\r\n\r\nunix line\r\n.dot after lf\r\nold mac\r\nline\r\nend\r\n"
	if err := s.Send(testCtx(t), testUser, []string{"alice@example.org"}, strings.NewReader(in)); err != nil {
		t.Fatal(err)
	}
	if got := string(ts.received()[0].data); got != want {
		t.Errorf("data = %q, want %q", got, want)
	}
}

func TestXOAUTH2(t *testing.T) {
	ts := startServer(t)
	ep := ts.endpoint(protocols.SecurityStartTLS)
	ep.Auth = "xoauth2"
	ep.Password = func(context.Context) (string, error) { return testToken, nil }
	if err := New(Options{Endpoint: ep}).Send(testCtx(t), testUser, []string{"alice@example.org"}, strings.NewReader(message)); err != nil {
		t.Fatalf("Send() error = %v", err)
	}
	if got := ts.received(); len(got) != 1 || got[0].authMech != "XOAUTH2" {
		t.Fatalf("deliveries = %+v, want one via XOAUTH2", got)
	}

	ep.Password = func(context.Context) (string, error) { return "expired", nil }
	err := New(Options{Endpoint: ep}).Check(testCtx(t))
	if !errors.Is(err, protocols.ErrAuthFailed) {
		t.Fatalf("Check() with bad token error = %v, want ErrAuthFailed", err)
	}
}

func TestBadPasswordIsAuthFailed(t *testing.T) {
	ts := startServer(t)
	for _, auth := range []string{"plain", "login"} {
		ep := ts.endpoint(protocols.SecurityStartTLS)
		ep.Auth = auth
		ep.Password = func(context.Context) (string, error) { return "wrong", nil }
		err := New(Options{Endpoint: ep}).Send(testCtx(t), testUser, []string{"alice@example.org"}, strings.NewReader(message))
		if !errors.Is(err, protocols.ErrAuthFailed) {
			t.Errorf("%s: Send() error = %v, want ErrAuthFailed", auth, err)
		}
		var serr *smtp.SMTPError
		if !errors.As(err, &serr) || serr.Code != 535 {
			t.Errorf("%s: Send() error = %v, want a reachable 535 SMTPError", auth, err)
		}
	}
	if n := len(ts.received()); n != 0 {
		t.Errorf("server accepted %d messages", n)
	}
}

func TestRefusedRecipient(t *testing.T) {
	ts := startServer(t)
	s := New(Options{Endpoint: ts.endpoint(protocols.SecurityTLS)})
	err := s.Send(testCtx(t), testUser, []string{"alice@example.org", "nobody@example.org", "nobody2@example.org"}, strings.NewReader(message))
	if err == nil {
		t.Fatal("Send() succeeded, want a refusal")
	}
	for _, want := range []string{"nobody@example.org", "nobody2@example.org", "mailbox unavailable"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not mention %q", err, want)
		}
	}
	var rerr *RecipientError
	if !errors.As(err, &rerr) || rerr.Addr != "nobody@example.org" {
		t.Errorf("errors.As(*RecipientError) = %+v", rerr)
	}
	var serr *smtp.SMTPError
	if !errors.As(err, &serr) || serr.Code != 550 {
		t.Errorf("errors.As(*smtp.SMTPError) = %+v, want code 550", serr)
	}
	if n := len(ts.received()); n != 0 {
		t.Errorf("server accepted %d messages despite the refusal", n)
	}
}

func TestUntrustedCertificate(t *testing.T) {
	ts := startServer(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		ep := ts.endpoint(sec)
		ep.TLSConfig = &tls.Config{RootCAs: x509.NewCertPool()}
		err := New(Options{Endpoint: ep}).Check(testCtx(t))
		var unknown x509.UnknownAuthorityError
		if !errors.As(err, &unknown) {
			t.Errorf("%s: Check() error = %v, want x509.UnknownAuthorityError", sec, err)
		}
	}
	if clientSentAuth(ts.transcript.String()) {
		t.Error("AUTH sent despite the certificate error")
	}
}

func TestPlainConnectionRefusesAuth(t *testing.T) {
	ts := startServer(t)
	ep := ts.endpoint(protocols.SecurityNone)
	err := New(Options{Endpoint: ep}).Send(testCtx(t), testUser, []string{"alice@example.org"}, strings.NewReader(message))
	if !errors.Is(err, protocols.ErrInsecure) {
		t.Fatalf("Send() error = %v, want ErrInsecure", err)
	}
	if clientSentAuth(ts.transcript.String()) || strings.Contains(ts.transcript.String(), "EHLO") {
		t.Fatalf("client talked to the server:\n%s", ts.transcript.String())
	}

	// Allowed explicitly, but this server offers no AUTH without TLS.
	ep.AllowPlainAuth = true
	err = New(Options{Endpoint: ep}).Check(testCtx(t))
	if err == nil || !strings.Contains(err.Error(), "offers no AUTH") {
		t.Fatalf("Check() error = %v, want a clear no-AUTH error", err)
	}
}

func TestCheck(t *testing.T) {
	ts := startServer(t)
	if err := New(Options{Endpoint: ts.endpoint(protocols.SecurityStartTLS)}).Check(testCtx(t)); err != nil {
		t.Fatalf("Check() error = %v", err)
	}
	if !strings.Contains(ts.transcript.String(), "QUIT") {
		t.Error("Check did not QUIT")
	}
	if !clientSentAuth(ts.transcript.String()) {
		t.Error("Check did not authenticate (or the transcript check is broken)")
	}
}

func TestCancelledContext(t *testing.T) {
	ts := startServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	err := New(Options{Endpoint: ts.endpoint(protocols.SecurityTLS)}).Send(ctx, testUser, []string{"a@example.org"}, bytes.NewReader(nil))
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Send(cancelled) error = %v, want context.Canceled", err)
	}
}

// clientSentAuth reports whether the transcript holds an AUTH command
// (server capability lines start with "250").
func clientSentAuth(transcript string) bool {
	for _, line := range strings.Split(transcript, "\n") {
		if strings.HasPrefix(strings.ToUpper(line), "AUTH ") {
			return true
		}
	}
	return false
}
