package pop3

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/demo/pop3server"
	"github.com/posta-mail/posta/protocols"
)

// writeLog records what the client writes on a plain connection.
type writeLog struct {
	net.Conn
	mu     *sync.Mutex
	writes *[]string
}

func (c writeLog) Write(p []byte) (int, error) {
	c.mu.Lock()
	*c.writes = append(*c.writes, string(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// pipelineFixture is a plain demo POP3 server with n messages and a
// fetcher whose writes are logged.
func pipelineFixture(t *testing.T, n int, configure func(*pop3server.Server)) (*pop3server.Server, *Fetcher, func() []string, func() []string) {
	t.Helper()
	srv := pop3server.New()
	srv.AllowInsecureAuth = true
	var mu sync.Mutex
	var verbs, writes []string
	srv.Observe = func(v string) { mu.Lock(); verbs = append(verbs, v); mu.Unlock() }
	srv.AddUser("bob", "password")
	for i := 0; i < n; i++ {
		srv.Deliver("bob", []byte(fmt.Sprintf("Subject: %d\r\n\r\n.%d\r\n", i, i)))
	}
	if configure != nil {
		configure(srv)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Start(ln, false)
	t.Cleanup(func() { srv.Stop() })
	ep := endpoint(t, ln.Addr().String(), protocols.SecurityNone, nil, "password")
	ep.AllowPlainAuth = true
	f := New(Options{Endpoint: ep, Dial: func(ctx context.Context, network, addr string) (net.Conn, error) {
		c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
		return writeLog{Conn: c, mu: &mu, writes: &writes}, err
	}})
	get := func(s *[]string) func() []string {
		return func() []string { mu.Lock(); defer mu.Unlock(); return append([]string(nil), *s...) }
	}
	return srv, f, get(&verbs), get(&writes)
}

// TestPipelinedDownload: with PIPELINING, RETRs and DELEs leave several
// to a write; every message arrives whole and is deleted, and Commit
// comes before QUIT.
func TestPipelinedDownload(t *testing.T) {
	const n = 100
	srv, f, verbs, writes := pipelineFixture(t, n, nil)
	want := msgsByUID(srv.Messages("bob"))
	st := &store{}
	req := st.request()
	commits := 0
	req.Commit = func() error {
		commits++
		if v := verbs(); v[len(v)-1] == "QUIT" {
			t.Error("Commit called after QUIT")
		}
		return nil
	}
	res, err := f.Sync(context.Background(), req)
	if err != nil || res.Added != n {
		t.Fatalf("Sync() = %+v, %v; want %d added", res, err, n)
	}
	for uid, b := range want {
		if !bytes.Equal(st.msgs[uid], b) {
			t.Errorf("message %s = %q, want %q", uid, st.msgs[uid], b)
		}
	}
	if left := srv.Messages("bob"); len(left) != 0 {
		t.Errorf("%d messages left on the server, want 0", len(left))
	}
	if commits == 0 {
		t.Error("Commit was never called")
	}
	most := 0
	for _, w := range writes() {
		most = max(most, strings.Count(w, "RETR "))
	}
	if most < 2 || most > window {
		t.Errorf("at most %d RETRs in one write, want 2 to %d", most, window)
	}
}

// TestNoPipeliningOneCommandAtATime: without PIPELINING in CAPA, every
// command waits for the reply of the one before.
func TestNoPipeliningOneCommandAtATime(t *testing.T) {
	srv, f, _, writes := pipelineFixture(t, 10, func(s *pop3server.Server) { s.NoPipelining = true })
	res, err := f.Sync(context.Background(), (&store{}).request())
	if err != nil || res.Added != 10 {
		t.Fatalf("Sync() = %+v, %v; want 10 added", res, err)
	}
	for _, w := range writes() {
		if strings.Count(w, "\r\n") > 1 {
			t.Errorf("write %q holds more than one command", w)
		}
	}
	if left := srv.Messages("bob"); len(left) != 0 {
		t.Errorf("%d messages left on the server, want 0", len(left))
	}
}

// TestFailedCommitDeletesNothing: no QUIT follows a failed Commit, so
// the server keeps every message.
func TestFailedCommitDeletesNothing(t *testing.T) {
	srv, f, verbs, _ := pipelineFixture(t, 5, nil)
	req := (&store{}).request()
	req.Commit = func() error { return errDiskFull }
	if _, err := f.Sync(context.Background(), req); err == nil || !strings.Contains(err.Error(), errDiskFull.Error()) {
		t.Fatalf("Sync() error = %v, want the Commit failure", err)
	}
	if n := len(srv.Messages("bob")); n != 5 {
		t.Errorf("server has %d messages, want 5", n)
	}
	for _, v := range verbs() {
		if v == "QUIT" {
			t.Error("QUIT sent after a failed Commit")
		}
	}
}

// TestUTF8BeforeLogin: a server offering UTF8 (RFC 6856) gets the command
// before the login, so that a Courier-like server sends a message with a
// raw UTF-8 header as it is, not a notice in its place.
func TestUTF8BeforeLogin(t *testing.T) {
	raw := "Subject: Formação em Verão\r\nFrom: José <jose@example.com>\r\n\r\nolá\r\n"
	srv, f, verbs, _ := pipelineFixture(t, 0, func(s *pop3server.Server) { s.DowngradeUTF8 = true })
	uid, err := srv.Deliver("bob", []byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	st := &store{}
	if _, err := f.Sync(context.Background(), st.request()); err != nil {
		t.Fatal(err)
	}
	if got := string(st.msgs[uid]); got != raw {
		t.Errorf("stored %q, want the original %q", got, raw)
	}
	v := strings.Join(verbs(), " ")
	if !strings.Contains(v, "UTF8 USER") {
		t.Errorf("commands = %s, want UTF8 right before USER", v)
	}
}

// TestFirstCommitEarly: a download longer than firstCommit makes its
// first messages durable (and visible) before it ends.
func TestFirstCommitEarly(t *testing.T) {
	_, f, _, _ := pipelineFixture(t, 20, nil)
	st := &store{}
	req := st.request()
	stored, firstAt := 0, 0
	req.Store = func(uid string, r io.Reader) error {
		time.Sleep(20 * time.Millisecond) // a slow disk
		stored++
		return st.Store(uid, r)
	}
	req.Commit = func() error {
		if firstAt == 0 {
			firstAt = stored
		}
		return nil
	}
	if _, err := f.Sync(context.Background(), req); err != nil {
		t.Fatal(err)
	}
	if firstAt == 0 || firstAt >= 20 {
		t.Errorf("first Commit after %d of 20 messages, want it early", firstAt)
	}
}

// TestStoreCommitsCommitsOnceAtTheEnd: with Policy.StoreCommits the
// caller commits in the background, and SyncPolicy calls Commit only
// before QUIT, however long the download.
func TestStoreCommitsCommitsOnceAtTheEnd(t *testing.T) {
	_, f, _, _ := pipelineFixture(t, 20, nil)
	st := &store{}
	req := st.request()
	stored, commits, lastAt := 0, 0, 0
	req.Store = func(uid string, r io.Reader) error {
		time.Sleep(20 * time.Millisecond) // a slow disk
		stored++
		return st.Store(uid, r)
	}
	req.Commit = func() error {
		commits++
		lastAt = stored
		return nil
	}
	if _, err := f.SyncPolicy(context.Background(), req, Policy{DeleteStored: true, StoreCommits: true}); err != nil {
		t.Fatal(err)
	}
	if commits != 1 || lastAt != 20 {
		t.Errorf("Commit called %d times, last after %d of 20 messages; want once, after all", commits, lastAt)
	}
}
