package main

import (
	"runtime"
	"strings"
	"testing"
	"time"
)

// TestMachineBusyCountsWork: on Linux the machine's busy time grows by
// about the CPU time a busy loop spends (with what the hypervisor took
// from it).
func TestMachineBusyCountsWork(t *testing.T) {
	if runtime.GOOS != "linux" {
		t.Skip("/proc/stat is read on Linux only")
	}
	_, c, err := during(func() (time.Duration, error) {
		for start := time.Now(); time.Since(start) < 300*time.Millisecond; {
		}
		return 0, nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// 300 ms on one core, counted in 10 ms ticks; other work may add, the
	// hypervisor may take some of it (steal, not busy).
	if busy := c.busy + c.steal; busy < 250*time.Millisecond {
		t.Errorf("busy during a 300 ms loop = %v, want at least 250 ms", busy)
	}
}

// TestCPUNote checks the sentence is computed from the row's figures,
// both when the work itself exceeds the target and when it does not.
func TestCPUNote(t *testing.T) {
	r := result{Value: 900, Baseline: 300, CPU: &cpuUse{Cores: 2, Posta: 1100, PostaBusy: 1500, RawBusy: 400}}
	got := cpuNote(r, 2)
	for _, want := range []string{"busy 1500 ms in all", "posta's process 1100 ms", "the rest (the server, its TLS, the system) 400 ms",
		"at least 750 ms", "kept them busy 400 ms", "allows 600 ms (2.0× the raw loop)", "exceeds it by 300 ms of CPU"} {
		if !strings.Contains(got, want) {
			t.Errorf("cpuNote() = %q, missing %q", got, want)
		}
	}
	if strings.Contains(got, "steal") {
		t.Errorf("cpuNote() without steal figures = %q, want no steal sentence", got)
	}
	r.CPU.PostaSteal, r.CPU.RawSteal, r.CPU.PostaStealShare, r.CPU.RawStealShare = samples{300}, samples{40}, 20, 7
	if got := cpuNote(r, 2); !strings.Contains(got, "it was 20% of their time during posta's runs and 7% during the raw loop's") {
		t.Errorf("cpuNote() with steal figures = %q, want the steal shares", got)
	}
	r.CPU.PostaBusy = 1000
	if got := cpuNote(r, 2); !strings.Contains(got, "what is missing is overlap") {
		t.Errorf("cpuNote() with a floor under the target = %q, want it to say overlap is missing", got)
	}
	if got := cpuNote(result{}, 2); got != "" {
		t.Errorf("cpuNote() without figures = %q, want nothing", got)
	}
}

// TestBreakdownNoteLeavesReferenceOut: a figure timed for comparison
// (the file system's floor) is shown but not summed with posta's parts.
func TestBreakdownNoteLeavesReferenceOut(t *testing.T) {
	r := result{Value: 900, Baseline: 300, Samples: samples{880, 900, 950}, Breakdown: []breakdownPart{
		{Name: "fetcher alone", Millis: 150}, {Name: "parsing", Millis: 100},
		{Name: "floor", Millis: 250, Reference: true}, {Name: "commit", Millis: 400}}}
	got := breakdownNote(r)
	for _, want := range []string{"floor 250 ms", "together 650 ms", "with the rest (500 ms alone)"} {
		if !strings.Contains(got, want) {
			t.Errorf("breakdownNote() = %q, missing %q", got, want)
		}
	}
}
