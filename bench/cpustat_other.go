//go:build !linux

package main

// machineTimes is read from /proc/stat, on Linux only: elsewhere the
// machine's busy and stolen times are unknown.
func machineTimes() (cpuTimes, bool) { return cpuTimes{}, false }
