//go:build !unix

// Package cputime reads the CPU time this process has used, for the
// benchmarks that report it beside the wall time.
package cputime

import "time"

// Process is 0 where getrusage is not available: the benchmarks then
// report no CPU time.
func Process() time.Duration { return 0 }
