package cli

import (
	"os"
	"path/filepath"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/trace"
)

// traceFlags are the global --trace and --trace-bodies flags and the
// tracer they open, shared by every command of one run.
type traceFlags struct {
	path   string
	bodies bool
	tracer *trace.Tracer
	// perAccount: path was chosen for the accounts with trace = true,
	// not by --trace or POSTA_TRACE.
	perAccount bool
}

// applyTrace gives every server of cfg the tracer of --trace (or
// POSTA_TRACE), opening its file on first use; without them, the
// servers of accounts with trace = true get one writing trace.log in
// the log folder.
func (g *globals) applyTrace(cfg *accounts.Config) error {
	if cfg == nil {
		return nil
	}
	t := &g.traceFlags
	if t.path == "" {
		t.path = os.Getenv("POSTA_TRACE")
	}
	all := t.path != "" && !t.perAccount
	if !all && t.path == "" {
		// Only the accounts that say trace = true, in the log folder.
		for _, ac := range cfg.Accounts {
			if ac.Trace {
				dir, err := g.logDir()
				if err != nil {
					return err
				}
				t.path, t.perAccount = filepath.Join(dir, "trace.log"), true
				break
			}
		}
	}
	if t.path == "" {
		return nil
	}
	if t.tracer == nil {
		tr, err := trace.Open(t.path, trace.Options{Bodies: t.bodies})
		if err != nil {
			return err
		}
		t.tracer = tr
	}
	for i := range cfg.Accounts {
		if !all && !cfg.Accounts[i].Trace {
			continue
		}
		cfg.Accounts[i].Fetch.Tracer = t.tracer
		cfg.Accounts[i].SMTP.Tracer = t.tracer
	}
	return nil
}

// closeTrace closes the trace file, if one was opened.
func (g *globals) closeTrace() {
	if g.traceFlags.tracer != nil {
		g.traceFlags.tracer.Close()
		g.traceFlags.tracer = nil
	}
}
