//go:build interop

package interop

import (
	"bytes"
	"crypto/tls"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/pop3"
)

// pop3Store is SyncRequest.Store backed by memory.
type pop3Store struct {
	msgs map[string][]byte
}

func (s *pop3Store) request() protocols.SyncRequest {
	return protocols.SyncRequest{
		Folder: pop3.Inbox,
		State: protocols.FolderState{
			Known: func(uid string) bool { _, ok := s.msgs[uid]; return ok },
		},
		Store: func(uid string, r io.Reader) error {
			b, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			s.msgs[uid] = b
			return nil
		},
	}
}

// find returns the UIDL and bytes of the stored message containing token.
func (s *pop3Store) find(token string) (string, []byte, bool) {
	for uid, b := range s.msgs {
		if bytes.Contains(b, []byte(token)) {
			return uid, b, true
		}
	}
	return "", nil, false
}

func (s *stack) pop3Fetcher(t *testing.T, sec protocols.Security, user, pass string, leave bool) *pop3.Fetcher {
	t.Helper()
	addr := s.pop3TLS
	if sec == protocols.SecurityStartTLS {
		addr = s.pop3STLS
	}
	f := pop3.New(pop3.Options{Endpoint: endpoint(t, addr, sec, user, pass, s.roots), LeaveOnServer: leave})
	t.Cleanup(func() { f.Close() })
	return f
}

func TestPOP3ReceivesSubmittedMail(t *testing.T) {
	s := requireStack(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			ctx := testCtx(t)
			// Delivery is checked over IMAP first, so POP3 sees it at once.
			m := sendAndReceive(t, s, protocols.SecurityStartTLS)
			f := s.pop3Fetcher(t, sec, bob, bobPass, true)
			if !f.Caps().LocalIsRecord {
				t.Fatalf("Caps().LocalIsRecord = false, want true")
			}
			store := &pop3Store{msgs: map[string][]byte{}}
			res, err := f.Sync(ctx, store.request())
			if err != nil {
				t.Fatalf("Sync over %s: %v", sec, err)
			}
			uid, raw, ok := store.find(m.Subject)
			if !ok {
				t.Fatalf("Sync over %s stored %d messages, none with subject %q", sec, len(store.msgs), m.Subject)
			}
			if res.Added != len(store.msgs) {
				t.Errorf("Sync Added = %d, Store called for %d", res.Added, len(store.msgs))
			}
			if got := bodyAfterHeader(t, raw); !bytes.Equal(got, []byte(m.Body)) {
				t.Errorf("POP3 body differs from the one sent\n got: %q\nwant: %q", got, m.Body)
			}

			// A second sync with everything known stores nothing; the
			// message stayed on the server (LeaveOnServer).
			before := len(store.msgs)
			res, err = f.Sync(ctx, store.request())
			if err != nil {
				t.Fatalf("second Sync: %v", err)
			}
			if res.Added != 0 || len(store.msgs) != before {
				t.Errorf("second Sync Added = %d (store %d→%d), want 0", res.Added, before, len(store.msgs))
			}
			body := fetchBody(t, ctx, f, pop3.Inbox, uid)
			if !bytes.Equal(body, raw) {
				t.Errorf("FetchBody(%s) differs from what Sync stored", uid)
			}
		})
	}
}

func TestPOP3DeletesAfterStore(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	m := sendAndReceive(t, s, protocols.SecurityTLS)
	f := s.pop3Fetcher(t, protocols.SecurityTLS, bob, bobPass, false)
	store := &pop3Store{msgs: map[string][]byte{}}
	if _, err := f.Sync(ctx, store.request()); err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if _, _, ok := store.find(m.Subject); !ok {
		t.Fatalf("Sync did not store %q", m.Subject)
	}
	// The server must no longer hold it: a fresh store gets nothing of it.
	time.Sleep(100 * time.Millisecond)
	fresh := &pop3Store{msgs: map[string][]byte{}}
	check := s.pop3Fetcher(t, protocols.SecurityTLS, bob, bobPass, true)
	if _, err := check.Sync(ctx, fresh.request()); err != nil {
		t.Fatalf("checking Sync: %v", err)
	}
	if _, _, ok := fresh.find(m.Subject); ok {
		t.Errorf("message %q still on the server after a LeaveOnServer=false sync", m.Subject)
	}
}

func TestPOP3WrongPassword(t *testing.T) {
	s := requireStack(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			f := s.pop3Fetcher(t, sec, bob, "not-bobs-password", true)
			store := &pop3Store{msgs: map[string][]byte{}}
			_, err := f.Sync(testCtx(t), store.request())
			if !errors.Is(err, protocols.ErrAuthFailed) {
				t.Fatalf("Sync with a wrong password: err = %v, want ErrAuthFailed", err)
			}
		})
	}
}

func TestPOP3UntrustedCA(t *testing.T) {
	s := requireStack(t)
	for _, sec := range []protocols.Security{protocols.SecurityTLS, protocols.SecurityStartTLS} {
		t.Run(string(sec), func(t *testing.T) {
			addr := s.pop3TLS
			if sec == protocols.SecurityStartTLS {
				addr = s.pop3STLS
			}
			f := pop3.New(pop3.Options{Endpoint: endpoint(t, addr, sec, bob, bobPass, untrustedRoots(t)), LeaveOnServer: true})
			store := &pop3Store{msgs: map[string][]byte{}}
			_, err := f.Sync(testCtx(t), store.request())
			var verr *tls.CertificateVerificationError
			if !errors.As(err, &verr) {
				t.Fatalf("Sync trusting a foreign CA: err = %v, want a certificate verification error", err)
			}
		})
	}
}
