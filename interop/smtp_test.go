//go:build interop

package interop

import (
	"bytes"
	"crypto/tls"
	"errors"
	"net/mail"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/smtp"
)

// sendAndReceive sends a fresh message alice→bob over sec and checks that
// bob's INBOX over IMAP holds it with the exact body bytes and subject.
func sendAndReceive(t *testing.T, s *stack, sec protocols.Security) testMessage {
	t.Helper()
	ctx := testCtx(t)
	m := newMessage(t, bob)
	start := time.Now()
	if err := s.sender(t, sec, alicePass).Send(ctx, alice, []string{bob}, strings.NewReader(m.Raw)); err != nil {
		t.Fatalf("Send over %s: %v", sec, err)
	}

	f := s.imapFetcher(t, protocols.SecurityTLS, bob, bobPass)
	h := waitForSubject(t, ctx, f, newHeaderCache(inbox), m.Subject)
	t.Logf("delivered over %s and seen over IMAP after %v", sec, time.Since(start).Round(time.Millisecond))
	if len(h.From) != 1 || h.From[0].Addr != alice {
		t.Errorf("header From = %+v, want %s", h.From, alice)
	}

	raw := fetchBody(t, ctx, f, inbox, h.UID)
	if got := bodyAfterHeader(t, raw); !bytes.Equal(got, []byte(m.Body)) {
		t.Errorf("delivered body differs from the one sent\n got: %q\nwant: %q", got, m.Body)
	}
	parsed, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		t.Fatalf("parse delivered message: %v", err)
	}
	if got := parsed.Header.Get("Subject"); got != m.Subject {
		t.Errorf("delivered Subject = %q, want %q", got, m.Subject)
	}
	if parsed.Header.Get("Received") == "" {
		t.Errorf("delivered message has no Received header: did it go through Postfix?")
	}
	return m
}

func TestSubmissionSTARTTLSDeliversToIMAP(t *testing.T) {
	s := requireStack(t)
	sendAndReceive(t, s, protocols.SecurityStartTLS)
}

func TestSMTPSDeliversToIMAP(t *testing.T) {
	s := requireStack(t)
	sendAndReceive(t, s, protocols.SecurityTLS)
}

func TestSMTPRefusedRecipient(t *testing.T) {
	s := requireStack(t)
	const nobody = "nobody@elsewhere.test"
	m := newMessage(t, nobody)
	err := s.sender(t, protocols.SecurityStartTLS, alicePass).Send(testCtx(t), alice, []string{nobody}, strings.NewReader(m.Raw))
	if err == nil {
		t.Fatalf("Send to %s succeeded, want a refusal (the stack relays nowhere)", nobody)
	}
	if !strings.Contains(err.Error(), nobody) {
		t.Errorf("Send error %q does not name %s", err, nobody)
	}
	var rerr *smtp.RecipientError
	if !errors.As(err, &rerr) || rerr.Addr != nobody {
		t.Errorf("Send error %v: want a *smtp.RecipientError for %s", err, nobody)
	}
	t.Logf("refusal: %v", err)
}

func TestSMTPMixedRecipientsSendNothing(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	const nobody = "nobody@elsewhere.test"
	m := newMessage(t, bob)
	err := s.sender(t, protocols.SecurityStartTLS, alicePass).Send(ctx, alice, []string{bob, nobody}, strings.NewReader(m.Raw))
	if err == nil || !strings.Contains(err.Error(), nobody) {
		t.Fatalf("Send to %s and %s: err = %v, want a refusal naming %s", bob, nobody, err, nobody)
	}
	if strings.Contains(err.Error(), "recipient "+bob) {
		t.Errorf("Send error %q blames %s, which the server accepts", err, bob)
	}
	// Nothing must reach bob: sync for a while and make sure.
	f := s.imapFetcher(t, protocols.SecurityTLS, bob, bobPass)
	cache := newHeaderCache(inbox)
	time.Sleep(time.Second)
	if _, _, err := cache.sync(ctx, f); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if _, ok := cache.find(m.Subject); ok {
		t.Errorf("message %q reached bob although a recipient was refused", m.Subject)
	}
}

func TestSMTPWrongPassword(t *testing.T) {
	s := requireStack(t)
	for _, sec := range []protocols.Security{protocols.SecurityStartTLS, protocols.SecurityTLS} {
		t.Run(string(sec), func(t *testing.T) {
			m := newMessage(t, bob)
			err := s.sender(t, sec, "not-alices-password").Send(testCtx(t), alice, []string{bob}, strings.NewReader(m.Raw))
			if !errors.Is(err, protocols.ErrAuthFailed) {
				t.Fatalf("Send with a wrong password: err = %v, want ErrAuthFailed", err)
			}
		})
	}
}

func TestSMTPUntrustedCA(t *testing.T) {
	s := requireStack(t)
	for _, sec := range []protocols.Security{protocols.SecurityStartTLS, protocols.SecurityTLS} {
		t.Run(string(sec), func(t *testing.T) {
			addr := s.submission
			if sec == protocols.SecurityTLS {
				addr = s.smtps
			}
			snd := smtp.New(smtp.Options{Endpoint: endpoint(t, addr, sec, alice, alicePass, untrustedRoots(t))})
			m := newMessage(t, bob)
			err := snd.Send(testCtx(t), alice, []string{bob}, strings.NewReader(m.Raw))
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &verr) {
				t.Fatalf("Send trusting a foreign CA: err = %v, want a certificate verification error", err)
			}
		})
	}
}
