// Command bench measures posta against the performance targets of issue
// 11 on the embedded demo servers, and writes the figures with the
// machine's description to a markdown file (a table and a JSON block).
//
//	go run ./bench [-quick] [-out docs/benchmarks.md] [-cpuprofile FILE]
//
// One run of the program measures everything, so the figures compare: it
// starts the demo servers with 10,000 and then 100,000 messages in each
// INBOX (-quick: 1,000 and 10,000) and, for each, times the first IMAP
// header sync through posta against a raw go-imap FETCH, a resync with
// nothing changed (time and round trips), the warm start of the reader to
// its first painted index, the peak memory of the reader paging the whole
// folder (in a child process), local search, and the POP3 download
// against a raw go-pop3 RETR loop; then it opens a 1 MB and a 50 MB
// message. Progress goes to stderr.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"runtime/pprof"
	"time"
)

func main() {
	quick := flag.Bool("quick", false, "smoke run: 1,000 and 10,000 messages, fewer runs")
	out := flag.String("out", "", "write the markdown report to this file (default: stdout)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of the whole run to this file")
	only := flag.String("only", "", "measure only this part: imap, pop3, open (default: all)")
	rssChild := flag.String("rss-child", "", "internal: run as the memory-measuring child")
	rerender := flag.String("rerender", "", "rewrite the report FILE from its raw numbers with the current notes (no measuring)")
	flag.Parse()
	if *rerender != "" {
		if err := rerenderReport(*rerender); err != nil {
			fmt.Fprintln(os.Stderr, "bench:", err)
			os.Exit(1)
		}
		return
	}
	if *rssChild != "" {
		json.NewEncoder(os.Stdout).Encode(runRSSChild(*rssChild))
		return
	}
	if err := run(*quick, *out, *cpuProfile, *only); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func logf(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s  "+format+"\n", append([]any{time.Now().Format("15:04:05")}, args...)...)
}

func run(quick bool, out, cpuProfile, only string) error {
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
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Minute)
	defer cancel()

	plan := fullPlan
	if quick {
		plan = quickPlan
	}
	rep := &report{Machine: describeMachine(), Quick: quick, Started: time.Now()}
	for _, p := range plan {
		rep.Sizes = append(rep.Sizes, p.n)
	}
	logf("machine: %s, %d cores, %s", rep.Machine.CPU, rep.Machine.Cores, rep.Machine.GoVersion)
	for _, p := range plan {
		if only == "" || only == "imap" || only == "pop3" {
			if err := measureSize(ctx, rep, p, scratch, only); err != nil {
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
