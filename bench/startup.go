package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/sanitize"
	"github.com/posta-mail/posta/ui"
)

// screen is the headless terminal size the TUI is measured at.
var screen = tea.WindowSizeMsg{Width: 120, Height: 40}

// newestSubject returns a prefix of the newest message's subject in the
// INBOX of the work account: what the first painted index must show.
func newestSubject(cacheDir, dataDir string) (string, error) {
	c, err := cache.Open(cache.Options{Dir: cacheDir, DataDir: dataDir})
	if err != nil {
		return "", err
	}
	defer c.Close()
	ms, err := c.List(cache.Query{Account: "work", Folder: "INBOX", Limit: 1})
	if err != nil || len(ms) == 0 {
		return "", fmt.Errorf("newest message: %d rows, %v", len(ms), err)
	}
	s := []rune(sanitize.Line(ms[0].Subject))
	return string(s[:min(len(s), 14)]), nil
}

// warmPhases splits one warm start into its steps.
type warmPhases struct {
	open, model, paint, total time.Duration // cache+accounts open, ui.New, size+View
}

// warmStart measures posta's start on a synced cache up to the first
// painted index: open the cache and the accounts, build the TUI model,
// give it the terminal size and render a frame that shows want. Nothing
// touches the network (no sync on start, no watch).
func warmStart(cfg *accounts.Config, cacheDir, dataDir, want string) (warmPhases, error) {
	var p warmPhases
	start := time.Now()
	c, set, err := openSet(cfg, cacheDir, dataDir)
	if err != nil {
		return p, err
	}
	defer c.Close()
	defer set.Close()
	p.open = time.Since(start)
	var m tea.Model = ui.New(set, ui.Options{NoSyncOnStart: true, NoWatch: true})
	_ = m.Init()
	p.model = time.Since(start) - p.open
	m, _ = m.Update(screen)
	view := m.View()
	p.total = time.Since(start)
	p.paint = p.total - p.open - p.model
	if !strings.Contains(view, want) {
		return p, fmt.Errorf("first frame does not show %q:\n%s", want, view)
	}
	return p, nil
}

// pagingLimit bounds how long the memory child pages with ctrl+d.
const pagingLimit = 30 * time.Second

// rssReport is what the child process prints.
type rssReport struct {
	PeakKiB int64 `json:"peak_kib"` // VmHWM, -1 where unknown
	Pages   int   `json:"pages"`
	// PageMillis is the mean time of one ctrl+d and the frame after it.
	PageMillis float64 `json:"page_ms"`
	// Jumped says paging hit its time limit and G jumped to the end.
	Jumped bool `json:"jumped"`
	// ReachedEnd says the last frame showed the oldest message.
	ReachedEnd bool   `json:"reached_end"`
	Millis     int64  `json:"ms"`
	Error      string `json:"error,omitempty"`
}

// childArgs are the arguments of the memory child after its flag.
func childArgs(imapAddr, pop3Addr, smtpAddr, caFile, cacheDir, dataDir string) []string {
	return []string{"-rss-child", strings.Join([]string{imapAddr, pop3Addr, smtpAddr, caFile, cacheDir, dataDir}, "\n")}
}

// peakRSS re-executes this program as a child that opens the synced
// cache in the TUI model and pages the index from top to bottom, and
// returns the child's peak resident memory.
func peakRSS(f *fixture, cacheDir, dataDir string) (rssReport, error) {
	exe, err := os.Executable()
	if err != nil {
		return rssReport{}, err
	}
	cmd := exec.Command(exe, childArgs(f.srv.IMAPAddr, f.srv.POP3Addr, f.srv.SMTPAddr, f.caFile, cacheDir, dataDir)...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return rssReport{}, fmt.Errorf("memory child: %w", err)
	}
	var rep rssReport
	if err := json.Unmarshal(out, &rep); err != nil {
		return rep, fmt.Errorf("memory child said %q: %w", out, err)
	}
	if rep.Error != "" {
		return rep, fmt.Errorf("memory child: %s", rep.Error)
	}
	return rep, nil
}

// runRSSChild is the child's side: spec holds the lines childArgs joined.
func runRSSChild(spec string) rssReport {
	p := strings.Split(spec, "\n")
	if len(p) != 6 {
		return rssReport{Error: "bad child arguments"}
	}
	cfg, err := demoConfig(p[0], p[1], p[2], p[3])
	if err != nil {
		return rssReport{Error: err.Error()}
	}
	start := time.Now()
	c, set, err := openSet(cfg, p[4], p[5])
	if err != nil {
		return rssReport{Error: err.Error()}
	}
	defer c.Close()
	defer set.Close()
	work, err := set.Get("work")
	if err != nil {
		return rssReport{Error: err.Error()}
	}
	total, err := work.Count("INBOX")
	if err != nil {
		return rssReport{Error: err.Error()}
	}
	var m tea.Model = ui.New(set, ui.Options{NoSyncOnStart: true, NoWatch: true})
	_ = m.Init()
	m, _ = m.Update(screen)
	_ = m.View()
	oldest, err := work.List("INBOX", 1, total-1)
	if err != nil || len(oldest) != 1 {
		return rssReport{Error: fmt.Sprintf("oldest message: %d rows, %v", len(oldest), err)}
	}
	want := []rune(sanitize.Line(oldest[0].Subject))
	pageDown := tea.KeyMsg{Type: tea.KeyCtrlD}
	pages := 0
	view := ""
	// Each ctrl+d moves by at most one screen; a few more than the folder
	// needs make sure the last row was reached. Paging stops after
	// pagingLimit and G jumps to the end, to bound the harness's time.
	pagingStart := time.Now()
	jumped := false
	for range total/(screen.Height/2) + 10 {
		if time.Since(pagingStart) > pagingLimit {
			jumped = true
			break
		}
		m, _ = m.Update(pageDown)
		view = m.View()
		pages++
	}
	perPage := float64(time.Since(pagingStart).Microseconds()) / 1000 / float64(max(pages, 1))
	if jumped {
		m, _ = m.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'G'}})
		view = m.View()
	}
	return rssReport{PeakKiB: vmHWM(), Pages: pages, PageMillis: perPage, Jumped: jumped, Millis: time.Since(start).Milliseconds(),
		ReachedEnd: strings.Contains(view, string(want[:min(len(want), 14)]))}
}

// vmHWM reads the process's peak resident set size in KiB on Linux, or
// returns -1.
func vmHWM() int64 {
	if runtime.GOOS != "linux" {
		return -1
	}
	f, err := os.Open("/proc/self/status")
	if err != nil {
		return -1
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	for s.Scan() {
		if v, ok := strings.CutPrefix(s.Text(), "VmHWM:"); ok {
			n, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			if err == nil {
				return n
			}
		}
	}
	return -1
}
