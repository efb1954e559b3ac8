//go:build !windows

package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

var (
	binOnce sync.Once
	binPath string
	binErr  error
)

// postaBinary builds posta once per test run.
func postaBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "posta-bin-")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "posta")
		out, err := exec.Command("go", "build", "-o", binPath, "..").CombinedOutput()
		if err != nil {
			binErr = err
			t.Logf("go build: %s", out)
		}
	})
	if binErr != nil {
		t.Fatalf("building posta: %v", binErr)
	}
	return binPath
}

// waitFor polls cond every 10 ms until it holds or limit passes.
func waitFor(limit time.Duration, cond func() bool) bool {
	for end := time.Now().Add(limit); time.Now().Before(end); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return true
		}
	}
	return cond()
}

// TestSIGHUPClosesCleanly closes the terminal under posta (SIGHUP) in the
// middle of a long sync, and under the reader in tmux: posta must stop
// as it does on q, leaving the index marked clean, so the next start
// skips the integrity check.
func TestSIGHUPClosesCleanly(t *testing.T) {
	e := newEnv(t, 20000)
	bin := postaBinary(t)
	mark := filepath.Join(e.cache, "index.clean")

	t.Run("posta sync", func(t *testing.T) {
		cmd := exec.Command(bin, "--config", e.config, "--cache-dir", e.cache, "sync")
		var stderr strings.Builder
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		defer cmd.Process.Kill()
		// Wait until the sync is under way: the index exists and the mark
		// that a running session takes away is gone.
		if !waitFor(20*time.Second, func() bool {
			_, err := os.Stat(filepath.Join(e.cache, "index.db"))
			_, merr := os.Stat(mark)
			return err == nil && os.IsNotExist(merr)
		}) {
			t.Fatalf("the sync did not start: %s", stderr.String())
		}
		time.Sleep(100 * time.Millisecond)
		if err := cmd.Process.Signal(syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Logf("posta sync after SIGHUP: %v; stderr: %s", err, stderr.String())
			if ws, ok := cmd.ProcessState.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
				t.Fatalf("posta sync died of %v instead of stopping cleanly (%v)", ws.Signal(), err)
			}
		case <-time.After(15 * time.Second):
			t.Fatal("posta sync did not stop within 15 s of SIGHUP")
		}
		if _, err := os.Stat(mark); err != nil {
			t.Errorf("no clean mark after SIGHUP: %v\nstderr: %s", err, stderr.String())
		}
	})

	t.Run("reader in tmux", func(t *testing.T) {
		tmux, err := exec.LookPath("tmux")
		if err != nil {
			t.Skip("tmux is not installed")
		}
		session := "posta-sighup-" + strings.ReplaceAll(t.Name(), "/", "-")
		sock := filepath.Join(t.TempDir(), "tmux.sock")
		run := func(args ...string) (string, error) {
			out, err := exec.Command(tmux, append([]string{"-S", sock}, args...)...).CombinedOutput()
			return string(out), err
		}
		defer run("kill-server")
		line := strings.Join([]string{bin, "--config", e.config, "--cache-dir", e.cache}, " ")
		if out, err := run("new-session", "-d", "-s", session, "-x", "120", "-y", "40", line); err != nil {
			t.Fatalf("tmux: %v: %s", err, out)
		}
		if !waitFor(20*time.Second, func() bool {
			out, _ := run("capture-pane", "-p", "-t", session)
			return strings.Contains(out, "INBOX")
		}) {
			out, _ := run("capture-pane", "-p", "-t", session)
			t.Fatalf("the reader did not paint its index:\n%s", out)
		}
		if _, err := os.Stat(mark); !os.IsNotExist(err) {
			t.Fatalf("the clean mark is there while the reader runs (%v)", err)
		}
		// Closing the window: tmux sends SIGHUP to the pane's process.
		if out, err := run("kill-session", "-t", session); err != nil {
			t.Fatalf("tmux kill-session: %v: %s", err, out)
		}
		if !waitFor(15*time.Second, func() bool { _, err := os.Stat(mark); return err == nil }) {
			t.Fatal("the reader left no clean mark after its terminal closed (SIGHUP)")
		}
	})
}
