package main

import (
	"testing"
	"time"
)

// TestParseCPULine: busy is user, nice, system, irq and softirq; steal is
// apart; total is every field up to steal, idle and iowait included.
func TestParseCPULine(t *testing.T) {
	c, ok := parseCPULine("cpu  4116770 5 743097 6960319 75913 7 61343 328280 11 13\n")
	if !ok {
		t.Fatal("parseCPULine rejected a kernel's line")
	}
	tick := 10 * time.Millisecond
	if want := (4116770 + 5 + 743097 + 7 + 61343) * tick; c.busy != want {
		t.Errorf("busy = %v, want %v", c.busy, want)
	}
	if want := 328280 * tick; c.steal != want {
		t.Errorf("steal = %v, want %v", c.steal, want)
	}
	if want := (4116770 + 5 + 743097 + 6960319 + 75913 + 7 + 61343 + 328280) * tick; c.total != want {
		t.Errorf("total = %v, want %v", c.total, want)
	}
	for _, bad := range []string{"", "cpu0 1 2 3 4 5 6 7 8", "cpu 1 2 3 4 5 6 7", "cpu 1 2 3 x 5 6 7 8", "cpu 1 2 3 -4 5 6 7 8"} {
		if _, ok := parseCPULine(bad); ok {
			t.Errorf("parseCPULine(%q) accepted", bad)
		}
	}
}

// TestStealShare: the share is of the window's total, not of boot's.
func TestStealShare(t *testing.T) {
	before, _ := parseCPULine("cpu 100 0 50 800 0 0 0 50")
	after, _ := parseCPULine("cpu 130 0 60 820 0 0 0 90")
	w := after.sub(before) // 30+10 busy, 20 idle, 40 steal: 100 ticks
	if got := w.stealShare(); got != 0.4 {
		t.Errorf("stealShare() = %v, want 40/100", got)
	}
	if w.busy != 400*time.Millisecond || w.steal != 400*time.Millisecond {
		t.Errorf("window = %+v, want 400 ms busy and 400 ms steal", w)
	}
	if (cpuTimes{}).stealShare() != 0 || (cpuTimes{}).known() {
		t.Error("zero cpuTimes: want unknown, share 0")
	}
}
