package cli

import (
	"errors"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/logfile"
	"github.com/posta-mail/posta/ui"
)

// logState is the log file of one run, opened on first use.
type logState struct {
	file   *logfile.File
	logger *slog.Logger
	tried  bool
}

// logDir is where the log lives: POSTA_LOG_DIR, else the "log" folder
// of --cache-dir when one was given (so tests and the demo keep to
// their folder), else the user's state folder.
func (g *globals) logDir() (string, error) {
	if d := os.Getenv("POSTA_LOG_DIR"); d != "" {
		return d, nil
	}
	if g.cacheDir != "" {
		return filepath.Join(g.cacheDir, "log"), nil
	}
	return logfile.DefaultDir()
}

// logger returns the run's logger; nil when the log cannot be opened
// (a log never makes a command fail).
func (g *globals) logger() *slog.Logger {
	if g.logState.tried {
		return g.logState.logger
	}
	g.logState.tried = true
	dir, err := g.logDir()
	if err != nil {
		return nil
	}
	f, err := logfile.Open(dir, logfile.Options{})
	if err != nil {
		return nil
	}
	g.logState.file, g.logState.logger = f, f.Logger()
	return g.logState.logger
}

// logWarn records a background failure, with its account.
func (g *globals) logWarn(msg, account string, err error) {
	if l := g.logger(); l != nil {
		l.Warn(msg, "account", account, "err", err.Error())
	}
}

// logCommandError records the error a command ended with.
func (g *globals) logCommandError(cmd *cobra.Command, err error) {
	var ee exitError
	if err == nil || errors.As(err, &ee) {
		return
	}
	name := "posta"
	if cmd != nil {
		name = cmd.CommandPath()
	}
	if l := g.logger(); l != nil {
		l.Error("command failed", "command", name, "account", g.account, "err", strings.TrimSpace(err.Error()))
	}
}

func (g *globals) closeLog() {
	if g.logState.file != nil {
		g.logState.file.Close()
		g.logState.file = nil
	}
}

// withLog has the reader keep the errors it shows in the run's log, and
// name the log file when an error is longer than the status line.
func (g *globals) withLog(o ui.Options) ui.Options {
	if l := g.logger(); l != nil {
		o.Log, o.LogPath = l, g.logState.file.Path()
	}
	return o
}
