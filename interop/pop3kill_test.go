//go:build interop

package interop

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
)

// TestPOP3KillHarnessAgainstDovecot is the POP3 issue's kill harness run
// against Dovecot: a child process syncs bob's maildrop with
// leave_on_server=false and is killed at random moments, again and
// again. After every kill each message must be on the server or stored
// locally (never lost) and stored at most once; after a last full sync
// every message is local exactly once with the bytes Dovecot served, and
// the maildrop is empty.
func TestPOP3KillHarnessAgainstDovecot(t *testing.T) {
	s := requireStack(t)
	// Start from an empty maildrop: earlier tests may have left mail.
	drain := s.pop3Fetcher(t, protocols.SecurityTLS, bob, bobPass, false)
	if _, err := drain.Sync(testCtx(t), (&pop3Store{msgs: map[string][]byte{}}).request()); err != nil {
		t.Fatalf("draining the maildrop: %v", err)
	}
	s.sendToBob(t, 40)
	original := s.maildrop(t)
	if len(original) < 40 {
		t.Fatalf("maildrop holds %d messages, want at least 40", len(original))
	}

	dir := t.TempDir()
	for round := 0; round < 8; round++ {
		if round > 0 {
			// New mail between kills, so every round has work to cut.
			s.sendToBob(t, 10)
			for uidl, raw := range s.maildrop(t) {
				original[uidl] = raw
			}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperDovecotPOPSync$", "-test.v")
		cmd.Env = append(os.Environ(), "POSTA_KILL_CHILD=1", "POSTA_KILL_DIR="+dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		time.Sleep(time.Duration(30+rand.IntN(300)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()

		local := localPOPCopies(t, dir)
		server := s.maildrop(t)
		for uidl := range original {
			if _, there := server[uidl]; !there && local[uidl] == 0 {
				t.Errorf("round %d: message %s is neither on the server nor stored locally", round, uidl)
			}
			if local[uidl] > 1 {
				t.Errorf("round %d: message %s stored %d times", round, uidl, local[uidl])
			}
		}
		t.Logf("round %d: %d stored locally, %d on the server", round, len(local), len(server))
	}

	set, c := openAccountsCache(t, dir, s.pop3Account(t, false))
	a, _ := set.Get("bob")
	if _, err := a.Sync(testCtx(t), nil); err != nil {
		t.Fatalf("final sync: %v", err)
	}
	if left := s.maildrop(t); len(left) != 0 {
		t.Errorf("%d messages left on the server after the final sync", len(left))
	}
	msgs, err := set.List("bob", "INBOX", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]int{}
	for _, m := range msgs {
		seen[m.UID]++
		want, ok := original[m.UID]
		if !ok {
			continue
		}
		rc, err := c.OpenBody(m.ID)
		if err != nil {
			t.Errorf("message %s: %v", m.UID, err)
			continue
		}
		got, _ := io.ReadAll(rc)
		rc.Close()
		if !bytes.Equal(got, want) {
			t.Errorf("message %s: local bytes differ from what Dovecot served", m.UID)
		}
	}
	for uidl := range original {
		if seen[uidl] != 1 {
			t.Errorf("message %s stored %d times after the final sync, want 1", uidl, seen[uidl])
		}
	}
}

// maildrop returns bob's maildrop by UIDL, read without deleting.
func (s *stack) maildrop(t *testing.T) map[string][]byte {
	t.Helper()
	var lastErr error
	for try := 0; try < 20; try++ { // a killed session may hold the lock a moment
		store := &pop3Store{msgs: map[string][]byte{}}
		f := s.pop3Fetcher(t, protocols.SecurityTLS, bob, bobPass, true)
		if _, err := f.Sync(testCtx(t), store.request()); err == nil {
			return store.msgs
		} else {
			lastErr = err
		}
		time.Sleep(250 * time.Millisecond)
	}
	t.Fatalf("reading the maildrop: %v", lastErr)
	return nil
}

// localPOPCopies counts bob's locally stored messages by UIDL, checking
// that each one's file can be read.
func localPOPCopies(t *testing.T, dir string) map[string]int {
	t.Helper()
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "cache"), DataDir: filepath.Join(dir, "data"),
		ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatalf("reopening the cache after a kill: %v", err)
	}
	defer c.Close()
	msgs, err := c.List(cache.Query{Account: "bob", Folder: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]int{}
	for _, m := range msgs {
		rc, err := c.OpenBody(m.ID)
		if err != nil {
			t.Errorf("message %s is indexed but its file cannot be opened: %v", m.UID, err)
			continue
		}
		rc.Close()
		out[m.UID]++
	}
	return out
}

// TestHelperDovecotPOPSync is the child of the kill harness: it syncs
// bob's account until it is killed.
func TestHelperDovecotPOPSync(t *testing.T) {
	if os.Getenv("POSTA_KILL_CHILD") != "1" {
		t.Skip("helper process of TestPOP3KillHarnessAgainstDovecot")
	}
	s := requireStack(t)
	set := openAccounts(t, os.Getenv("POSTA_KILL_DIR"), s.pop3Account(t, false))
	a, _ := set.Get("bob")
	for {
		_, _ = a.Sync(context.Background(), nil)
	}
}
