package cache

import (
	"bufio"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

const (
	crashEnv     = "POSTA_CACHE_CRASH_HELPER"
	crashAccount = "crash@pop"
	crashUIDLs   = 5000
)

// TestHelperProcess is the child of TestCrashDuringDelivery: like a POP3
// fetcher it delivers every UIDL not yet known and prints each one after
// DeliverPOP returned, until it is killed.
func TestHelperProcess(t *testing.T) {
	root := os.Getenv(crashEnv)
	if root == "" {
		t.Skip("helper process for TestCrashDuringDelivery")
	}
	c, err := Open(Options{Dir: filepath.Join(root, "cache"), DataDir: filepath.Join(root, "data")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	known, err := c.KnownUIDLs(crashAccount)
	if err != nil {
		fmt.Fprintln(os.Stderr, "known:", err)
		os.Exit(2)
	}
	fmt.Println("ready")
	for i := range crashUIDLs {
		uidl := fmt.Sprintf("uidl-%05d", i)
		if _, ok := known[uidl]; ok {
			continue
		}
		h := postamail.Header{Subject: fmt.Sprintf("message %d", i)}
		if _, err := c.DeliverPOP(crashAccount, uidl, h, strings.NewReader(rawMessage(i))); err != nil {
			fmt.Fprintln(os.Stderr, "deliver:", err)
			os.Exit(2)
		}
		fmt.Println("delivered", uidl)
	}
	c.Close()
	os.Exit(0)
}

func TestCrashDuringDelivery(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	root := t.TempDir()
	opts := Options{Dir: filepath.Join(root, "cache"), DataDir: filepath.Join(root, "data")}
	delivered := map[string]bool{}
	for round := range 6 {
		reported := runAndKill(t, root, time.Duration(rand.IntN(300))*time.Millisecond)
		for _, u := range reported {
			if delivered[u] {
				t.Errorf("round %d: %s delivered twice by the helper", round, u)
			}
			delivered[u] = true
		}
		c, err := Open(opts)
		if err != nil {
			t.Fatalf("round %d: Open() after SIGKILL error = %v", round, err)
		}
		checkCrashInvariants(t, c, opts, delivered)
		c.Close()
		t.Logf("round %d: %d reported this round, %d in total", round, len(reported), len(delivered))
	}
	if len(delivered) == 0 {
		t.Fatalf("the helper never delivered anything")
	}
}

// runAndKill starts the helper, waits until it is delivering, lets it run
// for d and kills it with SIGKILL. It returns the UIDLs it reported.
func runAndKill(t *testing.T, root string, d time.Duration) []string {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashEnv+"="+root)
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	lines := make(chan string, 1024)
	go func() {
		sc := bufio.NewScanner(out)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var reported []string
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for line := range lines {
		if line == "ready" && timer == nil {
			// A timer, not the reading loop, kills: the moment must not be
			// tied to the helper having just printed.
			timer = time.AfterFunc(d, func() { cmd.Process.Kill() })
		}
		if u, ok := strings.CutPrefix(line, "delivered "); ok {
			reported = append(reported, u)
		}
	}
	cmd.Wait()
	return reported
}

func checkCrashInvariants(t *testing.T, c *Cache, opts Options, delivered map[string]bool) {
	t.Helper()
	known, err := c.KnownUIDLs(crashAccount)
	if err != nil {
		t.Fatal(err)
	}
	ms, err := c.List(Query{Account: crashAccount})
	if err != nil {
		t.Fatal(err)
	}
	indexed := map[string]Message{}
	for _, m := range ms {
		if _, dup := indexed[m.UID]; dup {
			t.Errorf("UIDL %s indexed twice", m.UID)
		}
		indexed[m.UID] = m
	}
	for u := range delivered {
		if _, ok := known[u]; !ok {
			t.Errorf("reported UIDL %s is not known after the crash", u)
		}
		m, ok := indexed[u]
		if !ok {
			t.Errorf("reported UIDL %s has no message after the crash", u)
			continue
		}
		if body := readBody(t, c, m.ID); body != rawMessage(int(atoiSuffix(strings.TrimPrefix(u, "uidl-")))) {
			t.Errorf("UIDL %s: file content %q is not what was delivered", u, body)
		}
	}
	files := maildirFiles(t, opts.DataDir, crashAccount)
	fileUIDLs := map[string]bool{}
	for _, f := range files {
		key, _ := splitName(filepath.Base(f))
		u := uidlFromKey(key)
		if fileUIDLs[u] {
			t.Errorf("UIDL %s has two Maildir files", u)
		}
		fileUIDLs[u] = true
		if _, ok := indexed[u]; !ok {
			t.Errorf("Maildir file %s is not indexed", f)
		}
	}
	if len(files) != len(ms) || len(known) != len(ms) {
		t.Errorf("%d files, %d rows, %d known UIDLs; want all equal", len(files), len(ms), len(known))
	}
}
