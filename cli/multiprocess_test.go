package cli

import (
	"bytes"
	"context"
	"database/sql"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/demo"
)

// The multi-process harness: real posta binaries, started at the same
// time on one cache and data folder, against the demo servers over real
// sockets (issue 14: "several posta processes at once are safe").

// buildPosta builds the posta binary into a temporary folder.
func buildPosta(t *testing.T) string {
	t.Helper()
	goBin, err := exec.LookPath("go")
	if err != nil {
		t.Skip("no go command on PATH to build posta with")
	}
	bin := filepath.Join(t.TempDir(), "posta")
	if runtime.GOOS == "windows" {
		bin += ".exe"
	}
	cmd := exec.Command(goBin, "build", "-o", bin, "github.com/posta-mail/posta")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// mpEnv is one round: demo servers, a configuration and a fresh cache.
type mpEnv struct {
	t                 *testing.T
	bin               string
	srv               *demo.Servers
	config            string
	cacheDir, dataDir string
}

func newMPEnv(t *testing.T, bin string, messages int) *mpEnv {
	t.Helper()
	srv, err := demo.Start(demo.Options{Messages: messages})
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	cfg, err := writeDemoConfig(dir, srv)
	if err != nil {
		t.Fatal(err)
	}
	cacheDir := filepath.Join(dir, "cache")
	return &mpEnv{t: t, bin: bin, srv: srv, config: cfg, cacheDir: cacheDir, dataDir: filepath.Join(cacheDir, "data")}
}

// result is how one posta process ended.
type result struct {
	args   []string
	err    error // nil: exit status 0
	output string
}

// start runs posta with args and stdin in the background.
func (e *mpEnv) start(ctx context.Context, stdin string, args ...string) func() result {
	full := append([]string{"--config", e.config, "--cache-dir", e.cacheDir}, args...)
	cmd := exec.CommandContext(ctx, e.bin, full...)
	cmd.Env = append(os.Environ(), "POSTA_CACHE_DIR=", "POSTA_DATA_DIR=", "NO_COLOR=1")
	cmd.Stdin = strings.NewReader(stdin)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		e.t.Fatalf("start posta %v: %v", args, err)
	}
	return func() result {
		err := cmd.Wait()
		return result{args: args, err: err, output: out.String()}
	}
}

func (e *mpEnv) mustRun(args ...string) string {
	e.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r := e.start(ctx, "", args...)()
	if r.err != nil {
		e.t.Fatalf("posta %v: %v\n%s", args, r.err, r.output)
	}
	return r.output
}

// queue puts messages in the outbox through the cache, as a Send that
// was cut short would leave them, and returns their subjects.
func (e *mpEnv) queue(round, n int) []string {
	e.t.Helper()
	c, err := cache.Open(cache.Options{Dir: e.cacheDir, DataDir: e.dataDir})
	if err != nil {
		e.t.Fatal(err)
	}
	defer c.Close()
	var subjects []string
	for i := range n {
		account, from := "work", "alice@work.example"
		if i%2 == 1 {
			account, from = "home", "bob@home.example"
		}
		subject := fmt.Sprintf("queued round %d message %d %d", round, i, time.Now().UnixNano())
		raw := fmt.Sprintf("From: %s\r\nTo: bob@home.example\r\nSubject: %s\r\nMessage-Id: <r%dm%d@test>\r\n\r\nHello.\r\n",
			from, subject, round, i)
		if _, err := c.OutboxAdd(account, from, []string{"bob@home.example"}, []byte(raw)); err != nil {
			e.t.Fatal(err)
		}
		subjects = append(subjects, subject)
	}
	return subjects
}

// delivered counts, per subject, the messages the SMTP server delivered
// to bob's POP3 maildrop.
func (e *mpEnv) delivered() map[string]int {
	n := map[string]int{}
	for _, m := range e.srv.POP3.Messages("bob") {
		for _, line := range strings.Split(string(m.Data), "\r\n") {
			if line == "" {
				break
			}
			if s, ok := strings.CutPrefix(line, "Subject: "); ok {
				n[s]++
			}
		}
	}
	return n
}

