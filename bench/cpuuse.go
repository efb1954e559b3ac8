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
// needs at the least. It also records, for each run, the time the
// hypervisor took the cores away (steal, not counted as busy): posta, which
// keeps both cores busy, is slowed by it more than the raw loop, so a pair
// of runs during which it was high is measured again (see cpuquiet.go).
type cpuMeter struct {
	posta, postaBusy, rawBusy samples
	// postaSteal and rawSteal are the time stolen during each run (ms),
	// postaShare and rawShare the share of the cores' time it was (%).
	postaSteal, rawSteal, postaShare, rawShare samples
	// redone counts the pairs dropped and measured again; kept counts
	// the pairs kept with steal above stealMax because stealRedoMax
	// pairs had been measured again already.
	redone, kept int
	// timed runs a raw loop and reads the cores' times around it:
	// during, unless a test sets it.
	timed func(func() (time.Duration, error)) (time.Duration, cpuTimes, error)
}

// procRun is one `posta sync` process: its wall time, its own CPU time
// (user and system) and what the machine's cores did while it ran (zero
// where /proc/stat cannot be read).
type procRun struct {
	wall, cpu time.Duration
	machine   cpuTimes
}

// during runs f and returns what it returns and what the machine's cores
// did meanwhile (zero where it cannot be read).
func during(f func() (time.Duration, error)) (time.Duration, cpuTimes, error) {
	before, ok := machineTimes()
	d, err := f()
	after, ok2 := machineTimes()
	if !ok || !ok2 {
		return d, cpuTimes{}, err
	}
	return d, after.sub(before), err
}

// disturbed says whether the hypervisor took more than stealMax of the
// cores' time during the raw loop's run or posta's (whichever is known;
// see tooMuchSteal): the pair is then measured again, both runs alike.
func disturbed(raw, posta cpuTimes, cores int) bool {
	return tooMuchSteal(raw, cores) || tooMuchSteal(posta, cores)
}

// pair measures the raw loop (rawName names it in errors) and then posta
// once each and records what the cores did during both; posta returns a
// zero procRun when there is no `posta sync` to run. When the pair was
// disturbed and fewer than stealRedoMax of the row's pairs were measured
// again, it drops both runs and measures the pair again.
func (m *cpuMeter) pair(rawName string, raw func() (time.Duration, error), posta func() (procRun, error)) (time.Duration, procRun, error) {
	timed := m.timed
	if timed == nil {
		timed = during
	}
	for {
		d, rawTimes, err := timed(raw)
		if err != nil {
			return d, procRun{}, fmt.Errorf("%s: %w", rawName, err)
		}
		run, err := posta()
		if err != nil {
			return d, run, err
		}
		if disturbed(rawTimes, run.machine, runtime.NumCPU()) {
			if m.redone < stealRedoMax {
				m.redone++
				logf("the hypervisor took %.0f%% of the cores' time during the raw loop (%.0f ms) and %.0f%% during posta sync (%.0f ms): both dropped, measuring the pair again (%d of at most %d)",
					100*rawTimes.stealShare(), ms(d), 100*run.machine.stealShare(), ms(run.wall), m.redone, stealRedoMax)
				continue
			}
			m.kept++
		}
		m.addRaw(rawTimes)
		if run.wall > 0 {
			m.addPosta(run)
		}
		return d, run, nil
	}
}

func (m *cpuMeter) addPosta(r procRun) {
	m.posta = append(m.posta, ms(r.cpu))
	if r.machine.known() {
		m.postaBusy = append(m.postaBusy, ms(r.machine.busy))
		m.postaSteal = append(m.postaSteal, ms(r.machine.steal))
		m.postaShare = append(m.postaShare, 100*r.machine.stealShare())
	}
}

func (m *cpuMeter) addRaw(t cpuTimes) {
	if t.known() {
		m.rawBusy = append(m.rawBusy, ms(t.busy))
		m.rawSteal = append(m.rawSteal, ms(t.steal))
		m.rawShare = append(m.rawShare, 100*t.stealShare())
	}
}

// use is what the row keeps: medians, or nil when nothing was recorded.
func (m *cpuMeter) use() *cpuUse {
	if len(m.posta) == 0 || len(m.postaBusy) == 0 {
		return nil
	}
	return &cpuUse{Cores: runtime.NumCPU(), Posta: m.posta.median(), PostaBusy: m.postaBusy.median(), RawBusy: m.rawBusy.median(),
		PostaStealShare: m.postaShare.median(), RawStealShare: m.rawShare.median(), PostaSteal: m.postaSteal, RawSteal: m.rawSteal,
		Remeasured: m.redone, KeptDisturbed: m.kept}
}

// cpuUse is what the machine's cores did during a sync row's runs
// (medians).
type cpuUse struct {
	Cores     int     `json:"cores"`
	Posta     float64 `json:"posta_process_cpu_ms"` // user + system time of the posta sync process
	PostaBusy float64 `json:"busy_during_posta_ms"` // all cores' busy time while posta sync ran (steal not included)
	RawBusy   float64 `json:"busy_during_raw_ms"`   // all cores' busy time while the raw loop ran (steal not included)
	// PostaStealShare and RawStealShare are the medians of the share of
	// the cores' time the hypervisor took during each run (%).
	PostaStealShare float64 `json:"steal_during_posta_pct"`
	RawStealShare   float64 `json:"steal_during_raw_pct"`
	// PostaSteal and RawSteal are the time the hypervisor took from the
	// cores during each run, in the order of the row's samples.
	PostaSteal samples `json:"posta_steal_ms,omitempty"`
	RawSteal   samples `json:"raw_steal_ms,omitempty"`
	// Remeasured is how many pairs of runs (raw loop and posta) were
	// dropped and measured again because steal was above stealMax;
	// KeptDisturbed how many such pairs were kept once the bound was
	// reached.
	Remeasured    int `json:"remeasured_pairs,omitempty"`
	KeptDisturbed int `json:"kept_disturbed_pairs,omitempty"`
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
	if len(c.PostaSteal) > 0 {
		s += fmt.Sprintf("Time the hypervisor took from the cores (steal) is not counted as busy: it was %.0f%% of their time during posta's runs and %.0f%% during the raw loop's (medians). ",
			c.PostaStealShare, c.RawStealShare)
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

// lastSteal is, for a log line, the steal shares of the pair recorded
// last ("" when unknown).
func (m *cpuMeter) lastSteal() string {
	if len(m.rawShare) == 0 {
		return ""
	}
	s := fmt.Sprintf(" (steal: raw loop %.0f%%", m.rawShare[len(m.rawShare)-1])
	if len(m.postaShare) > 0 {
		s += fmt.Sprintf(", posta sync %.0f%%", m.postaShare[len(m.postaShare)-1])
	}
	return s + ")"
}
