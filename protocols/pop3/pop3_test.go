package pop3

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/protocols"
)

func startDemo(t *testing.T, messages int) *demo.Servers {
	t.Helper()
	s, err := demo.Start(demo.Options{Messages: messages})
	if err != nil {
		t.Fatalf("demo.Start() error = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func endpoint(t *testing.T, addr string, sec protocols.Security, tlsCfg *tls.Config, pass string) protocols.Endpoint {
	t.Helper()
	host, port, _ := net.SplitHostPort(addr)
	p, _ := strconv.Atoi(port)
	return protocols.Endpoint{Host: host, Port: p, Security: sec, TLSConfig: tlsCfg, Username: "bob",
		Password: func(context.Context) (string, error) { return pass, nil }, Timeout: 5 * time.Second}
}

// store is an in-memory SyncRequest.Store with a Known function.
type store struct {
	mu     sync.Mutex
	msgs   map[string][]byte
	failAt int // fail the n-th Store call (1-based); 0 never
	calls  int
}

var errDiskFull = errors.New("disk full")

func (s *store) Store(uid string, r io.Reader) error {
	s.calls++
	if s.calls == s.failAt {
		return errDiskFull
	}
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.msgs == nil {
		s.msgs = map[string][]byte{}
	}
	s.msgs[uid] = b
	return nil
}

func (s *store) Known(uid string) bool { _, ok := s.msgs[uid]; return ok }

func (s *store) request() protocols.SyncRequest {
	return protocols.SyncRequest{Folder: "INBOX", Store: s.Store, State: protocols.FolderState{Known: s.Known}}
}

func TestSyncTLSIncremental(t *testing.T) {
	s := startDemo(t, 5)
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "password"), LeaveOnServer: true})
	st := &store{}
	req := st.request()
	var last protocols.Progress
	req.Progress = func(p protocols.Progress) { last = p }
	res, err := f.Sync(context.Background(), req)
	if err != nil || res.Added != 5 {
		t.Fatalf("Sync() = %+v, %v; want 5 added", res, err)
	}
	if last.Done != 5 || last.Total != 5 || last.Bytes == 0 {
		t.Errorf("last progress = %+v", last)
	}
	for _, m := range s.POP3.Messages("bob") {
		if !bytes.Equal(st.msgs[m.UID], m.Data) {
			t.Errorf("stored %s differs from the server's copy", m.UID)
		}
	}
	if res, err := f.Sync(context.Background(), st.request()); err != nil || res.Added != 0 || st.calls != 5 {
		t.Fatalf("second Sync() = %+v, %v (Store calls %d); want nothing new", res, err, st.calls)
	}
	if err := s.Deliver("bob@home.example", []byte("Subject: new\r\n\r\n.dot\r\n")); err != nil {
		t.Fatal(err)
	}
	if res, err := f.Sync(context.Background(), st.request()); err != nil || res.Added != 1 || st.calls != 6 {
		t.Fatalf("third Sync() = %+v, %v; want 1 added", res, err)
	}
	msgs := s.POP3.Messages("bob")
	if len(msgs) != 6 || string(st.msgs[msgs[5].UID]) != "Subject: new\r\n\r\n.dot\r\n" {
		t.Errorf("new message not stored intact: %q", st.msgs[msgs[5].UID])
	}
}

func TestSyncSTLSDeletesStored(t *testing.T) {
	s := startDemo(t, 5)
	cfg := s.TLSConfig()
	cfg.ServerName = "localhost"
	f := New(Options{Endpoint: endpoint(t, s.POP3STLSAddr, protocols.SecurityStartTLS, cfg, "password")})
	st := &store{failAt: 3}
	res, err := f.Sync(context.Background(), st.request())
	if !errors.Is(err, errDiskFull) || res.Added != 2 {
		t.Fatalf("Sync() = %+v, %v; want 2 added and the Store error", res, err)
	}
	left := s.POP3.Messages("bob")
	if len(left) != 3 {
		t.Fatalf("server has %d messages, want 3 (only stored ones deleted)", len(left))
	}
	for _, m := range left {
		if st.Known(m.UID) {
			t.Errorf("stored message %s still on server", m.UID)
		}
	}
	res, err = f.Sync(context.Background(), st.request())
	if err != nil || res.Added != 3 || len(s.POP3.Messages("bob")) != 0 {
		t.Fatalf("retry Sync() = %+v, %v, server has %d; want all stored and deleted", res, err, len(s.POP3.Messages("bob")))
	}
}

