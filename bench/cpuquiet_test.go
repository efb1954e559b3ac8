package main

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// window is a probe's or a run's cores' times with the given steal share
// of 600 ms (two cores for 300 ms).
func window(share float64) cpuTimes {
	total := 600 * time.Millisecond
	steal := time.Duration(share * float64(total))
	return cpuTimes{busy: total - steal, steal: steal, total: total}
}

// fakeGate is a stealGate whose probe returns shares in turn (the last
// one again once they run out) and whose clock moves only by its pauses
// and 300 ms a probe.
func fakeGate(shares ...float64) (*stealGate, *int) {
	now := time.Date(2026, 1, 1, 12, 0, 0, 0, time.UTC)
	probes := 0
	g := &stealGate{cores: 2, busyFor: 300 * time.Millisecond, pause: 20 * time.Second, limit: 5 * time.Minute, now: func() time.Time { return now },
		log: func(string, ...any) {}}
	g.probe = func() (cpuTimes, bool) {
		s := shares[min(probes, len(shares)-1)]
		probes++
		now = now.Add(300 * time.Millisecond)
		return window(s), true
	}
	g.sleep = func(_ context.Context, d time.Duration) { now = now.Add(d) }
	return g, &probes
}

func TestCPUQuietSentences(t *testing.T) {
	ctx := context.Background()
	for _, c := range []struct {
		name   string
		shares []float64
		wait   bool
		probes int
		want   []string
	}{
		{"quiet at once", []float64{0.02}, true, 1, []string{"with the 2 cores kept busy for 300ms just before the runs, the hypervisor took 2% of their time (12 of 600 ms)"}},
		{"quiet after waiting", []float64{0.44, 0.30, 0.05}, true, 3, []string{"took 5% of their time (30 of 600 ms), after 41s of waiting"}},
		{"no wait without a target", []float64{0.44}, false, 1, []string{"took 44% of their time (264 of 600 ms): above 10%, the figures are slowed down by it"}},
		{"never quiet", []float64{0.5}, true, 16, []string{"still took 50% of the cores' time after 5m5s of waiting", "slowed down by it"}},
	} {
		g, probes := fakeGate(c.shares...)
		got := g.wait(ctx, c.wait)
		for _, w := range c.want {
			if !strings.Contains(got, w) {
				t.Errorf("%s: %q, missing %q", c.name, got, w)
			}
		}
		if *probes != c.probes {
			t.Errorf("%s: %d probes, want %d", c.name, *probes, c.probes)
		}
	}
	// A cancelled run stops waiting after the probe.
	g, probes := fakeGate(0.5)
	cancelled, cancel := context.WithCancel(ctx)
	cancel()
	if got := g.wait(cancelled, true); !strings.Contains(got, "still took 50%") || *probes != 1 {
		t.Errorf("cancelled: %q after %d probes, want one probe and the steal named", got, *probes)
	}
	g.probe = func() (cpuTimes, bool) { return cpuTimes{}, false }
	if got := g.wait(ctx, true); !strings.Contains(got, "not measured") {
		t.Errorf("without /proc/stat: %q, want it to say steal was not measured", got)
	}
}

