package cli

import (
	"bytes"
	"context"
	"fmt"
	"github.com/posta-mail/posta/internal/lingering"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
)

// These tests check that posta sync connects to the fetch server while
// the cache opens (openCoreWith) against the demo servers on real
// sockets, reading what it did from its --trace.

// runTraced runs one posta command line with --trace and returns its
// stderr, the trace (the file closed as Main closes it) and its error.
func (e *env) runTraced(args ...string) (string, string, error) {
	e.t.Helper()
	path := filepath.Join(e.t.TempDir(), "trace.log")
	var out, errb bytes.Buffer
	g := &globals{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.SetArgs(append([]string{"--config", e.config, "--cache-dir", e.cache, "--trace", path}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	g.closeTrace()
	trace, rerr := os.ReadFile(path)
	if rerr != nil && !os.IsNotExist(rerr) {
		e.t.Fatal(rerr)
	}
	return errb.String(), string(trace), err
}

var (
	imapConnected = regexp.MustCompile(`(?m) imap#\d+ -- connected to `)
	imapLogin     = regexp.MustCompile(`(?m) imap#\d+ C: \S+ (LOGIN|AUTHENTICATE) `)
	imapLogout    = regexp.MustCompile(`(?m) imap#\d+ C: \S+ LOGOUT$`)
)

// TestSyncOneConnectionWhileCacheOpens syncs the IMAP account into a new
// cache: every message arrives, over one connection with one login.
func TestSyncOneConnectionWhileCacheOpens(t *testing.T) {
	const perInbox = 120
	e := newEnv(t, perInbox)
	stderr, trace, err := e.runTraced("sync", "--account", "work")
	if err != nil {
		t.Fatalf("sync: %v\n%s", err, stderr)
	}
	if n := len(imapConnected.FindAllString(trace, -1)); n != 1 {
		t.Errorf("the sync opened %d IMAP connections, want 1", n)
	}
	if n := len(imapLogin.FindAllString(trace, -1)); n != 1 {
		t.Errorf("the sync logged in %d times, want 1", n)
	}
	if n := len(imapLogout.FindAllString(trace, -1)); n != 1 {
		t.Errorf("the sync logged out %d times, want 1", n)
	}
	inbox := 0
	for _, r := range e.list("--account", "work") {
		if r.Folder == "INBOX" {
			inbox++
		}
	}
	if inbox != perInbox {
		t.Errorf("work INBOX lists %d messages after the sync, want %d", inbox, perInbox)
	}
	if !strings.Contains(stderr, "work: ") || !strings.Contains(stderr, " new, ") {
		t.Errorf("no summary on stderr: %q", stderr)
	}
}

// TestSyncCacheFailureAfterConnecting makes the cache fail to open (its
// folder is a file) while the connection is being opened: the sync
// reports the cache's error as before, logs the connection out and
// leaves no goroutine behind.
func TestSyncCacheFailureAfterConnecting(t *testing.T) {
	e := newEnv(t, 5)
	dir := t.TempDir()
	notADir := filepath.Join(dir, "cache")
	if err := os.WriteFile(notADir, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, want := accounts.OpenCache(notADir, filepath.Join(notADir, "data"))
	if want == nil {
		t.Fatal("the cache opened in a file")
	}
	e.cache = notADir
	_, trace, err := e.runTraced("sync")
	if err == nil || err.Error() != want.Error() {
		t.Errorf("sync with a broken cache: %v, want %v", err, want)
	}
	connected := len(imapConnected.FindAllString(trace, -1))
	if connected != 1 {
		t.Errorf("%d IMAP connections, want the 1 started before the cache failed\n%s", connected, trace)
	}
	if n := len(imapLogout.FindAllString(trace, -1)); n != connected {
		t.Errorf("%d of %d connections logged out\n%s", n, connected, trace)
	}
	if s := lingeringClients(); s != "" {
		t.Errorf("goroutines left:\n%s", s)
	}
}

// lingeringClients returns the goroutine stacks that show a preconnect or an IMAP
// client still running, waiting up to two seconds for them to end.
func lingeringClients() string {
	return lingering.Stacks(2*time.Second, "accounts.(*Account).Preconnect", "imapclient.(*Client)")
}

// TestSyncCacheFailureServerSilent is the cache failing while the fetch
// server accepted the connection and says nothing: the error is not held
// back longer than abandonGrace, and nothing is left running.
func TestSyncCacheFailureServerSilent(t *testing.T) {
	e := newEnv(t, 1)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 4)
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			accepted <- c // held open, silent
		}
	}()
	defer func() {
		for {
			select {
			case c := <-accepted:
				c.Close()
			default:
				return
			}
		}
	}()
	_, imapPort, _ := splitHostPort(e.srv.IMAPAddr)
	_, silentPort, _ := splitHostPort(ln.Addr().String())
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	edited := strings.Replace(string(cfg), fmt.Sprintf("port = %d\n", imapPort), fmt.Sprintf("port = %d\n", silentPort), 1)
	if edited == string(cfg) {
		t.Fatal("no IMAP port in the demo configuration")
	}
	if err := os.WriteFile(e.config, []byte(edited), 0o600); err != nil {
		t.Fatal(err)
	}
	notADir := filepath.Join(t.TempDir(), "cache")
	if err := os.WriteFile(notADir, []byte("not a folder"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, want := accounts.OpenCache(notADir, filepath.Join(notADir, "data"))
	e.cache = notADir
	start := time.Now()
	_, _, err = e.runTraced("sync", "--account", "work")
	took := time.Since(start)
	if err == nil || want == nil || err.Error() != want.Error() {
		t.Errorf("sync with a broken cache: %v, want %v", err, want)
	}
	if took > abandonGrace+time.Second {
		t.Errorf("the cache's error took %v, want at most abandonGrace (%v) and a little", took, abandonGrace)
	}
	if len(accepted) != 1 {
		t.Errorf("%d connections reached the silent server, want 1", len(accepted))
	}
	if s := lingeringClients(); s != "" {
		t.Errorf("goroutines left:\n%s", s)
	}
	t.Logf("the cache's error came after %v", took.Round(time.Millisecond))
}
