//go:build interop

package interop

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/protocols"
)

// appendForPOP3 puts raw in user's INBOX through the server's IMAP side
// and returns the bytes the server's own FETCH gives back. The message is
// found by token, a part of its subject the server cannot change.
func appendForPOP3(t *testing.T, s *server, user, pass, token string, raw []byte) []byte {
	t.Helper()
	ctx := testCtx(t)
	f := s.imapFetcher(t, protocols.SecurityTLS, user, pass)
	if err := f.Append(ctx, inbox, nil, time.Time{}, raw); err != nil {
		t.Fatalf("Append: %v", err)
	}
	c := newHeaderCache(inbox)
	deadline := time.Now().Add(deliveryIn)
	for {
		if _, _, err := c.sync(ctx, f); err != nil {
			t.Fatalf("Sync(INBOX): %v", err)
		}
		for _, h := range c.headers {
			if strings.Contains(h.Subject, token) {
				return fetchBody(t, ctx, f, inbox, h.UID)
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %q in INBOX after %v", token, deliveryIn)
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// TestServersPOP3LeaveAndDelete reads a message over POP3 (STLS and
// implicit TLS) leaving it on the server, byte for byte as IMAP has it,
// then downloads it with delete-after-store and checks it is gone.
func TestServersPOP3LeaveAndDelete(t *testing.T) {
	forEach(t, hasPOP3, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		m := newMessage(t, alice)
		token := strings.TrimPrefix(m.Subject, "interop ")
		want := appendForPOP3(t, s, alice, alicePass, token, []byte(m.Raw))
		var uidl string
		for _, sec := range []protocols.Security{protocols.SecurityStartTLS, protocols.SecurityTLS} {
			st := &pop3Store{msgs: map[string][]byte{}}
			f := s.pop3Fetcher(t, sec, alice, alicePass, true)
			if _, err := f.Sync(ctx, st.request()); err != nil {
				t.Fatalf("POP3 Sync over %s: %v", sec, err)
			}
			id, got, ok := st.find(token)
			if !ok {
				t.Fatalf("POP3 over %s: message %s not downloaded (%d messages)", sec, token, len(st.msgs))
			}
			if !bytes.Equal(got, want) {
				t.Errorf("POP3 over %s: bytes differ from IMAP's\n got: %q\nwant: %q", sec, got, want)
			}
			uidl = id
		}
		// Delete-after-store, for this message only: every other UIDL
		// counts as known.
		st := &pop3Store{msgs: map[string][]byte{}}
		req := st.request()
		req.State.Known = func(id string) bool { return id != uidl }
		f := s.pop3Fetcher(t, protocols.SecurityTLS, alice, alicePass, false)
		if _, err := f.Sync(ctx, req); err != nil {
			t.Fatalf("POP3 Sync with delete: %v", err)
		}
		again := &pop3Store{msgs: map[string][]byte{}}
		if _, err := s.pop3Fetcher(t, protocols.SecurityTLS, alice, alicePass, true).Sync(ctx, again.request()); err != nil {
			t.Fatal(err)
		}
		if _, _, ok := again.find(token); ok {
			t.Errorf("message %s still on the server after delete-after-store", token)
		}
	})
}

// TestServersPOP3UTF8Headers reads a message whose Subject is raw UTF-8
// (RFC 6532). Courier's POP3 replaces such a message by a notice
// ("Cannot display Unicode content") unless the client sends UTF8
// (RFC 6856): issue 17, bug 3.
func TestServersPOP3UTF8Headers(t *testing.T) {
	forEach(t, hasPOP3, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		m := newMessage(t, alice)
		token := strings.TrimPrefix(m.Subject, "interop ")
		subject := "interop Grüße " + token
		raw := []byte(strings.Replace(m.Raw, "Subject: "+m.Subject, "Subject: "+subject, 1))
		want := appendForPOP3(t, s, alice, alicePass, token, raw)
		if !bytes.Contains(want, []byte("Subject: "+subject)) {
			if !s.dev.eightBitToX {
				t.Errorf("the server changed the raw UTF-8 subject: %q", want)
			}
			t.Logf("deviation: the server keeps no raw 8-bit header bytes")
		}
		st := &pop3Store{msgs: map[string][]byte{}}
		if _, err := s.pop3Fetcher(t, protocols.SecurityTLS, alice, alicePass, true).Sync(ctx, st.request()); err != nil {
			t.Fatalf("POP3 Sync: %v", err)
		}
		_, got, ok := st.find(token)
		if !ok {
			t.Fatalf("message %s not downloaded, or replaced by a notice (%d messages)", token, len(st.msgs))
		}
		if !bytes.Equal(got, want) {
			t.Errorf("POP3 bytes differ from IMAP's\n got: %q\nwant: %q", got, want)
		}
	})
}

// TestServersSubmission sends over STARTTLS and implicit TLS through
// every submission server and finds the message where it delivers.
func TestServersSubmission(t *testing.T) {
	forEach(t, hasSubmission, func(t *testing.T, s *server) {
		for _, sec := range []protocols.Security{protocols.SecurityStartTLS, protocols.SecurityTLS} {
			ctx := testCtx(t)
			m := newMessage(t, bob)
			if err := s.sender(t, sec, alice, alicePass).Send(ctx, alice, []string{bob}, strings.NewReader(m.Raw)); err != nil {
				t.Fatalf("Send over %s: %v", sec, err)
			}
			got := s.delivered(t, m)
			if b := bodyAfterHeader(t, got); !bytes.Equal(b, []byte(m.Body)) {
				t.Errorf("over %s: delivered body differs\n got: %q\nwant: %q", sec, b, m.Body)
			}
		}
	})
}

// TestServersSubmissionWrongPassword: a wrong password is refused as
// such.
func TestServersSubmissionWrongPassword(t *testing.T) {
	forEach(t, hasSubmission, func(t *testing.T, s *server) {
		m := newMessage(t, bob)
		err := s.sender(t, protocols.SecurityTLS, alice, "wrong").Send(testCtx(t), alice, []string{bob}, strings.NewReader(m.Raw))
		switch {
		case err == nil:
			t.Fatal("Send with a wrong password succeeded")
		case s.dev.authTemporary:
			t.Logf("deviation: a wrong password is a temporary failure here: %v", err)
		case !errors.Is(err, protocols.ErrAuthFailed):
			t.Errorf("Send with a wrong password: err = %v, want ErrAuthFailed", err)
		}
	})
}

// delivered waits for m where the submission server s delivers and
// returns its raw bytes.
func (s *server) delivered(t *testing.T, m testMessage) []byte {
	t.Helper()
	if s.deliversTo != "" {
		r := row(t, s.deliversTo)
		if r.skip != "" {
			t.Skipf("cannot check delivery: %s", r.skip)
		}
		ctx := testCtx(t)
		f := r.imapFetcher(t, protocols.SecurityTLS, bob, bobPass)
		h := waitForSubject(t, ctx, f, newHeaderCache(inbox), m.Subject)
		return fetchBody(t, ctx, f, inbox, h.UID)
	}
	if s.maildir == "" {
		t.Fatalf("%s: the table says nowhere where its mail goes", s.name)
	}
	deadline := time.Now().Add(deliveryIn)
	for {
		files, _ := filepath.Glob(filepath.Join(s.maildir, "new", "*"))
		for _, f := range files {
			b, err := os.ReadFile(f)
			if err == nil && bytes.Contains(b, []byte("Subject: "+m.Subject+"\n")) {
				return bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no message %q in %s after %v", m.Subject, s.maildir, deliveryIn)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
