package main

import (
	"bufio"
	"os"
	"os/exec"
	"runtime"
	"strings"
)

// machine describes where the figures were measured.
type machine struct {
	CPU       string `json:"cpu"`
	Cores     int    `json:"cores"`
	GoVersion string `json:"go"`
	OS        string `json:"os"`
	Kernel    string `json:"kernel,omitempty"`
	Neomutt   string `json:"neomutt"`
	Aerc      string `json:"aerc"`
	// Scratch is the folder the runs' fresh cache and data folders are
	// made in (os.TempDir: $TMPDIR, else /tmp), which the POP3 rows'
	// file creations depend on (bench/fsquiet.go).
	Scratch string `json:"scratch,omitempty"`
}

func describeMachine() machine {
	m := machine{CPU: cpuModel(), Cores: runtime.NumCPU(), GoVersion: runtime.Version(),
		OS: runtime.GOOS + "/" + runtime.GOARCH, Scratch: os.TempDir()}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.Kernel = strings.TrimSpace(string(b))
	}
	m.Neomutt, m.Aerc = lookPath("neomutt"), lookPath("aerc")
	return m
}

// lookPath returns the program's path or "not installed".
func lookPath(name string) string {
	p, err := exec.LookPath(name)
	if err != nil {
		return "not installed"
	}
	return p
}

func cpuModel() string {
	f, err := os.Open("/proc/cpuinfo")
	if err != nil {
		return "unknown (" + runtime.GOARCH + ")"
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if k, v, ok := strings.Cut(s.Text(), ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown (" + runtime.GOARCH + ")"
}
