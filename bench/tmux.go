package main

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The terminal every measured program gets: a tmux pane of this size.
const (
	termCols = 200
	termRows = 50
)

// pollPause is the pause between two screen captures while waiting for a
// text; one capture takes well under a millisecond more (see control).
const pollPause = 5 * time.Millisecond

// tmuxServer is a private tmux server (its own socket, no configuration
// file) in which each measured program runs in a fresh detached session
// of termCols×termRows, with no status line. A keeper session holds the
// server up between runs, so no run pays for the server's start.
//
// Screens are read through one control-mode client (tmux -C) attached to
// the keeper session: a capture is a line written to it and a block read
// back, not a tmux process started every few milliseconds, which would
// cost more time than the capture and take CPU from the program measured.
// Launching, keys and kills use a tmux command each.
type tmuxServer struct {
	socket string
	runs   int
	ctl    *control
}

// startTmux starts the server with its socket in dir.
func startTmux(dir string) (*tmuxServer, error) {
	if _, err := exec.LookPath("tmux"); err != nil {
		return nil, errors.New("tmux is not installed")
	}
	t := &tmuxServer{socket: filepath.Join(dir, "tmux.sock")}
	size := fmt.Sprintf("%dx%d", termCols, termRows)
	if _, err := t.cmd("-f", "/dev/null", "new-session", "-d", "-s", "keeper",
		"-x", strconv.Itoa(termCols), "-y", strconv.Itoa(termRows), "sleep", "86400"); err != nil {
		return nil, err
	}
	for _, opt := range [][]string{
		{"-g", "status", "off"},
		{"-g", "default-size", size},
		{"-g", "default-terminal", "tmux-256color"},
		{"-g", "history-limit", "100"},
		{"-gw", "remain-on-exit", "on"}, // a program that fails leaves its last screen to report
	} {
		if _, err := t.cmd(append([]string{"set-option"}, opt...)...); err != nil {
			t.Close()
			return nil, err
		}
	}
	ctl, err := startControl(t.socket)
	if err != nil {
		t.Close()
		return nil, err
	}
	t.ctl = ctl
	return t, nil
}

// cmd runs one tmux client command against the server.
func (t *tmuxServer) cmd(args ...string) (string, error) {
	c := exec.Command("tmux", append([]string{"-S", t.socket}, args...)...)
	var out, errOut bytes.Buffer
	c.Stdout, c.Stderr = &out, &errOut
	if err := c.Run(); err != nil {
		return out.String(), fmt.Errorf("tmux %s: %v: %s", args[0], err, strings.TrimSpace(errOut.String()))
	}
	return out.String(), nil
}

// Close stops the server and everything still running in it.
func (t *tmuxServer) Close() {
	t.cmd("kill-server")
	if t.ctl != nil {
		t.ctl.close()
	}
}

// control is a tmux control-mode client: it writes one command a line and
// reads its output between %begin and %end (or %error) lines whose flags
// are 1 (blocks with flags 0 answer commands that are not this client's,
// such as its own attach); other lines are notifications. Not safe for
// concurrent use.
type control struct {
	cmd *exec.Cmd
	in  io.WriteCloser
	out *bufio.Reader
}

func startControl(socket string) (*control, error) {
	cmd := exec.Command("tmux", "-S", socket, "-C", "attach-session", "-t", "keeper")
	in, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("tmux control client: %w", err)
	}
	c := &control{cmd: cmd, in: in, out: bufio.NewReader(out)}
	if got, err := c.run("display-message -p ready"); err != nil || got != "ready\n" {
		c.close()
		return nil, fmt.Errorf("tmux control client answered %q, %v", got, err)
	}
	return c, nil
}

// run sends one tmux command line (tmux's own quoting) and returns its
// output.
func (c *control) run(line string) (string, error) {
	if _, err := io.WriteString(c.in, line+"\n"); err != nil {
		return "", fmt.Errorf("tmux control client: %w", err)
	}
	var out strings.Builder
	in := false
	for {
		l, err := c.out.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("tmux control client: %w", err)
		}
		switch {
		case !in:
			if f := strings.Fields(l); len(f) == 4 && f[0] == "%begin" && f[3] == "1" {
				in = true
			}
		case strings.HasPrefix(l, "%end ") || strings.HasPrefix(l, "%error "):
			if strings.HasPrefix(l, "%error ") {
				return "", fmt.Errorf("tmux %s: %s", line, strings.TrimSpace(out.String()))
			}
			return out.String(), nil
		default:
			out.WriteString(l)
		}
	}
}

func (c *control) close() {
	c.in.Close()
	c.cmd.Wait()
}

// session is one program running in its own tmux session.
type session struct {
	t    *tmuxServer
	name string
	pid  int // the program's process id (tmux runs it directly, no shell)
}

