package cache

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"
)

const (
	holdEnv = "POSTA_CACHE_HOLD_HELPER" // cache root
	holdDo  = "POSTA_CACHE_HOLD_DO"     // "", "lease:<name>", "claim:<outbox id>" or "hold:<outbox id>"
)

// TestHoldHelperProcess is the child of the tests below: another posta
// process that opens the cache, optionally takes a lease or claims an
// outbox item, says "ready" and waits to be killed (or for stdin to end,
// then closes the cache cleanly).
func TestHoldHelperProcess(t *testing.T) {
	root := os.Getenv(holdEnv)
	if root == "" {
		t.Skip("helper process for the multi-process cache tests")
	}
	c, err := Open(Options{Dir: filepath.Join(root, "cache"), DataDir: filepath.Join(root, "data")})
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	do := os.Getenv(holdDo)
	switch {
	case strings.HasPrefix(do, "lease:"):
		if _, _, err := c.AcquireLease(strings.TrimPrefix(do, "lease:"), time.Minute); err != nil {
			fmt.Fprintln(os.Stderr, "lease:", err)
			os.Exit(2)
		}
	case strings.HasPrefix(do, "claim:"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(do, "claim:"), 10, 64)
		if _, err := c.OutboxClaim(id, 0); err != nil {
			fmt.Fprintln(os.Stderr, "claim:", err)
			os.Exit(2)
		}
	case strings.HasPrefix(do, "hold:"):
		id, _ := strconv.ParseInt(strings.TrimPrefix(do, "hold:"), 10, 64)
		if _, err := c.OutboxHold(id); err != nil {
			fmt.Fprintln(os.Stderr, "hold:", err)
			os.Exit(2)
		}
	}
	fmt.Println("ready")
	bufio.NewReader(os.Stdin).ReadString('\n')
	c.Close()
	os.Exit(0)
}

// holder is a running helper process.
type holder struct {
	cmd   *exec.Cmd
	stdin interface{ Close() error }
}

func startHolder(t *testing.T, root, do string) *holder {
	t.Helper()
	if testing.Short() {
		t.Skip("spawns processes")
	}
	cmd := exec.Command(os.Args[0], "-test.run=^TestHoldHelperProcess$", "-test.count=1")
	cmd.Env = append(os.Environ(), holdEnv+"="+root, holdDo+"="+do)
	cmd.Stderr = os.Stderr
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	h := &holder{cmd: cmd, stdin: in}
	t.Cleanup(func() { h.kill() })
	line, _ := bufio.NewReader(out).ReadString('\n')
	if strings.TrimSpace(line) != "ready" {
		h.kill()
		t.Fatalf("helper did not get ready: %q", line)
	}
	return h
}

// kill kills the helper (a crash) and reaps it.
func (h *holder) kill() {
	if h.cmd.ProcessState == nil {
		h.cmd.Process.Kill()
		h.cmd.Wait()
	}
}

// close lets the helper close the cache cleanly and exit.
func (h *holder) close(t *testing.T) {
	h.stdin.Close()
	if err := h.cmd.Wait(); err != nil {
		t.Fatalf("helper: %v", err)
	}
}

func rootOptions(root string) Options {
	return Options{Dir: filepath.Join(root, "cache"), DataDir: filepath.Join(root, "data")}
}

func markExists(c *Cache) bool {
	_, err := os.Stat(c.cleanMarkPath())
	return err == nil
}

// TestCleanMarkWithSeveralProcesses: a process that closes while another
// still runs leaves no clean mark; the one that closes last does.
func TestCleanMarkWithSeveralProcesses(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	first, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	h := startHolder(t, root, "")
	a, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.checked {
		t.Error("Open while another process has the cache open ran the integrity check")
	}
	if err := a.Close(); err != nil {
		t.Fatal(err)
	}
	if markExists(a) {
		t.Fatal("Close left the clean mark while another process has the cache open")
	}
	h.close(t)
	if !markExists(a) {
		t.Fatal("the last process to close left no clean mark")
	}
	b := openTest(t, opts)
	if b.checked {
		t.Error("Open after every process closed cleanly ran the integrity check")
	}
}

