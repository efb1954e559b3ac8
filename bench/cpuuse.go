package main

import (
	"fmt"
	"runtime"
	"time"
)

// A sync row's runs are CPU-bound on this 2-core machine: posta's work,
// the server's and the raw loop's compete for the same cores. cpuMeter
// records, for each run, the CPU time of the `posta sync` process and how
// long the machine's cores were busy in all while it ran (posta, the
// server, the system), and the same total while the raw loop ran, so that
// the report can say from this run's figures how much wall time that work
// needs at the least.
type cpuMeter struct {
	posta, postaBusy, rawBusy samples
}

// procRun is one `posta sync` process: its wall time, its own CPU time
// (user and system) and the machine's busy time while it ran (0 where
// /proc/stat cannot be read).
type procRun struct {
	wall, cpu, busy time.Duration
}

// busyDuring runs f and returns what it returns and the machine's busy
// time meanwhile (0 where it cannot be read).
func busyDuring(f func() (time.Duration, error)) (time.Duration, time.Duration, error) {
	before, ok := machineBusy()
	d, err := f()
	after, ok2 := machineBusy()
	if !ok || !ok2 {
		return d, 0, err
	}
	return d, after - before, err
}

func (m *cpuMeter) addPosta(r procRun) {
	m.posta = append(m.posta, ms(r.cpu))
	if r.busy > 0 {
		m.postaBusy = append(m.postaBusy, ms(r.busy))
	}
}

// raw runs a raw loop, records the machine's busy time meanwhile and
// returns what the loop returns.
func (m *cpuMeter) raw(loop func() (time.Duration, error)) (time.Duration, error) {
	d, busy, err := busyDuring(loop)
	if busy > 0 {
		m.rawBusy = append(m.rawBusy, ms(busy))
	}
	return d, err
}

// use is what the row keeps: medians, or nil when nothing was recorded.
func (m *cpuMeter) use() *cpuUse {
	if len(m.posta) == 0 || len(m.postaBusy) == 0 {
		return nil
	}
	return &cpuUse{Cores: runtime.NumCPU(), Posta: m.posta.median(), PostaBusy: m.postaBusy.median(), RawBusy: m.rawBusy.median()}
}

// cpuUse is what the machine's cores did during a sync row's runs
// (medians).
type cpuUse struct {
	Cores     int     `json:"cores"`
	Posta     float64 `json:"posta_process_cpu_ms"` // user + system time of the posta sync process
	PostaBusy float64 `json:"busy_during_posta_ms"` // all cores' busy time while posta sync ran
	RawBusy   float64 `json:"busy_during_raw_ms"`   // all cores' busy time while the raw loop ran
}

// cpuNote says, from a sync row's CPU figures, how long the work done
// while posta ran needs at the least on the machine's cores, against
// what the target allows (limit times the raw loop's figure).
func cpuNote(r result, limit float64) string {
	c := r.CPU
	if c == nil || c.Cores == 0 {
		return ""
	}
	floor := c.PostaBusy / float64(c.Cores)
	allowed := limit * r.Baseline
	s := fmt.Sprintf("While `posta sync` ran, the machine's %d cores were busy %.0f ms in all (medians): posta's process %.0f ms, "+
		"the rest (the server, its TLS, the system) %.0f ms; spread perfectly over %d cores that work needs at least %.0f ms, ",
		c.Cores, c.PostaBusy, c.Posta, max(c.PostaBusy-c.Posta, 0), c.Cores, floor)
	if c.RawBusy > 0 {
		s += fmt.Sprintf("while the raw loop's run kept them busy %.0f ms. ", c.RawBusy)
	} else {
		s += "and the raw loop's busy time was not read. "
	}
	if floor > allowed {
		s += fmt.Sprintf("The target allows %.0f ms (%.1f× the raw loop): the work itself, not how it overlaps, exceeds it by %.0f ms of CPU at least.",
			allowed, limit, c.PostaBusy-allowed*float64(c.Cores))
	} else {
		s += fmt.Sprintf("The target allows %.0f ms (%.1f× the raw loop): enough for that work were it spread evenly, so what is missing is overlap (the parts wait for each other).",
			allowed, limit)
	}
	return s
}