// launch starts argv in a fresh session with env added to the server's
// environment.
func (t *tmuxServer) launch(env, argv []string) (*session, error) {
	t.runs++
	s := &session{t: t, name: "run" + strconv.Itoa(t.runs)}
	args := []string{"new-session", "-d", "-s", s.name, "-x", strconv.Itoa(termCols), "-y", strconv.Itoa(termRows),
		"-P", "-F", "#{pane_pid}"}
	for _, e := range env {
		args = append(args, "-e", e)
	}
	out, err := t.cmd(append(args, argv...)...)
	if err != nil {
		return nil, err
	}
	if s.pid, err = strconv.Atoi(strings.TrimSpace(out)); err != nil {
		s.kill()
		return nil, fmt.Errorf("tmux new-session printed %q, not a pid", out)
	}
	return s, nil
}

// screen returns the visible text of the pane and whether its program has
// exited.
func (s *session) screen() (string, bool, error) {
	text, err := s.t.ctl.run("capture-pane -p -t " + s.name)
	if err != nil {
		return "", false, err
	}
	dead, err := s.t.ctl.run("display-message -p -t " + s.name + " '#{pane_dead}'")
	if err != nil {
		return "", false, err
	}
	return text, strings.TrimSpace(dead) == "1", nil
}

// errNotShown is the error of a wait that ran out of time.
var errNotShown = errors.New("did not appear in time")

// waitFor polls the screen until match accepts it and returns the time
// from start to the end of the capture that showed it, and the mean time
// between two captures (0 when the first one showed it). It fails when the program exits first or timeout
// passes, with what (the awaited text) and the last screen in the error.
func (s *session) waitFor(start time.Time, what string, match func(string) bool, timeout time.Duration) (time.Duration, time.Duration, error) {
	polls := 0
	var first time.Time
	for {
		text, dead, err := s.screen()
		if err != nil {
			return 0, 0, err
		}
		if polls++; polls == 1 {
			first = time.Now()
		}
		if match(text) {
			d := time.Since(start)
			interval := time.Duration(0)
			if polls > 1 {
				interval = time.Since(first) / time.Duration(polls-1)
			}
			return d, interval, nil
		}
		if dead {
			return 0, 0, fmt.Errorf("exited before %s appeared; last screen:\n%s", what, trimScreen(text))
		}
		if time.Since(start) > timeout {
			return 0, 0, fmt.Errorf("%s %w (%v); last screen:\n%s", what, errNotShown, timeout, trimScreen(text))
		}
		time.Sleep(pollPause)
	}
}

// waitExit waits until the program has exited, for at most timeout, and
// returns its exit status: -1 when tmux does not know it (see below), an
// error when a signal ended the program.
func (s *session) waitExit(timeout time.Duration) (int, error) {
	deadline := time.Now().Add(timeout)
	var gone time.Time // when the pane was first seen dead and the process gone
	for {
		// The pane is dead once its terminal closed; the status comes when
		// tmux has reaped the process, a moment later. Now and then tmux
		// 3.3 never records it: after a second without one, the exit
		// counts as clean with an unknown status.
		out, err := s.t.ctl.run("display-message -p -t " + s.name + " '#{pane_dead}:#{pane_dead_status}:#{pane_dead_signal}'")
		if err != nil {
			return 0, err
		}
		f := strings.Split(strings.TrimSpace(out), ":")
		if len(f) == 3 && f[0] == "1" && !processAlive(s.pid) {
			switch {
			case f[2] != "":
				return 0, fmt.Errorf("ended by signal %s", f[2])
			case f[1] != "":
				return strconv.Atoi(f[1])
			case gone.IsZero():
				gone = time.Now()
			case time.Since(gone) > time.Second:
				return -1, nil
			}
		}
		if time.Now().After(deadline) {
			text, _, _ := s.screen()
			return 0, fmt.Errorf("still running %v after being asked to quit; last screen:\n%s", timeout, trimScreen(text))
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// keys sends tmux key names (send-keys syntax: "q", "Enter", ":quit").
func (s *session) keys(keys ...string) error {
	_, err := s.t.cmd(append([]string{"send-keys", "-t", s.name}, keys...)...)
	return err
}

// kill ends the session and makes sure its program is gone (SIGHUP from
// tmux, then SIGKILL to that one process after 5 s), so that a dying run
// does not eat the next run's CPU.
func (s *session) kill() {
	s.t.cmd("kill-session", "-t", s.name)
	if s.pid <= 0 {
		return
	}
	deadline := time.Now().Add(5 * time.Second)
	for processAlive(s.pid) {
		if time.Now().After(deadline) {
			killHard(s.pid)
			deadline = time.Now().Add(5 * time.Second)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

// processAlive reports whether pid still runs (a zombie counts as gone).
func processAlive(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return signalable(pid) // no /proc: ask the kernel
	}
	// The state follows the command name in parentheses.
	i := bytes.LastIndexByte(b, ')')
	return i < 0 || i+2 >= len(b) || b[i+2] != 'Z'
}

// trimScreen drops the blank lines at the end of a captured screen.
func trimScreen(s string) string {
	lines := strings.Split(strings.TrimRight(s, "\n "), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " ")
	}
	return strings.Join(lines, "\n")
}
