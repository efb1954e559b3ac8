package ui

import (
	"io"
	"os/exec"
	"time"

	tea "github.com/charmbracelet/bubbletea"
)

// Bubble Tea (v1.3.10, the latest v1; charmbracelet/bubbletea#1778)
// stops its renderer for a command run with tea.Exec by signalling the
// renderer's goroutine, without waiting for that goroutine to stop its
// ticker; when the command returns, it resets the ticker and starts a new
// goroutine. If the old goroutine stops the ticker only after that reset,
// the screen is never drawn again: the program goes on, every key
// handled, while the terminal shows the frame from before the editor.
// An editor the user works in for seconds leaves the old goroutine all
// the time it needs; one that returns at once does not (an editor that
// is not installed, a `true` in the tests, a loaded machine). The
// compose screen stayed blank that way in CI.
//
// editorExec holds such a command back until execMinimum has passed
// since it started: by then the old goroutine, which had nothing left to
// do but stop the ticker, has run.
const execMinimum = 250 * time.Millisecond

// editorExec is a tea.ExecCommand that runs cmd and returns no sooner
// than execMinimum after it started.
type editorExec struct{ cmd *exec.Cmd }

func (e editorExec) SetStdin(r io.Reader)  { e.cmd.Stdin = r }
func (e editorExec) SetStdout(w io.Writer) { e.cmd.Stdout = w }
func (e editorExec) SetStderr(w io.Writer) { e.cmd.Stderr = w }

func (e editorExec) Run() error {
	start := time.Now()
	err := e.cmd.Run()
	if wait := execMinimum - time.Since(start); wait > 0 {
		time.Sleep(wait)
	}
	return err
}

// execEditor runs cmd with the terminal handed over, as tea.ExecProcess
// does, and reports its end through fn.
func execEditor(cmd *exec.Cmd, fn tea.ExecCallback) tea.Cmd {
	return tea.Exec(editorExec{cmd}, fn)
}
