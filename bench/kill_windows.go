package main

import "os"

// killHard ends pid at once. The tmux rows do not run on Windows; this
// keeps the harness building there.
func killHard(pid int) {
	if p, err := os.FindProcess(pid); err == nil {
		p.Kill()
	}
}

// signalable reports whether pid can be found (on Windows, FindProcess
// opens the process).
func signalable(pid int) bool {
	p, err := os.FindProcess(pid)
	if err != nil {
		return false
	}
	p.Release()
	return true
}