func TestFetchBodyAndDelete(t *testing.T) {
	s := startDemo(t, 3)
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "password")})
	msgs := s.POP3.Messages("bob")
	rc, err := f.FetchBody(context.Background(), "INBOX", msgs[1].UID)
	if err != nil {
		t.Fatalf("FetchBody() error = %v", err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if !bytes.Equal(got, msgs[1].Data) {
		t.Error("FetchBody() returned different bytes")
	}
	if _, err := f.FetchBody(context.Background(), "INBOX", "nope"); !errors.Is(err, protocols.ErrNotFound) {
		t.Errorf("FetchBody(unknown) error = %v, want ErrNotFound", err)
	}
	if err := f.Delete(context.Background(), "INBOX", []string{msgs[0].UID, "gone"}); err != nil {
		t.Fatalf("Delete() error = %v", err)
	}
	if left := s.POP3.Messages("bob"); len(left) != 2 || left[0].UID != msgs[1].UID {
		t.Errorf("after Delete server has %v", left)
	}
	if err := f.Move(context.Background(), "INBOX", nil, "x"); !errors.Is(err, protocols.ErrUnsupported) {
		t.Errorf("Move() error = %v", err)
	}
	if err := f.SetFlags(context.Background(), "INBOX", nil, nil, true); !errors.Is(err, protocols.ErrUnsupported) {
		t.Errorf("SetFlags() error = %v", err)
	}
	folders, err := f.Folders(context.Background())
	if err != nil || len(folders) != 1 || folders[0].Name != "INBOX" || folders[0].Role != "inbox" {
		t.Errorf("Folders() = %v, %v", folders, err)
	}
}

func TestWrongPassword(t *testing.T) {
	s := startDemo(t, 1)
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "wrong")})
	if _, err := f.Sync(context.Background(), (&store{}).request()); !errors.Is(err, protocols.ErrAuthFailed) {
		t.Errorf("Sync(wrong password) error = %v, want ErrAuthFailed", err)
	}
}

func TestUntrustedCertificate(t *testing.T) {
	s := startDemo(t, 1)
	other := &tls.Config{RootCAs: x509.NewCertPool()}
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, other, "password")})
	_, err := f.Sync(context.Background(), (&store{}).request())
	var verr *tls.CertificateVerificationError
	if !errors.As(err, &verr) {
		t.Errorf("Sync(untrusted cert) error = %v, want a certificate verification error", err)
	}
}

// TestSyncCancelledBetweenMessages cancels the context from Store: the
// sync stops before the next message, keeps what was stored, and says it
// was cancelled.
func TestSyncCancelledBetweenMessages(t *testing.T) {
	srv := startDemo(t, 5)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	stored := 0
	f := New(Options{Endpoint: endpoint(t, srv.POP3Addr, protocols.SecurityTLS, srv.TLSConfig(), "password"), LeaveOnServer: true})
	res, err := f.Sync(ctx, protocols.SyncRequest{
		Folder: Inbox,
		State:  protocols.FolderState{Known: func(string) bool { return false }},
		Store: func(uid string, r io.Reader) error {
			if _, err := io.Copy(io.Discard, r); err != nil {
				return err
			}
			stored++
			if stored == 2 {
				cancel()
			}
			return nil
		},
	})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Sync after cancel: err = %v, want context.Canceled", err)
	}
	if stored != 2 || res.Added != 2 {
		t.Errorf("stored %d, Added %d; want 2 and 2", stored, res.Added)
	}
}
