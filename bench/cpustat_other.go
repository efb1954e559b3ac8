//go:build !linux

package main

import "time"

// machineBusy is read from /proc/stat, on Linux only.
func machineBusy() (time.Duration, bool) { return 0, false }
