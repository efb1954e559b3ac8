package ui

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"runtime"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/sanitize"
)

// Piping the shown message to a command (|, as in mutt and aerc): the
// command gets the message's raw bytes on its standard input and runs
// in the background, without the terminal, which stays the reader's;
// what it writes is shown afterwards in a scrollable view, as text. Its
// output comes from a stranger's message (a `cat` would pass every
// escape sequence the message holds), so it is sanitized like the
// message itself, and kept to maxPipeOutput. The command ends with the
// reader.

// maxPipeOutput bounds what is kept of a piped command's output.
const maxPipeOutput = 1 << 20

// pipeDoneMsg reports the end of a piped command.
type pipeDoneMsg struct {
	command string
	output  []byte
	cut     bool // the output was longer than maxPipeOutput
	err     error
}

// shellArgv runs command with the platform's shell.
func shellArgv(command string) []string {
	if runtime.GOOS == "windows" {
		return []string{"cmd", "/C", command}
	}
	return []string{"sh", "-c", command}
}

// pipeCmd runs command with raw on its standard input.
func pipeCmd(ctx context.Context, raw []byte, command string) tea.Cmd {
	return func() tea.Msg {
		argv := shellArgv(command)
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		cmd.Stdin = bytes.NewReader(raw)
		out := &cappedBuffer{max: maxPipeOutput}
		cmd.Stdout, cmd.Stderr = out, out
		err := cmd.Run()
		return pipeDoneMsg{command: command, output: out.buf.Bytes(), cut: out.cut, err: err}
	}
}

// cappedBuffer keeps the first max bytes written to it and drops the
// rest, so that the command is never blocked on a full pipe.
type cappedBuffer struct {
	buf bytes.Buffer
	max int
	cut bool
}

func (c *cappedBuffer) Write(p []byte) (int, error) {
	if room := c.max - c.buf.Len(); room < len(p) {
		c.buf.Write(p[:max(room, 0)])
		c.cut = true
		return len(p), nil
	}
	return c.buf.Write(p)
}

// submitPipe pipes the shown message to the command typed after |.
func (m Model) submitPipe(command string) (tea.Model, tea.Cmd) {
	if command == "" {
		return m, nil
	}
	m.lastPipe = command
	m.setInfo("Piping the message to " + sanitize.Line(command) + "…")
	return m, pipeCmd(m.ctx, m.pager.raw, command)
}

// handlePipeDone shows what the piped command wrote, or says how it
// ended when it wrote nothing.
func (m Model) handlePipeDone(msg pipeDoneMsg) Model {
	command := sanitize.Line(msg.command)
	how := "done"
	if msg.err != nil {
		how = sanitize.Line(msg.err.Error())
		var exit *exec.ExitError
		if errors.As(msg.err, &exit) {
			how = fmt.Sprintf("exit status %d", exit.ExitCode())
		}
	}
	if len(msg.output) == 0 || (m.mode != modePager && m.mode != modeIndex && m.mode != modeHelp) {
		// Nothing to show, or the user is writing: the status line says
		// how it ended.
		if msg.err != nil {
			m.setError(fmt.Errorf("%s: %s", command, how))
		} else if len(msg.output) == 0 {
			m.setInfo(command + ": done, no output")
		} else {
			m.setInfo(command + ": done")
		}
		return m
	}
	text := sanitize.Text(string(bytes.ToValidUTF8(msg.output, []byte("\uFFFD"))))
	if msg.cut {
		text += fmt.Sprintf("\n[only the first %d KiB of the output are shown]\n", maxPipeOutput>>10)
	}
	if m.mode == modeHelp {
		m.mode = m.back // a second output replaces the first
	}
	m.openText(m.theme.Pager.Separator.Render("Output of "+command+" ("+how+"):") + "\n" + text)
	m.setInfo(command + ": " + how)
	return m
}
