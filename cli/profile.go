package cli

import (
	"os"
	"runtime/pprof"
)

// startProfile writes a CPU profile of the whole command to the file
// POSTA_CPUPROFILE names, for developers timing a `posta sync` as users
// run it; the returned function ends it. Without the variable it does
// nothing.
func startProfile() func() {
	path := os.Getenv("POSTA_CPUPROFILE")
	if path == "" {
		return func() {}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o600)
	if err != nil {
		return func() {}
	}
	if err := pprof.StartCPUProfile(f); err != nil {
		f.Close()
		return func() {}
	}
	return func() {
		pprof.StopCPUProfile()
		f.Close()
	}
}
