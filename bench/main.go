// Command bench measures posta against the performance targets of issue
// 11 on the embedded demo servers, and writes the figures with the
// machine's description to a markdown file (a table and a JSON block).
//
//	go run ./bench [-quick] [-sizes N,N] [-only PART] [-dovecot] [-peers] [-out docs/benchmarks.md] [-cpuprofile FILE]
//
// One run of the program measures everything, so the figures compare: it
// starts the demo servers with 10,000 and then 100,000 messages in each
// INBOX (-quick: 1,000 and 10,000) and, for each, times the first IMAP
// header sync through posta against a raw go-imap FETCH, a resync with
// nothing changed (time, and round trips from the greeting to LOGOUT on
// every connection `posta sync` opens), the warm start of the reader to
// its first painted index, the peak memory of the reader paging the whole
// folder (in a child process), local search, and the POP3 download
// against a raw go-pop3 RETR loop; then the reader opens a 1 MB and a
// 50 MB message delivered to the demo IMAP INBOX, from its body cache
// (bench/openreader.go). Progress goes to stderr.
//
// The launch rows (issue 14) measure what a user sees: the posta binary
// started in a real pseudo-terminal (a detached tmux session of 200×50)
// until the newest subject is on screen, with an empty and with a warm
// cache, on the demo servers; with -dovecot also on the Dovecot of
// scripts/mailstack.sh over IMAPS (the stack must be up and its
// `mailstack.sh env` variables exported), and with -peers neomutt and aerc
// the same way on the same folder (installed with apt-get when missing).
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "smoke run: 1,000 and 10,000 messages, fewer runs")
	out := flag.String("out", "", "write the markdown report to this file (default: stdout)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	only := flag.String("only", "", "measure only this part: imap, pop3, launch, open (default: all)")
	sizes := flag.String("sizes", "", "comma-separated folder sizes to measure instead of the plan's (e.g. 10000)")
	dovecot := flag.Bool("dovecot", false, "also time the first IMAP sync, the POP3 download (10,000 messages) and launches against the Dovecot of scripts/mailstack.sh (must be up, its env exported)")
	peers := flag.Bool("peers", false, "also time neomutt and aerc on the same Dovecot folder (implies -dovecot; installs them when missing)")
	rssChild := flag.String("rss-child", "", "internal: run as the memory-measuring child")
	rawChild := flag.Bool("raw-child", false, "internal: run a raw loop baseline as a process (spec on stdin)")
	serveN := flag.Int("serve", 0, "start the demo servers with this many messages, print a `posta sync` command line for them and wait (for profiling by hand)")
	serveBin := flag.String("serve-bin", "posta", "the posta binary the -serve command line names")
	serveDove := flag.Bool("serve-dovecot", false, "with -serve: seed the mailstack's Dovecot instead (up, env exported), print the command line and return")
	flag.Parse()
	if *serveN > 0 {
		do := serve
		if *serveDove {
			do = serveDovecot
		}
		if err := do(*serveN, *serveBin); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *rawChild {
		json.NewEncoder(os.Stdout).Encode(runRawChild(os.Stdin))
		return
	}
	if *rssChild != "" {
		json.NewEncoder(os.Stdout).Encode(runRSSChild(*rssChild))
		return
	}
	plan, err := choosePlan(*quick, *sizes)
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(2)
	}
	if err := run(plan, *quick, *out, *cpuProfile, *only, *dovecot || *peers, *peers); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

// choosePlan returns the quick or full plan, or only the given sizes
// (each with its plan's repetitions, or the full plan's first size's).
func choosePlan(quick bool, sizes string) ([]sizePlan, error) {
	plan := fullPlan
	if quick {
		plan = quickPlan
	}
	if sizes == "" {
		return plan, nil
	}
	var out []sizePlan
	for _, f := range strings.Split(sizes, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil || n <= 0 {
			return nil, fmt.Errorf("-sizes: %q is not a folder size", f)
		}
		p := plan[0]
		for _, q := range append(slices.Clone(plan), fullPlan...) {
			if q.n == n {
				p = q
				break
			}
		}
		p.n = n
		out = append(out, p)
	}
	return out, nil
}

func run(plan []sizePlan, quick bool, out, cpuProfile, only string, dovecot, peers bool) error {
	if cpuProfile != "" {
		f, err := os.Create(cpuProfile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	scratch, err := os.MkdirTemp("", "posta-bench-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(scratch)
	// A safety net: the launch rows (with Dovecot and the peers) make a
	// full run longer than the 15 minutes this once was.
	ctx, cancel := context.WithTimeout(context.Background(), 45*time.Minute)
	defer cancel()

	rep := &report{Machine: describeMachine(), Quick: quick, Started: time.Now(),
		Command: strings.Join(append([]string{"go run ./bench"}, os.Args[1:]...), " ")}
	for _, p := range plan {
		rep.Sizes = append(rep.Sizes, p.n)
	}
	logf("machine: %s, %d cores, %s", rep.Machine.CPU, rep.Machine.Cores, rep.Machine.GoVersion)
	var u *userPath
	if only == "" || only == "launch" {
		u = newUserPath(rep, scratch, dovecot, peers)
		defer u.Close()
	}
	var stack *mailstack
	if dovecot && only != "launch" && only != "open" {
		if stack, err = findMailstack(); err != nil {
			rep.problem("Dovecot sync rows not measured: %v", err)
		}
	}
	var bin string
	if only == "" || only == "imap" || only == "pop3" {
		if bin, err = postaBinary(scratch); err != nil {
			rep.problem("the sync rows run accounts Sync in this process: %v", err)
		}
	}
	for _, p := range plan {
		if only == "" || only == "imap" || only == "pop3" || only == "launch" {
			if err := measureSize(ctx, rep, p, scratch, only, u, stack, bin); err != nil {
				return fmt.Errorf("%d messages: %w", p.n, err)
			}
		}
	}
	if only == "" || only == "open" {
		if err := measureOpen(rep, scratch, plan[0].runs); err != nil {
			return err
		}
	}
	rep.Seconds = time.Since(rep.Started).Seconds()
	rep.Notes = append(methodNotes(rep), rep.Notes...)
	w := os.Stdout
	if out != "" {
		if err := os.MkdirAll(filepath.Dir(out), 0o755); err != nil {
			return err
		}
		f, err := os.Create(out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	if err := rep.writeMarkdown(w); err != nil {
		return err
	}
	logf("done in %.0f s", rep.Seconds)
	return nil
}
