package accounts

import (
	"context"
	"fmt"
	"io/fs"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/message"
)

// TestPOPSyncSurvivesKill downloads a POP3 mailbox with leave_on_server
// off in a child process that is killed at a random moment, several
// times. After every kill each message must be on the server or in the
// local mailbox (never lost), and no message may be stored twice.
func TestPOPSyncSurvivesKill(t *testing.T) {
	if testing.Short() {
		t.Skip("kills child processes")
	}
	f := startDemoFixture(t, 300)
	original := map[string]bool{}
	for _, m := range f.srv.POP3.Messages("bob") {
		original[m.UID] = true
	}
	leave := false
	f.cfg.Accounts[1].Fetch.LeaveOnServer = &leave
	home := f.cfg.Accounts[1]
	for round := 0; round < 5; round++ {
		// New mail arrives between kills, so some rounds download, delete
		// and QUIT before the kill and others are cut off midway.
		for i := 0; i < 150; i++ {
			raw := fmt.Sprintf("From: x@example.com\r\nTo: bob@home.example\r\nSubject: round %d #%d\r\nMessage-ID: <r%d.%d@example.com>\r\n\r\nbody\r\n", round, i, round, i)
			uidl, err := f.srv.POP3.Deliver("bob", []byte(raw))
			if err != nil {
				t.Fatal(err)
			}
			original[uidl] = true
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestHelperPOPSync$")
		cmd.Env = append(os.Environ(),
			"POSTA_HELPER_POP=1",
			"POSTA_HELPER_HOST="+home.Fetch.Host,
			"POSTA_HELPER_PORT="+strconv.Itoa(home.Fetch.Port),
			"POSTA_HELPER_CA="+home.Fetch.CAFile,
			"POSTA_HELPER_CACHE="+f.cacheDir,
			"POSTA_HELPER_DATA="+f.dataDir,
		)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		// Even rounds are killed mid-download; odd rounds right after a
		// session committed its deletions with QUIT (the next session has
		// begun by then), plus a little random slack.
		onServer := len(f.srv.POP3.Messages("bob"))
		stored := storedFiles(t, f.dataDir)
		deadline := time.Now().Add(20 * time.Second)
		for time.Now().Before(deadline) {
			if round%2 == 0 && storedFiles(t, f.dataDir) >= stored+20+rand.IntN(60) {
				break
			}
			if round%2 == 1 && len(f.srv.POP3.Messages("bob")) < onServer {
				break
			}
			time.Sleep(time.Millisecond)
		}
		time.Sleep(time.Duration(rand.IntN(5)) * time.Millisecond)
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		checkNothingLost(t, f, original, round)
	}
	// A sync to the end leaves everything local and nothing on the server.
	set := f.open(t)
	a, _ := set.Get("home")
	if _, err := a.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	if left := f.srv.POP3.Messages("bob"); len(left) != 0 {
		t.Errorf("%d messages still on the server after a full sync", len(left))
	}
	local := localUIDLs(t, set.Cache)
	for uidl := range original {
		if local[uidl] != 1 {
			t.Errorf("UIDL %s stored %d times locally, want 1", uidl, local[uidl])
		}
	}
}

// storedFiles counts the message files in the Maildirs under dir.
func storedFiles(t *testing.T, dir string) int {
	n := 0
	_ = filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(path)) == "cur" {
			n++
		}
		return nil
	})
	return n
}

func checkNothingLost(t *testing.T, f *demoFixture, original map[string]bool, round int) {
	t.Helper()
	c, err := cache.Open(cache.Options{Dir: f.cacheDir, DataDir: f.dataDir, ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatalf("round %d: reopening the cache: %v", round, err)
	}
	defer c.Close()
	local := localUIDLs(t, c)
	onServer := map[string]bool{}
	for _, m := range f.srv.POP3.Messages("bob") {
		onServer[m.UID] = true
	}
	for uidl := range original {
		if !onServer[uidl] && local[uidl] == 0 {
			t.Errorf("round %d: message %s is neither on the server nor stored locally", round, uidl)
		}
		if local[uidl] > 1 {
			t.Errorf("round %d: message %s stored %d times", round, uidl, local[uidl])
		}
	}
	t.Logf("round %d: %d local, %d on the server", round, len(local), len(onServer))
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

// TestHelperPOPSync is the child of TestPOPSyncSurvivesKill: it syncs the
// home account until it is killed.
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
		_ = a.fetch(context.Background(), nil, &SyncReport{})
	}
}
