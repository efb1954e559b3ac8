package accounts

import (
	"bytes"
	"context"
	"fmt"
	"github.com/posta-mail/posta/internal/lingering"
	"io"
	"net"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/message"
)

// These tests drive Preconnect (preconnect.go) against the demo's IMAP
// server over TLS on real sockets: the Set is built with no cache, the
// sync lane connects while the cache opens, and the sync uses that
// connection.

// connTracer is a protocols.Tracer that counts the connections opened
// and closed and the LOGIN (or AUTHENTICATE) and LOGOUT commands sent.
type connTracer struct {
	opened, closed  atomic.Int32
	logins, logouts atomic.Int32
}

func (t *connTracer) Conn(proto, addr string, c net.Conn) net.Conn {
	t.opened.Add(1)
	return &tracedConn{Conn: c, t: t}
}

type tracedConn struct {
	net.Conn
	t    *connTracer
	once sync.Once
}

func (c *tracedConn) Write(p []byte) (int, error) {
	if bytes.Contains(p, []byte(" LOGIN ")) || bytes.Contains(p, []byte(" AUTHENTICATE ")) {
		c.t.logins.Add(1)
	}
	if bytes.Contains(p, []byte(" LOGOUT\r\n")) {
		c.t.logouts.Add(1)
	}
	return c.Conn.Write(p)
}

func (c *tracedConn) Close() error {
	c.once.Do(func() { c.t.closed.Add(1) })
	return c.Conn.Close()
}

// openTestCache opens a cache in dir, as OpenCache does.
func openTestCache(t *testing.T, dir string) *cache.Cache {
	t.Helper()
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "cache"), DataDir: filepath.Join(dir, "data"), ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// openEarly builds the fixture's accounts with no cache, starts the work
// account's sync lane connecting, then opens a cache in dir and attaches
// it, as posta sync does.
func openEarly(t *testing.T, cfg *Config, dir string) (*Set, *Account) {
	t.Helper()
	set, err := Open(cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	work, err := set.Get("work")
	if err != nil {
		t.Fatal(err)
	}
	work.Preconnect(context.Background())
	c := openTestCache(t, dir)
	set.AttachCache(c)
	t.Cleanup(func() { set.Close(); c.Close() })
	return set, work
}

// snapshot lists every folder of an account with its messages' UIDs,
// subjects and sizes, sorted, for comparing two caches.
func snapshot(t *testing.T, a *Account) []string {
	t.Helper()
	folders, err := a.Folders()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, f := range folders {
		msgs, err := a.List(f.Name, 1<<20, 0)
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, "folder "+f.Name)
		for _, m := range msgs {
			// The demo server sends flags in no set order.
			slices.Sort(m.Flags)
			out = append(out, fmt.Sprintf("%s|%s|%s|%v|%s|%v|%v|%d", f.Name, m.UID, m.Subject, m.From, m.MessageID, m.Date.UTC(), m.Flags, m.Size))
		}
	}
	slices.Sort(out)
	return out
}

// TestPreconnectedSyncStoresTheSame syncs the same server into two
// caches, once as before (cache, then accounts, then the sync connects)
// and once with the connection opened while the cache opens: the same
// folders and messages are stored, and the early sync used one
// connection and one login.
func TestPreconnectedSyncStoresTheSame(t *testing.T) {
	f := startDemoFixture(t, 600)
	ctx := context.Background()

	plain := f.open(t)
	pw, _ := plain.Get("work")
	want, err := pw.SyncWith(ctx, SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}

	tr := &connTracer{}
	f.cfg.Accounts[0].Fetch.Tracer = tr
	_, work := openEarly(t, f.cfg, t.TempDir())
	got, err := work.SyncWith(ctx, SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if got.Added != want.Added || got.Removed != want.Removed || got.Sent != want.Sent || len(got.Failures) != 0 {
		t.Errorf("preconnected sync: %+v; the plain one: %+v", got, want)
	}
	if want.Added < 600 {
		t.Errorf("the plain sync added %d messages, want at least the inbox's 600", want.Added)
	}
	if a, b := snapshot(t, pw), snapshot(t, work); !slices.Equal(a, b) {
		for i := range a {
			if i < len(b) && a[i] != b[i] {
				t.Errorf("the caches differ at row %d:\nplain:        %s\npreconnected: %s", i, a[i], b[i])
				break
			}
		}
	}
	if n, l := tr.opened.Load(), tr.logins.Load(); n != 1 || l != 1 {
		t.Errorf("the preconnected sync opened %d connections with %d logins, want 1 and 1", n, l)
	}
	if n, _ := work.Count("INBOX"); n != 600 {
		t.Errorf("INBOX holds %d messages, want 600", n)
	}
}

// gate is a TCP relay to target that holds every connection it accepts,
// without dialing the target, until open is called.
type gate struct {
	ln       net.Listener
	accepted atomic.Int32
	opened   chan struct{}
	wg       sync.WaitGroup
}

func startGate(t *testing.T, target string) *gate {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	g := &gate{ln: ln, opened: make(chan struct{})}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			g.accepted.Add(1)
			g.wg.Add(1)
			go func() {
				defer g.wg.Done()
				defer c.Close()
				<-g.opened
				s, err := net.Dial("tcp", target)
				if err != nil {
					return
				}
				defer s.Close()
				go func() { io.Copy(s, c); s.Close() }()
				io.Copy(c, s)
			}()
		}
	}()
	t.Cleanup(func() {
		g.open()
		ln.Close()
		g.wg.Wait()
	})
	return g
}

func (g *gate) open() {
	select {
	case <-g.opened:
	default:
		close(g.opened)
	}
}

