package cli

import (
	"os"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/trace"
)

// traceFlags are the global --trace and --trace-bodies flags and the
// tracer they open, shared by every command of one run.
type traceFlags struct {
	path   string
	bodies bool
	tracer *trace.Tracer
}

// applyTrace gives every server of cfg the tracer of --trace (or
// POSTA_TRACE), opening its file on first use. No flag, no tracer.
func (g *globals) applyTrace(cfg *accounts.Config) error {
	if cfg == nil {
		return nil
	}
	t := &g.traceFlags
	if t.path == "" {
		t.path = os.Getenv("POSTA_TRACE")
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
