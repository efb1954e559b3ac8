package main

import (
	"context"
	"fmt"
	"runtime"
	"sync"
	"time"
)

// This machine is a virtual machine whose hypervisor, at times, takes 30
// to 70% of the cores' time away for minutes (the steal column of
// /proc/stat). Both sides of a sync row are slowed then, but posta, which
// keeps both cores busy (decoding, storing, the server), more than the raw
// loop: a ratio measured then says little about posta. Before each sync
// row's runs, cpuQuiet waits until the hypervisor leaves the cores alone,
// and the row's note says what it measured and how long it waited; during
// the runs, a pair (raw loop and posta) during which it took more than
// stealMax is measured again, a bounded number of times (cpuMeter.pair).

// stealMax is the share of the cores' time taken by the hypervisor above
// which a probe or a run is taken to be slowed by it: a tenth of the
// cores' time leaves a 2-core CPU-bound run about 11% slower, more than
// the runs of a quiet minute vary.
const stealMax = 0.10

// cpuQuietMax is the most cpuQuiet waits; spells of steal last minutes.
const cpuQuietMax = 5 * time.Minute

// cpuQuietPause is the time between two probes.
const cpuQuietPause = 20 * time.Second

// cpuQuietProbe is how long a probe keeps every core busy.
const cpuQuietProbe = 300 * time.Millisecond

// stealRedoMax is the most pairs of runs a row measures again.
const stealRedoMax = 3

// cpuQuiet probes the steal share (stealProbe) every cpuQuietPause until
// it is no longer above stealMax (tooMuchSteal), cpuQuietMax has passed
// or ctx ends; without
// wait (rows without a target) it probes once. It returns a sentence for
// the row's note.
func cpuQuiet(ctx context.Context, wait bool) string {
	g := stealGate{probe: func() (cpuTimes, bool) { return stealProbe(cpuQuietProbe) }, cores: runtime.NumCPU(), busyFor: cpuQuietProbe,
		now: time.Now, log: logf,
		sleep: func(ctx context.Context, d time.Duration) {
			select {
			case <-ctx.Done():
			case <-time.After(d):
			}
		}, pause: cpuQuietPause, limit: cpuQuietMax}
	return g.wait(ctx, wait)
}

// stealGate is cpuQuiet's loop, with its probe, clock and log apart for
// tests.
type stealGate struct {
	probe        func() (cpuTimes, bool)
	cores        int           // the probe keeps busy
	busyFor      time.Duration // how long
	now          func() time.Time
	sleep        func(context.Context, time.Duration)
	log          func(format string, args ...any)
	pause, limit time.Duration
}

func (g stealGate) wait(ctx context.Context, wait bool) string {
	began := g.now()
	for round := 0; ; round++ {
		t, ok := g.probe()
		if !ok {
			return "the hypervisor's share of the cores' time (steal) was not measured: /proc/stat is read on Linux only"
		}
		share := 100 * t.stealShare()
		waited := g.now().Sub(began).Round(time.Second)
		probe := fmt.Sprintf("with the %d cores kept busy for %v just before the runs, the hypervisor took %.0f%% of their time (%.0f of %.0f ms)",
			g.cores, g.busyFor, share, ms(t.steal), ms(t.total))
		switch {
		case !tooMuchSteal(t, g.cores) && round == 0:
			return probe
		case !tooMuchSteal(t, g.cores):
			return fmt.Sprintf("%s, after %v of waiting for it to leave them alone (see bench/cpuquiet.go)", probe, waited)
		case !wait:
			return fmt.Sprintf("%s: above %.0f%%, the figures are slowed down by it (see bench/cpuquiet.go)", probe, 100*stealMax)
		case waited >= g.limit || ctx.Err() != nil:
			return fmt.Sprintf("the hypervisor still took %.0f%% of the cores' time after %v of waiting (see bench/cpuquiet.go): the figures are slowed down by it", share, waited)
		}
		g.log("the hypervisor takes %.0f%% of the cores' time here (steal in /proc/stat, above %.0f%%): waiting %v", share, 100*stealMax, g.pause)
		g.sleep(ctx, g.pause)
	}
}

// tooMuchSteal says whether the hypervisor took more than stealMax of
// the cores' time in t by more than /proc/stat can tell: it counts each
// core's time in ticks of 10 ms, so a figure may be a tick a core off. A
// 40 ms raw loop on 2 cores spans 8 ticks, and one tick of steal is 12%
// of it; the margin keeps such runs from counting as disturbed.
func tooMuchSteal(t cpuTimes, cores int) bool {
	margin := time.Duration(cores) * 10 * time.Millisecond
	return t.known() && t.steal-margin > time.Duration(stealMax*float64(t.total))
}

// stealProbe keeps every core busy for d and returns what the machine's
// cores did meanwhile: with work for every core, any steal is time the
// hypervisor took from it.
func stealProbe(d time.Duration) (cpuTimes, bool) {
	before, ok := machineTimes()
	if !ok {
		return cpuTimes{}, false
	}
	end := time.Now().Add(d)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for time.Now().Before(end) {
			}
		})
	}
	wg.Wait()
	after, ok := machineTimes()
	if !ok {
		return cpuTimes{}, false
	}
	return after.sub(before), true
}

// stealNote says, for a sync row's note, how much of the cores' time the
// hypervisor took during posta's runs and the raw loop's, and how many
// pairs were measured again because of it; "" when not measured.
func stealNote(c *cpuUse) string {
	if c == nil || len(c.PostaSteal) == 0 {
		return ""
	}
	s := fmt.Sprintf("steal (the time the hypervisor took from the cores, /proc/stat) was %.0f%% of the cores' time during posta's runs and %.0f%% during the raw loop's (medians)",
		c.PostaStealShare, c.RawStealShare)
	if c.PostaStealShare > 100*stealMax || c.RawStealShare > 100*stealMax {
		s += fmt.Sprintf(", above %.0f%%: the figures are slowed down by it", 100*stealMax)
	}
	if c.Remeasured > 0 {
		s += fmt.Sprintf("; %d %s of runs (the raw loop's and posta's, both dropped) measured again because steal was above %.0f%% during one of them",
			c.Remeasured, plural(c.Remeasured, "pair", "pairs"), 100*stealMax)
	}
	if c.KeptDisturbed > 0 {
		s += fmt.Sprintf("; %d such %s kept, the bound of %d measured again being reached", c.KeptDisturbed, plural(c.KeptDisturbed, "pair", "pairs"), stealRedoMax)
	}
	return s
}

func plural(n int, one, many string) string {
	if n == 1 {
		return one
	}
	return many
}

// stealMethodNote describes, for the report's method notes, how the
// hypervisor's steal is measured and kept out of the sync rows.
func stealMethodNote() string {
	return fmt.Sprintf("Busy time does not count steal, the time the hypervisor of this virtual machine took the cores away; it is recorded apart for every run, and each sync row's note gives its medians during posta's runs and the raw loop's. "+
		"Before a sync row's runs, the harness keeps every core busy for %v and reads the share of their time the hypervisor took; while it is above %.0f%% (by more than a 10 ms tick a core, the resolution of /proc/stat), it waits %v and probes again (at most %v, for the rows with a target: posta, which keeps both cores busy, is slowed by steal more than the raw loop). "+
		"A pair of runs (the raw loop and posta) during which steal was above %.0f%% in either (by the same margin) is dropped whole and measured again, at most %d pairs a row; the note says how many (bench/cpuquiet.go).",
		cpuQuietProbe, 100*stealMax, cpuQuietPause, cpuQuietMax, 100*stealMax, stealRedoMax)
}