// summaryLine is posta sync's closing count of the accounts that failed.
var summaryLine = regexp.MustCompile(`^\d+ of \d+ accounts? `)

// acceptable reports whether a process that failed said why in a way the
// user can act on, for every failure it reports: another posta process
// has the work in hand.
func acceptable(r result) bool {
	if r.err == nil {
		return true
	}
	reasons := 0
	for _, line := range strings.Split(r.output, "\n") {
		_, failure, ok := strings.Cut(line, "sync failed: ")
		if !ok {
			failure, ok = strings.CutPrefix(line, "posta: ")
			if !ok || summaryLine.MatchString(failure) {
				continue
			}
		}
		for _, part := range strings.Split(failure, "\u240a") { // sanitize.Line's newline
			reasons++
			if !strings.Contains(part, "another posta process") {
				return false
			}
		}
	}
	return reasons > 0
}

// checkCache checks the cache after every process ended: the index passes
// SQLite's integrity check, the last Close left the clean mark, every
// POP3 message of the server is stored exactly once in the index and in
// the Maildir, and the Maildir holds exactly the indexed files.
func (e *mpEnv) checkCache(label string) {
	t := e.t
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+filepath.ToSlash(filepath.Join(e.cacheDir, "index.db")))
	if err != nil {
		t.Fatal(err)
	}
	var check string
	if err := db.QueryRow("PRAGMA integrity_check").Scan(&check); err != nil || check != "ok" {
		t.Errorf("%s: integrity_check = %q, %v; want ok", label, check, err)
	}
	var holders, leases int
	db.QueryRow("SELECT COUNT(*) FROM holders").Scan(&holders)
	db.QueryRow("SELECT COUNT(*) FROM leases").Scan(&leases)
	db.Close()
	if holders != 0 || leases != 0 {
		t.Errorf("%s: %d holders and %d leases left after every process closed, want none", label, holders, leases)
	}
	if _, err := os.Stat(filepath.Join(e.cacheDir, "index.clean")); err != nil {
		t.Errorf("%s: no clean mark after every process closed cleanly: %v", label, err)
	}

	c, err := cache.Open(cache.Options{Dir: e.cacheDir, DataDir: e.dataDir})
	if err != nil {
		t.Fatalf("%s: open the cache: %v", label, err)
	}
	defer c.Close()
	if c.Rebuilt() {
		t.Errorf("%s: the cache was found damaged and rebuilt", label)
	}
	rows, err := c.List(cache.Query{Account: "home"})
	if err != nil {
		t.Fatal(err)
	}
	byUID := map[string]int{}
	for _, m := range rows {
		byUID[m.UID]++
	}
	for uid, n := range byUID {
		if n > 1 {
			t.Errorf("%s: POP3 UIDL %s is indexed %d times", label, uid, n)
		}
	}
	server := e.srv.POP3.Messages("bob")
	for _, m := range server {
		if byUID[m.UID] != 1 {
			t.Errorf("%s: server message %s is indexed %d times, want once", label, m.UID, byUID[m.UID])
		}
	}
	files := 0
	root := filepath.Join(e.dataDir, "home")
	filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && d.Type().IsRegular() && filepath.Base(filepath.Dir(path)) != "tmp" {
			files++
		}
		return nil
	})
	if files != len(rows) {
		t.Errorf("%s: %d Maildir files for %d indexed messages of home, want equal", label, files, len(rows))
	}
	if len(server) == 0 || len(rows) < len(server) {
		t.Errorf("%s: %d messages indexed for %d on the server", label, len(rows), len(server))
	}
}

