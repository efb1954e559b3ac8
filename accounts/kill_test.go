package accounts

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/message"
)

// killTrials is how many times TestPOPSyncSurvivesKill kills the syncing
// process.
const killTrials = 50

// TestPOPSyncSurvivesKill syncs a POP3 maildrop with delete-after-download
// in a child process killed with SIGKILL at a random moment, killTrials
// times, with new mail (some of it large) arriving between kills. Trials
// kill at a random delay, while a RETR streams, or around the QUIT that
// commits deletions. After every kill no message may be lost (each is on
// the server or stored locally) or stored twice; after a final sync every
// message is stored exactly once with the server's exact bytes.
func TestPOPSyncSurvivesKill(t *testing.T) {
	start := time.Now()
	f := startDemoFixture(t, 1)
	original := map[string][]byte{}
	for _, m := range f.srv.POP3.Messages("bob") {
		original[m.UID] = m.Data
	}
	leave := false
	f.cfg.Accounts[1].Fetch.LeaveOnServer = &leave
	var mu sync.Mutex
	var verbs []string
	f.srv.POP3.Observe = func(v string) { mu.Lock(); verbs = append(verbs, v); mu.Unlock() }
	seen := func(verb string, after int) int {
		mu.Lock()
		defer mu.Unlock()
		n := 0
		for _, v := range verbs[after:] {
			if v == verb {
				n++
			}
		}
		return n
	}
	verbsSince := func(after int) []string {
		mu.Lock()
		defer mu.Unlock()
		return append([]string(nil), verbs[after:]...)
	}
	interrupted := 0 // trials killed with mail still to fetch or delete
	for trial := 0; trial < killTrials; trial++ {
		deliverTrialMail(t, f, original, trial)
		mu.Lock()
		from := len(verbs)
		mu.Unlock()
		cmd := helperCommand(f)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Trial kinds: 0 a random moment of the session (from its first
		// command: process start-up takes longer than a whole sync on a
		// loaded machine); 1 a few ms into the k-th RETR (often mid-stream
		// in a large message); 2 around a QUIT.
		deadline := time.Now().Add(3 * time.Second)
		switch trial % 3 {
		case 0:
			for len(verbsSince(from)) == 0 && time.Now().Before(deadline) {
				time.Sleep(200 * time.Microsecond)
			}
			// A whole download of these few messages takes a few ms
			// since the background commits (issue 15): wider windows
			// mostly landed after it.
			time.Sleep(time.Duration(rand.IntN(6000)) * time.Microsecond)
		case 1:
			k := 1 + rand.IntN(3)
			for seen("RETR", from) < k && time.Now().Before(deadline) {
				time.Sleep(200 * time.Microsecond)
			}
			time.Sleep(time.Duration(rand.IntN(4000)) * time.Microsecond)
		case 2:
			for seen("QUIT", from) < 1 && time.Now().Before(deadline) {
				time.Sleep(100 * time.Microsecond)
			}
			time.Sleep(time.Duration(rand.IntN(3000)) * time.Microsecond)
		}
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if len(f.srv.POP3.Messages("bob")) > 0 {
			interrupted++
		}
		checkNothingLost(t, f, original, trial)
		if t.Failed() {
			break
		}
	}
	finalSyncAndCompare(t, f, original)
	t.Logf("%d kill trials (%d cut work short), %d messages, %v", killTrials, interrupted, len(original), time.Since(start).Round(time.Millisecond))
	// The random kills land within the session (after its first command)
	// and the others aim at RETR and QUIT: most cut work short (30 of 50
	// in runs on a loaded machine); a third shows the harness hits syncs
	// in flight.
	if interrupted < killTrials/3 {
		t.Errorf("only %d of %d kills interrupted a sync", interrupted, killTrials)
	}
}

// deliverTrialMail delivers three small messages, and a 2 MB one every
// other trial, to bob's maildrop, recording their bytes in original.
func deliverTrialMail(t *testing.T, f *demoFixture, original map[string][]byte, trial int) {
	t.Helper()
	n := 3
	if trial%2 == 1 {
		n = 4
	}
	for i := 0; i < n; i++ {
		raw := []byte(fmt.Sprintf("From: x@example.com\r\nTo: bob@home.example\r\nSubject: trial %d #%d\r\nMessage-ID: <t%d.%d@example.com>\r\n\r\nbody\r\n.leading dot\r\n", trial, i, trial, i))
		if i == 3 {
			raw = bigMessage(2 << 20)
		}
		uidl, err := f.srv.POP3.Deliver("bob", raw)
		if err != nil {
			t.Fatal(err)
		}
		original[uidl] = raw
	}
}

// TestPOPSyncSurvivesDroppedConnections syncs while the server drops the
// connection at a random byte of half the RETR replies, until a sync
// succeeds; the same invariants as the kill test hold after every sync.
func TestPOPSyncSurvivesDroppedConnections(t *testing.T) {
	f := startDemoFixture(t, 1)
	leave := false
	f.cfg.Accounts[1].Fetch.LeaveOnServer = &leave
	original := map[string][]byte{}
	for i := 0; i < 40; i++ {
		raw := []byte(fmt.Sprintf("Subject: drop %d\r\n\r\n.x\r\nbody %d\r\n", i, i))
		if i%8 == 0 {
			raw = bigMessage(1 << 20)
		}
		if _, err := f.srv.POP3.Deliver("bob", raw); err != nil {
			t.Fatal(err)
		}
	}
	for _, m := range f.srv.POP3.Messages("bob") {
		original[m.UID] = m.Data
	}
	var cutMu sync.Mutex
	cuts := 0
	f.srv.POP3.CutRETR = func(_ string, size int) int {
		cutMu.Lock()
		defer cutMu.Unlock()
		if rand.IntN(2) == 0 {
			return -1
		}
		cuts++
		return rand.IntN(size + 40) // may fall in the status line or the terminator
	}
	set := f.open(t)
	a, _ := set.Get("home")
	failures := 0
	for round := 0; round < 200; round++ {
		err := a.fetch(context.Background(), nil, &SyncReport{})
		checkNothingLost(t, f, original, round)
		if err == nil {
			break
		}
		failures++
	}
	f.srv.POP3.CutRETR = nil
	finalSyncAndCompare(t, f, original)
	t.Logf("%d syncs cut off by %d dropped RETRs before one completed", failures, cuts)
	if failures == 0 {
		t.Error("no sync was cut off; the test tested nothing")
	}
}

// finalSyncAndCompare syncs to the end and checks that the server is
// empty and every original message is stored once with identical bytes.
func finalSyncAndCompare(t *testing.T, f *demoFixture, original map[string][]byte) {
	t.Helper()
	set := f.open(t)
	a, _ := set.Get("home")
	if _, err := a.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if left := f.srv.POP3.Messages("bob"); len(left) != 0 {
		t.Errorf("%d messages still on the server after a full sync", len(left))
	}
	msgs, err := set.cache.List(cache.Query{Account: "home", Folder: "INBOX"})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, m := range msgs {
		count[m.UID]++
		want, ok := original[m.UID]
		if !ok {
			t.Errorf("local message %s was never on the server", m.UID)
			continue
		}
		rc, err := set.cache.OpenBody(m.ID)
		if err != nil {
			t.Errorf("message %s: %v", m.UID, err)
			continue
		}
		got, err := io.ReadAll(rc)
		rc.Close()
		if err != nil || !bytes.Equal(got, want) {
			t.Errorf("message %s: stored %d bytes differing from the server's %d (%v)", m.UID, len(got), len(want), err)
		}
	}
	for uidl := range original {
		if count[uidl] != 1 {
			t.Errorf("UIDL %s stored %d times locally, want 1", uidl, count[uidl])
		}
	}
}

func checkNothingLost(t *testing.T, f *demoFixture, original map[string][]byte, trial int) {
	t.Helper()
	c, err := cache.Open(cache.Options{Dir: f.cacheDir, DataDir: f.dataDir, ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatalf("trial %d: reopening the cache: %v", trial, err)
	}
	defer c.Close()
	local := localUIDLs(t, c)
	onServer := map[string]bool{}
	for _, m := range f.srv.POP3.Messages("bob") {
		onServer[m.UID] = true
	}
	for uidl := range original {
		if !onServer[uidl] && local[uidl] == 0 {
			t.Errorf("trial %d: message %s was deleted on the server but is not stored locally", trial, uidl)
		}
		if local[uidl] > 1 {
			t.Errorf("trial %d: message %s stored %d times", trial, uidl, local[uidl])
		}
	}
}

// localUIDLs counts the indexed local messages of the home account by
// UIDL, after checking that each one's file can be read.
func localUIDLs(t *testing.T, c *cache.Cache) map[string]int {
	t.Helper()
	msgs, err := c.List(cache.Query{Account: "home", Folder: "INBOX"})
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

// helperCommand runs TestHelperPOPSync in a child process on the
// fixture's home account and folders.
func helperCommand(f *demoFixture) *exec.Cmd {
	home := f.cfg.Accounts[1]
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPOPSync$")
	cmd.Env = append(os.Environ(),
		"POSTA_HELPER_POP=1",
		"POSTA_HELPER_HOST="+home.Fetch.Host,
		"POSTA_HELPER_PORT="+strconv.Itoa(home.Fetch.Port),
		"POSTA_HELPER_CA="+home.Fetch.CAFile,
		"POSTA_HELPER_CACHE="+f.cacheDir,
		"POSTA_HELPER_DATA="+f.dataDir,
	)
	return cmd
}

// TestHelperPOPSync is the child of TestPOPSyncSurvivesKill: it syncs the
// home account with delete-after-download until it is killed.
func TestHelperPOPSync(t *testing.T) {
	if os.Getenv("POSTA_HELPER_POP") != "1" {
		t.Skip("helper process")
	}
	port, _ := strconv.Atoi(os.Getenv("POSTA_HELPER_PORT"))
	leave := false
	cfg := &Config{Accounts: []AccountConfig{{
		Name: "home", Address: "bob@home.example",
		Fetch: FetchConfig{Kind: "pop3", LeaveOnServer: &leave, ServerConfig: ServerConfig{
			Host: os.Getenv("POSTA_HELPER_HOST"), Port: port, Security: "tls",
			Username: "bob", Password: "password", CAFile: os.Getenv("POSTA_HELPER_CA"),
		}},
		SMTP: ServerConfig{Host: "127.0.0.1", Port: 1, Security: "tls"},
	}}}
	c, err := cache.Open(cache.Options{Dir: os.Getenv("POSTA_HELPER_CACHE"), DataDir: os.Getenv("POSTA_HELPER_DATA"), ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatal(err)
	}
	set, err := Open(cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	a, _ := set.Get("home")
	for {
		if err := a.fetch(context.Background(), nil, &SyncReport{}); err != nil {
			time.Sleep(5 * time.Millisecond) // e.g. [IN-USE] while the last session ends
		}
	}
}
