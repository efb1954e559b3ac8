package main

import (
	"bufio"
	"os"
)

// machineTimes returns what the machine's cores have done since boot,
// from the first line of /proc/stat (see parseCPULine).
func machineTimes() (cpuTimes, bool) {
	f, err := os.Open("/proc/stat")
	if err != nil {
		return cpuTimes{}, false
	}
	defer f.Close()
	line, err := bufio.NewReader(f).ReadString('\n')
	if err != nil {
		return cpuTimes{}, false
	}
	return parseCPULine(line)
}
