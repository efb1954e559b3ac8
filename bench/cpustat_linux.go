package main

import (
	"bufio"
	"os"
	"strconv"
	"strings"
	"time"
)

// machineBusy returns how long the machine's cores together have been
// busy since boot: the user, nice, system, irq, softirq and steal times
// of /proc/stat's first line (idle and iowait are not busy), in clock
// ticks of 10 ms (USER_HZ is 100 on Linux).
func machineBusy() (time.Duration, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return 0, false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return 0, false
	}
	fields := strings.Fields(line)
	if len(fields) < 9 || fields[0] != "cpu" {
		return 0, false
	}
	var ticks int64
	for _, i := range []int{1, 2, 3, 6, 7, 8} { // user nice system (idle iowait) irq softirq steal
		n, err := strconv.ParseInt(fields[i], 10, 64)
		if err != nil {
			return 0, false
		}
		ticks += n
	}
	return time.Duration(ticks) * 10 * time.Millisecond, true
}
