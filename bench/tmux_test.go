package main

import (
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestTmuxLaunch drives a shell in the private tmux server: the text is
// found, the exit status is read, and a killed session's process is gone.
func TestTmuxLaunch(t *testing.T) {
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	tm, err := startTmux(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer tm.Close()
	start := time.Now()
	s, err := tm.launch([]string{"GREETING=hello"}, []string{"sh", "-c", `sleep 0.1; printf '%s %sx%s\n' "$GREETING" "$(tput cols)" "$(tput lines)"; read k; exit 3`})
	if err != nil {
		t.Fatal(err)
	}
	want := "hello 200x50"
	d, poll, err := s.waitFor(start, want, func(screen string) bool { return strings.Contains(screen, want) }, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if d < 100*time.Millisecond || poll <= 0 || poll > d {
		t.Errorf("waitFor = %v, poll %v", d, poll)
	}
	if err := s.keys("q", "Enter"); err != nil {
		t.Fatal(err)
	}
	// tmux now and then loses the status (-1).
	if code, err := s.waitExit(10 * time.Second); err != nil || (code != 3 && code != -1) {
		t.Errorf("waitExit = %d, %v; want 3", code, err)
	}
	s.kill()

	s, err = tm.launch(nil, []string{"sleep", "60"})
	if err != nil {
		t.Fatal(err)
	}
	s.kill()
	if processAlive(s.pid) {
		t.Errorf("pid %d still runs after kill", s.pid)
	}
	_, _, err = s.waitFor(time.Now(), "x", func(string) bool { return false }, time.Second)
	if err == nil {
		t.Error("waitFor on a killed session succeeded")
	}
}
