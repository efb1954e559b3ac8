package main

import (
	"errors"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// TestLaunchRows checks the baselines of the launch rows: the faster peer
// when cold, and only when both peers were measured when warm.
func TestLaunchRows(t *testing.T) {
	figs := map[string]*launchFigures{
		"posta":   {cold: samples{100, 120, 110}, warm: samples{40, 50, 45}, poll: samples{5}},
		"neomutt": {cold: samples{300, 310, 320}, warm: samples{90, 100, 95}},
		"aerc":    {err: errors.New("cold run 1: exited before \"x\" appeared; last screen:\nboom")},
	}
	rep := &report{}
	addLaunchRows(rep, "dovecot", 10_000, figs, map[string]string{}, "")
	if len(rep.Results) != 2 {
		t.Fatalf("%d rows, want 2", len(rep.Results))
	}
	cold, warm := rep.Results[0], rep.Results[1]
	if cold.ID != "launch_cold_dovecot" || cold.Value != 110 || cold.Baseline != 310 || cold.BaselineName != "neomutt" || cold.Status != "met" {
		t.Errorf("cold row = %s %v vs %v (%s): %s", cold.ID, cold.Value, cold.Baseline, cold.BaselineName, cold.Status)
	}
	if warm.Baseline != 0 || warm.Status != "n/a" {
		t.Errorf("warm row without aerc: baseline %v, status %q; want none, n/a", warm.Baseline, warm.Status)
	}
	if !strings.Contains(warm.Note, "aerc: cold run 1: exited") || strings.Contains(warm.Note, "boom") ||
		!strings.Contains(warm.Note, "posta/neomutt 0.47×") {
		t.Errorf("warm note = %q", warm.Note)
	}

	rep = &report{}
	addLaunchRows(rep, "demo", 10_000, nil, nil, "not measured: tmux is not installed")
	for _, r := range rep.Results {
		if r.Status != "not measured" || r.Target == "" {
			t.Errorf("%s: status %q, target %q; want not measured, with its target", r.ID, r.Status, r.Target)
		}
	}
	var out strings.Builder
	if err := rep.writeMarkdown(&out); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "| — |") || !strings.Contains(out.String(), "Row 1: not measured: tmux is not installed") {
		t.Errorf("report of unmeasured rows:\n%s", out.String())
	}
}

// TestLaunchDemo times the posta binary in tmux on a small demo folder,
// cold and warm, end to end.
func TestLaunchDemo(t *testing.T) {
	if testing.Short() {
		t.Skip("builds posta and runs it in tmux")
	}
	if _, err := exec.LookPath("tmux"); err != nil {
		t.Skip("tmux is not installed")
	}
	dir := t.TempDir()
	f, err := startFixture(60, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rep := &report{}
	u := newUserPath(rep, dir, false, false)
	defer u.Close()
	// posta's first sync now and then does not say it ended until its
	// periodic sync two minutes later: the harness then quits it anyway
	// and says so, which is no failure of the harness.
	u.settleTimeout = 15 * time.Second
	u.demo(rep, f, sizePlan{n: 60, runs: 2})
	for _, p := range rep.Problems {
		if strings.Contains(p, "did not say it ended") {
			t.Log(p)
			continue
		}
		t.Errorf("problem: %s", p)
	}
	if len(rep.Results) != 2 {
		t.Fatalf("%d rows, want 2", len(rep.Results))
	}
	for _, r := range rep.Results {
		if r.Skipped != "" || len(r.Samples) != 2 || r.Value <= 0 {
			t.Errorf("%s: %v (samples %v), skipped %q", r.ID, r.Value, r.Samples, r.Skipped)
		}
	}
}
