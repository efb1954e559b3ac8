//go:build !windows

package main

import "syscall"

// killHard ends pid at once (SIGKILL).
func killHard(pid int) { syscall.Kill(pid, syscall.SIGKILL) }

// signalable reports whether the kernel knows pid (signal 0).
func signalable(pid int) bool { return syscall.Kill(pid, 0) == nil }
