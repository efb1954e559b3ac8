package main

import (
	"strconv"
	"strings"
	"time"
)

// cpuTimes is what the machine's cores together did, from /proc/stat's
// first line: since boot, or over a window (the difference of two
// readings). Where /proc/stat cannot be read all three are 0.
type cpuTimes struct {
	// busy is the work the cores did: user, nice, system, irq and
	// softirq time (guest time is already in user). Steal is not in it:
	// the cores did not do that work, the hypervisor gave them to others.
	busy time.Duration
	// steal is the time the hypervisor took the cores away while they
	// had work to do.
	steal time.Duration
	// total is every field above plus idle and iowait: the cores' time.
	total time.Duration
}

// known says whether the figures were read.
func (c cpuTimes) known() bool { return c.total > 0 }

// sub is the window from an earlier reading b to c.
func (c cpuTimes) sub(b cpuTimes) cpuTimes {
	return cpuTimes{busy: c.busy - b.busy, steal: c.steal - b.steal, total: c.total - b.total}
}

// stealShare is the fraction of the cores' time the hypervisor took, 0
// when unknown.
func (c cpuTimes) stealShare() float64 {
	if c.total <= 0 {
		return 0
	}
	return float64(c.steal) / float64(c.total)
}

// parseCPULine reads /proc/stat's first line, "cpu user nice system idle
// iowait irq softirq steal [guest guest_nice]", in clock ticks of 10 ms
// (USER_HZ is 100 on Linux). Kernels older than 2.6.11 have no steal
// field; they are not accepted.
func parseCPULine(line string) (cpuTimes, bool) {
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return cpuTimes{}, false
	}
	var ticks [8]int64 // user nice system idle iowait irq softirq steal
	for i := range ticks {
		n, err := strconv.ParseInt(fields[i+1], 10, 64)
		if err != nil || n < 0 {
			return cpuTimes{}, false
		}
		ticks[i] = n
	}
	tick := func(n int64) time.Duration { return time.Duration(n) * 10 * time.Millisecond }
	var c cpuTimes
	for i, n := range ticks {
		c.total += tick(n)
		switch i {
		case 0, 1, 2, 5, 6:
			c.busy += tick(n)
		case 7:
			c.steal = tick(n)
		}
	}
	return c, true
}