func TestMultiProcess(t *testing.T) {
	if testing.Short() {
		t.Skip("builds posta and runs it many times")
	}
	bin := buildPosta(t)

	// A message another process is sending is skipped, and says so.
	t.Run("claimed message is skipped", func(t *testing.T) {
		e := newMPEnv(t, bin, 2)
		subjects := e.queue(0, 1)
		c, err := cache.Open(cache.Options{Dir: e.cacheDir, DataDir: e.dataDir})
		if err != nil {
			t.Fatal(err)
		}
		items, _ := c.Outbox("")
		if _, err := c.OutboxClaim(items[0].ID, 0); err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		r := e.start(ctx, "", "outbox", "flush")()
		want := fmt.Sprintf("being sent by another posta process (pid %d); skipped", os.Getpid())
		if r.err == nil || !strings.Contains(r.output, want) {
			t.Errorf("posta outbox flush of a claimed message: %v\n%s\nwant a failure that says %q", r.err, r.output, want)
		}
		if n := e.delivered()[subjects[0]]; n != 0 {
			t.Errorf("the claimed message was delivered %d times, want 0", n)
		}
		if err := c.OutboxRelease(items[0].ID); err != nil {
			t.Fatal(err)
		}
		c.Close()
		e.mustRun("outbox", "flush")
		if n := e.delivered()[subjects[0]]; n != 1 {
			t.Errorf("after the claim was released the message was delivered %d times, want 1", n)
		}
	})

	t.Run("rounds", func(t *testing.T) {
		const rounds, queued = 8, 4
		for round := range rounds {
			e := newMPEnv(t, bin, 12)
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			commands := [][]string{{"sync"}, {"sync"}, {"outbox", "flush"}}
			var subjects []string
			var stdin []string
			if round%2 == 0 {
				// No cache yet: every process creates it at once, and one
				// sends a new message while the others flush the outbox.
				subject := fmt.Sprintf("sent in round %d %d", round, time.Now().UnixNano())
				subjects = append(subjects, subject)
				commands = append(commands, []string{"send", "--account", "work"})
				stdin = append(stdin, "From: alice@work.example\r\nTo: bob@home.example\r\nSubject: "+subject+"\r\n\r\nHi.\r\n")
			} else {
				// Mail waits in the outbox of an existing cache.
				subjects = e.queue(round, queued)
				commands = append(commands, []string{"sync", "--account", "home"})
			}
			waits := make([]func() result, len(commands))
			for i, args := range commands {
				in := ""
				if args[0] == "send" {
					in = stdin[0]
				}
				waits[i] = e.start(ctx, in, args...)
			}
			results := make([]result, len(commands))
			var wg sync.WaitGroup
			for i := range waits {
				wg.Add(1)
				go func() {
					defer wg.Done()
					results[i] = waits[i]()
				}()
			}
			wg.Wait()
			cancel()
			label := fmt.Sprintf("round %d", round)
			for _, r := range results {
				for _, bad := range []string{"SQL logic error", "database is locked", "SQLITE_BUSY", "panic:"} {
					if strings.Contains(r.output, bad) {
						t.Errorf("%s: posta %v said %q:\n%s", label, r.args, bad, r.output)
					}
				}
				if !acceptable(r) {
					t.Errorf("%s: posta %v failed (%v) without saying another process has the work:\n%s", label, r.args, r.err, r.output)
				}
			}
			got := e.delivered()
			for _, s := range subjects {
				if got[s] > 1 {
					t.Errorf("%s: %q was delivered %d times", label, s, got[s])
				}
			}
			// Whatever a skipped or refused run left is done now, in turn.
			e.mustRun("outbox", "flush")
			e.mustRun("sync")
			got = e.delivered()
			for _, s := range subjects {
				if got[s] != 1 {
					t.Errorf("%s: %q was delivered %d times, want exactly once", label, s, got[s])
				}
			}
			e.checkCache(label)
			if t.Failed() {
				for _, r := range results {
					t.Logf("%s: posta %v: %v\n%s", label, r.args, r.err, r.output)
				}
				return
			}
		}
	})
}