// TestCrashWhileAnotherRunsIsCheckedLater: a process crashes while
// another has the cache open; the other closes cleanly afterwards, and the
// next Open still runs the check (the crashed process's holder row stays
// until a lone Open has checked the index).
func TestCrashWhileAnotherRunsIsCheckedLater(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	first, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	first.Close()
	a, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if a.checked {
		t.Error("Open after a clean close ran the integrity check")
	}
	h := startHolder(t, root, "")
	h.kill() // crash
	b, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if b.checked {
		t.Error("Open while another process runs ran the integrity check")
	}
	b.Close()
	a.Close()
	if markExists(a) {
		t.Fatal("a clean mark was left although a process crashed since the last check")
	}
	c, err := Open(opts)
	if err != nil {
		t.Fatal(err)
	}
	if !c.checked {
		t.Error("the first lone Open after a crash did not run the integrity check")
	}
	c.Close()
	d := openTest(t, opts)
	if d.checked {
		t.Error("the check ran again after it had passed and the cache was closed cleanly")
	}
}

func TestLeaseBetweenProcesses(t *testing.T) {
	root := t.TempDir()
	opts := rootOptions(root)
	h := startHolder(t, root, "lease:sync:home")
	c := openTest(t, opts)
	release, holder, err := c.AcquireLease("sync:home", time.Minute)
	var held *LeaseHeldError
	if !errors.As(err, &held) || !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("AcquireLease() of a lease another process holds: error = %v, want *LeaseHeldError", err)
	}
	if release != nil || held.PID != h.cmd.Process.Pid || held.Self || holder != held.Holder || holder == "" {
		t.Errorf("LeaseHeldError = %+v, holder %q; want pid %d, not self", held, holder, h.cmd.Process.Pid)
	}
	if want := fmt.Sprintf("another posta process (pid %d)", h.cmd.Process.Pid); !strings.Contains(err.Error(), want) {
		t.Errorf("error %q does not say %q", err, want)
	}
	// Other names are free.
	r2, _, err := c.AcquireLease("sync:work", time.Minute)
	if err != nil {
		t.Fatalf("AcquireLease(sync:work) error = %v", err)
	}
	r2()
	h.kill() // crash: the lease is free at once, long before it expires
	release, holder, err = c.AcquireLease("sync:home", time.Minute)
	if err != nil {
		t.Fatalf("AcquireLease() after its holder crashed: error = %v", err)
	}
	if !strings.HasPrefix(holder, fmt.Sprintf("%d@", os.Getpid())) {
		t.Errorf("holder = %q, want this process's id", holder)
	}
	// Not re-entrant, also within one process.
	if _, _, err := c.AcquireLease("sync:home", time.Minute); !errors.As(err, &held) || !held.Self {
		t.Errorf("second AcquireLease() in the same process: error = %v, want *LeaseHeldError with Self", err)
	}
	release()
	release() // harmless
	r3, _, err := c.AcquireLease("sync:home", time.Minute)
	if err != nil {
		t.Fatalf("AcquireLease() after release: error = %v", err)
	}
	// Close gives the lease back.
	c.Close()
	c2 := openTest(t, opts)
	r4, _, err := c2.AcquireLease("sync:home", time.Minute)
	if err != nil {
		t.Fatalf("AcquireLease() after the holder's Close: error = %v", err)
	}
	r3() // after Close: does nothing harmful
	r4()
}

// TestLeaseExpiryAndRenewal: a lease that is not renewed runs out after
// ttl even if its pid looks alive (another host, a reused pid); one whose
// holder still runs is renewed and stays held past ttl.
func TestLeaseExpiryAndRenewal(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	if _, err := c.db.Exec(`INSERT INTO leases (name, holder, pid, host, expires) VALUES ('x', 'elsewhere', 1, 'other-host', ?)`,
		time.Now().Add(-time.Second).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	release, _, err := c.AcquireLease("x", 300*time.Millisecond)
	if err != nil {
		t.Fatalf("AcquireLease() of an expired lease: error = %v", err)
	}
	defer release()
	d := openTest(t, opts)
	time.Sleep(time.Second) // more than three ttls: renewed meanwhile
	if _, _, err := d.AcquireLease("x", time.Minute); !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("AcquireLease() of a renewed lease after its ttl: error = %v, want ErrLeaseHeld", err)
	}
	if _, err := c.db.Exec(`UPDATE leases SET host = 'other-host', expires = ? WHERE name = 'x'`,
		time.Now().Add(time.Hour).UnixMilli()); err != nil {
		t.Fatal(err)
	}
	if _, _, err := d.AcquireLease("x", time.Minute); !errors.Is(err, ErrLeaseHeld) {
		t.Errorf("AcquireLease() of a lease held on another host: error = %v, want ErrLeaseHeld", err)
	}
}