// TestPairRemeasuresBothSides: a pair during which the hypervisor took
// more than stealMax of either run is dropped whole and measured again,
// at most stealRedoMax times a row; then it is kept and counted.
func TestPairRemeasuresBothSides(t *testing.T) {
	// The steal shares of the raw runs and of posta's, in order.
	rawShares := []float64{0.02, 0.30, 0.02, 0.02, 0.40, 0.40, 0.03}
	postaShares := []float64{0.03, 0.02, 0.25, 0.04, 0.50, 0.45, 0.04}
	var m cpuMeter
	rawRuns, postaRuns := 0, 0
	m.timed = func(f func() (time.Duration, error)) (time.Duration, cpuTimes, error) {
		d, err := f()
		return d, window(rawShares[rawRuns-1]), err
	}
	raw := func() (time.Duration, error) { rawRuns++; return time.Duration(rawRuns) * time.Millisecond, nil }
	posta := func() (procRun, error) {
		postaRuns++
		return procRun{wall: time.Duration(postaRuns) * time.Millisecond, cpu: time.Millisecond, machine: window(postaShares[postaRuns-1])}, nil
	}
	var kept []time.Duration
	for range 4 {
		d, run, err := m.pair("raw", raw, posta)
		if err != nil {
			t.Fatal(err)
		}
		if d != run.wall {
			t.Errorf("pair returned the raw run %v with posta's %v: not the same pair", d, run.wall)
		}
		kept = append(kept, d)
	}
	// Pairs 2 and 3 are disturbed (raw, then posta) and measured again;
	// pair 5 too, the third and last one measured again; pair 6 is
	// disturbed as well but kept: the bound is reached.
	if want := []time.Duration{1, 4, 6, 7}; !equalMillis(kept, want) {
		t.Errorf("kept pairs %v, want %v ms", kept, want)
	}
	if m.redone != stealRedoMax || m.kept != 1 {
		t.Errorf("redone %d, kept disturbed %d; want %d and 1", m.redone, m.kept, stealRedoMax)
	}
	if len(m.rawShare) != 4 || len(m.postaShare) != 4 || len(m.rawSteal) != 4 || len(m.postaSteal) != 4 || len(m.posta) != 4 {
		t.Errorf("recorded %d raw and %d posta runs, want 4 each", len(m.rawShare), len(m.postaShare))
	}
	u := m.use()
	if u.Remeasured != 3 || u.KeptDisturbed != 1 {
		t.Errorf("use() = %+v, want 3 pairs measured again and 1 kept", u)
	}
	// An error of the raw loop is named.
	var e cpuMeter
	_, _, err := e.pair("raw fetch", func() (time.Duration, error) { return 0, errors.New("refused") }, posta)
	if err == nil || !strings.HasPrefix(err.Error(), "raw fetch: ") {
		t.Errorf("pair's error = %v, want it to name the raw loop", err)
	}
}

func equalMillis(got, want []time.Duration) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if got[i] != want[i]*time.Millisecond {
			return false
		}
	}
	return true
}

// TestDisturbed: a pair is disturbed when either run had more than
// stealMax of steal, by more than a 10 ms tick a core.
func TestDisturbed(t *testing.T) {
	for _, c := range []struct {
		raw, posta float64
		want       bool
	}{{0.02, 0.05, false}, {0.10, 0.10, false}, {0.15, 0.02, true}, {0.02, 0.15, true},
		{0.13, 0.02, false}, // 78 ms of 600: above 10% by less than a tick a core
	} {
		if got := disturbed(window(c.raw), window(c.posta), 2); got != c.want {
			t.Errorf("disturbed(%v, %v) = %v, want %v", c.raw, c.posta, got, c.want)
		}
	}
	if disturbed(window(0.02), cpuTimes{}, 2) {
		t.Error("a pair whose posta side is unknown is disturbed by the raw side only")
	}
	// A 40 ms raw loop on 2 cores: one tick of steal is 12%, two are 25%,
	// three 38%.
	short := func(steal int) cpuTimes {
		return cpuTimes{busy: time.Duration(8-steal) * 10 * time.Millisecond, steal: time.Duration(steal) * 10 * time.Millisecond, total: 80 * time.Millisecond}
	}
	if disturbed(short(1), cpuTimes{}, 2) || disturbed(short(2), cpuTimes{}, 2) || !disturbed(short(3), cpuTimes{}, 2) {
		t.Error("a short run: want one or two ticks of steal within the counters' resolution, three beyond it")
	}
}

// TestStealNote: the row's sentence comes from the row's figures.
func TestStealNote(t *testing.T) {
	c := &cpuUse{PostaStealShare: 3, RawStealShare: 1, PostaSteal: samples{20, 30}, RawSteal: samples{5, 6}}
	got := stealNote(c)
	if !strings.Contains(got, "was 3% of the cores' time during posta's runs and 1% during the raw loop's") || strings.Contains(got, "slowed") || strings.Contains(got, "again") {
		t.Errorf("quiet run: %q", got)
	}
	c.PostaStealShare, c.Remeasured, c.KeptDisturbed = 35, 2, 1
	got = stealNote(c)
	for _, want := range []string{"35% of the cores' time", "above 10%: the figures are slowed down by it",
		"2 pairs of runs (the raw loop's and posta's, both dropped) measured again", "1 such pair kept, the bound of 3"} {
		if !strings.Contains(got, want) {
			t.Errorf("disturbed run: %q, missing %q", got, want)
		}
	}
	if stealNote(nil) != "" || stealNote(&cpuUse{}) != "" {
		t.Error("stealNote without steal figures: want nothing")
	}
}