// TestSyncWaitsForPreconnect holds the preconnected connection before
// the server's greeting and starts the sync: it must wait for that
// connection, not dial a second one, and go on with it once it opens.
func TestSyncWaitsForPreconnect(t *testing.T) {
	f := startDemoFixture(t, 50)
	g := startGate(t, f.srv.IMAPAddr)
	f.cfg.Accounts[0].Fetch.Host, f.cfg.Accounts[0].Fetch.Port = splitFixtureAddr(t, g.ln.Addr().String())
	tr := &connTracer{}
	f.cfg.Accounts[0].Fetch.Tracer = tr
	_, work := openEarly(t, f.cfg, t.TempDir())
	// The gate holds the connection: the lane is still taken.
	if work.bg.mu.TryLock() {
		work.bg.mu.Unlock()
		t.Fatal("the sync lane is free after Preconnect returned")
	}

	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	done := make(chan error, 1)
	var rep SyncReport
	go func() {
		var err error
		rep, err = work.SyncWith(ctx, SyncOptions{})
		done <- err
	}()
	time.Sleep(200 * time.Millisecond)
	select {
	case err := <-done:
		t.Fatalf("the sync ended (%v) while its connection was held", err)
	default:
	}
	if n := g.accepted.Load(); n != 1 {
		t.Fatalf("%d connections while the preconnected one was held, want 1", n)
	}
	g.open()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if rep.Added < 50 {
		t.Errorf("the sync added %d messages, want at least 50", rep.Added)
	}
	if n, l := g.accepted.Load(), tr.logins.Load(); n != 1 || l != 1 {
		t.Errorf("%d connections and %d logins, want 1 and 1", n, l)
	}
}

// TestPreconnectFailureIsTheSyncs checks that a connection that fails
// ahead of the sync is reported by the sync as the sync's own failure
// would be, word for word, with no second attempt (one login refused,
// not two).
func TestPreconnectFailureIsTheSyncs(t *testing.T) {
	f := startDemoFixture(t, 5)
	ctx := context.Background()
	deadHost, deadPort := deadAddr(t)
	cases := []struct {
		name string
		set  func(s *ServerConfig)
	}{
		{"wrong password", func(s *ServerConfig) { s.Password = "not the password" }},
		{"nothing listening", func(s *ServerConfig) { s.Host, s.Port = deadHost, deadPort }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg := *f.cfg
			cfg.Accounts = slices.Clone(f.cfg.Accounts)
			tc.set(&cfg.Accounts[0].Fetch.ServerConfig)

			plain, err := Open(&cfg, openTestCache(t, t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer plain.Close()
			pw, _ := plain.Get("work")
			_, want := pw.SyncWith(ctx, SyncOptions{})
			if want == nil {
				t.Fatal("the plain sync succeeded")
			}

			tr := &connTracer{}
			cfg.Accounts[0].Fetch.Tracer = tr
			_, work := openEarly(t, &cfg, t.TempDir())
			_, err = work.SyncWith(ctx, SyncOptions{})
			if err == nil || err.Error() != want.Error() {
				t.Errorf("preconnected sync: %v\nplain sync: %v", err, want)
			}
			if l := tr.logins.Load(); l > 1 {
				t.Errorf("%d logins attempted, want at most 1", l)
			}
			// The failure is reported once: the next sync connects anew.
			if tc.name == "wrong password" {
				_, err = work.SyncWith(ctx, SyncOptions{})
				if err == nil || err.Error() != want.Error() || tr.logins.Load() != 2 {
					t.Errorf("second sync: %v after %d logins; want the same error after a second login", err, tr.logins.Load())
				}
			}
		})
	}
}

// lingeringClients returns the goroutine stacks that show a preconnect or an IMAP
// client still running, waiting up to two seconds for them to end.
func lingeringClients() string {
	return lingering.Stacks(2*time.Second, "accounts.(*Account).Preconnect", "imapclient.(*Client)")
}

// TestPreconnectThenCacheFails is the cache failing to open after the
// connection started: closing the Set waits for the connection, logs it
// out and leaves no goroutine behind.
func TestPreconnectThenCacheFails(t *testing.T) {
	f := startDemoFixture(t, 5)
	tr := &connTracer{}
	f.cfg.Accounts[0].Fetch.Tracer = tr
	set, err := Open(f.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	work, _ := set.Get("work")
	work.Preconnect(context.Background())
	dir := t.TempDir()
	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, []byte("x"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c, err := OpenCache(notADir, filepath.Join(dir, "data")); err == nil {
		c.Close()
		t.Fatal("the cache opened in a file")
	}
	if err := set.Close(); err != nil {
		t.Errorf("Close: %v", err)
	}
	if o, c, l := tr.opened.Load(), tr.closed.Load(), tr.logouts.Load(); o != 1 || c != 1 || l != 1 {
		t.Errorf("%d connections opened, %d closed, %d logged out; want 1, 1, 1", o, c, l)
	}
	if s := lingeringClients(); s != "" {
		t.Errorf("goroutines left:\n%s", s)
	}
}

// TestPreconnectSkipsPOP3 checks that Preconnect leaves a POP3 account
// (whose fetcher keeps no connection) alone and its sync works.
func TestPreconnectSkipsPOP3(t *testing.T) {
	f := startDemoFixture(t, 20)
	set, err := Open(f.cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	home, err := set.Get("home")
	if err != nil {
		t.Fatal(err)
	}
	if home.Kind() != "pop3" {
		t.Fatalf("home is %s, want pop3", home.Kind())
	}
	home.Preconnect(context.Background())
	c := openTestCache(t, t.TempDir())
	set.AttachCache(c)
	defer func() { set.Close(); c.Close() }()
	rep, err := home.SyncWith(context.Background(), SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 20 {
		t.Errorf("the POP3 sync added %d messages, want 20", rep.Added)
	}
}
