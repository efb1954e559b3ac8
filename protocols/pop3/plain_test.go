package pop3

import (
	"bytes"
	"context"
	"errors"
	"net"
	"strings"
	"sync"
	"testing"

	"github.com/posta-mail/posta/demo/pop3server"
	"github.com/posta-mail/posta/protocols"
)

// plainServer runs a POP3 server without TLS and records command verbs.
func plainServer(t *testing.T, allowAuth bool) (*pop3server.Server, string, func() []string) {
	t.Helper()
	srv := pop3server.New()
	srv.AllowInsecureAuth = allowAuth
	var mu sync.Mutex
	var verbs []string
	srv.Observe = func(v string) { mu.Lock(); verbs = append(verbs, v); mu.Unlock() }
	srv.AddUser("bob", "password")
	for _, body := range []string{"Subject: one\r\n\r\n1\r\n", "Subject: two\r\n\r\n2\r\n", "Subject: one\r\n\r\n1 again\r\n"} {
		srv.Deliver("bob", []byte(body))
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Start(ln, false)
	t.Cleanup(func() { srv.Stop() })
	return srv, ln.Addr().String(), func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), verbs...) }
}

func TestPlainRefusedWithoutAllowPlainAuth(t *testing.T) {
	_, addr, verbs := plainServer(t, true)
	dials := 0
	f := New(Options{
		Endpoint: endpoint(t, addr, protocols.SecurityNone, nil, "password"),
		Dial: func(ctx context.Context, n, a string) (net.Conn, error) {
			dials++
			return (&net.Dialer{}).DialContext(ctx, n, a)
		},
	})
	if _, err := f.Sync(context.Background(), (&store{}).request()); !errors.Is(err, protocols.ErrInsecure) {
		t.Fatalf("Sync() error = %v, want ErrInsecure", err)
	}
	if dials != 0 || len(verbs()) != 0 {
		t.Errorf("dials = %d, commands = %v; want no contact at all", dials, verbs())
	}
}

func TestPlainAllowedAndNoUIDLFallback(t *testing.T) {
	srv, addr, verbs := plainServer(t, true)
	ep := endpoint(t, addr, protocols.SecurityNone, nil, "password")
	ep.AllowPlainAuth = true
	// Hide UIDL from the server: the fetcher must fall back to digests.
	f := New(Options{Endpoint: ep, LeaveOnServer: true, Dial: func(ctx context.Context, n, a string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, n, a)
		return renameUIDL{c}, err
	}})
	st := &store{}
	res, err := f.Sync(context.Background(), st.request())
	if err != nil || res.Added != 3 {
		t.Fatalf("Sync() = %+v, %v; want 3 added", res, err)
	}
	for uid := range st.msgs {
		if !strings.HasPrefix(uid, "sha256:") {
			t.Errorf("uid %q is not a digest", uid)
		}
	}
	if !strings.Contains(strings.Join(verbs(), " "), "XUIDL") {
		t.Errorf("commands = %v, want the renamed UIDL", verbs())
	}
	if res, err := f.Sync(context.Background(), st.request()); err != nil || res.Added != 0 {
		t.Errorf("second Sync() = %+v, %v; want nothing new (digests are stable)", res, err)
	}
	if len(srv.Messages("bob")) != 3 {
		t.Error("LeaveOnServer deleted messages")
	}
}

// renameUIDL turns the client's UIDL commands into an unknown command.
type renameUIDL struct{ net.Conn }

func (c renameUIDL) Write(p []byte) (int, error) {
	out := bytes.ReplaceAll(p, []byte("UIDL\r\n"), []byte("XUIDL\r\n"))
	_, err := c.Conn.Write(out)
	return len(p), err
}

func TestSTLSNotOffered(t *testing.T) {
	_, addr, verbs := plainServer(t, false)
	f := New(Options{Endpoint: endpoint(t, addr, protocols.SecurityStartTLS, nil, "password")})
	_, err := f.Sync(context.Background(), (&store{}).request())
	if !errors.Is(err, protocols.ErrUnsupported) {
		t.Errorf("Sync() error = %v, want ErrUnsupported (no STLS)", err)
	}
	for _, v := range verbs() {
		if v == "USER" || v == "PASS" {
			t.Errorf("sent %s without TLS", v)
		}
	}
}

func TestServerDownAndBack(t *testing.T) {
	s := startDemo(t, 2)
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "password"), LeaveOnServer: true})
	if err := s.StopPOP3(); err != nil {
		t.Fatal(err)
	}
	if _, err := f.Sync(context.Background(), (&store{}).request()); err == nil {
		t.Fatal("Sync() with the server down = nil error")
	}
	if err := s.StartPOP3(); err != nil {
		t.Fatal(err)
	}
	if res, err := f.Sync(context.Background(), (&store{}).request()); err != nil || res.Added != 2 {
		t.Errorf("Sync() after restart = %+v, %v", res, err)
	}
}

func TestCancelledContext(t *testing.T) {
	s := startDemo(t, 2)
	f := New(Options{Endpoint: endpoint(t, s.POP3Addr, protocols.SecurityTLS, s.TLSConfig(), "password")})
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := f.Sync(ctx, (&store{}).request()); !errors.Is(err, context.Canceled) {
		t.Errorf("Sync(cancelled) error = %v, want context.Canceled", err)
	}
	if n := len(s.POP3.Messages("bob")); n != 2 {
		t.Errorf("server has %d messages, want 2", n)
	}
}
