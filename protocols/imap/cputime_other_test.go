//go:build !unix

package imap

import "time"

// processCPU is not measured here: the first-sync benchmarks report 0
// CPU time on systems without getrusage.
func processCPU() time.Duration { return 0 }
