//go:build unix

// Package cputime reads the CPU time this process has used, for the
// benchmarks that report it beside the wall time.
package cputime

import (
	"syscall"
	"time"
)

// Process is the CPU time (user and system) this process has used.
func Process() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
