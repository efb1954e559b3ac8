package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The POP3 rows create a file per message. On ext4 without a journal
// (this machine's disk) the kernel does not reuse an inode freed in the
// last minute, six while its inode table block is not written back, and
// checks every free inode it passes: for minutes after many files were
// deleted (a test run, an earlier benchmark's scratch folder), creating
// one costs 20 to 40 times what it normally does, 400–500 µs instead of
// 12–25. A user's download does not follow a mass deletion; a developer's
// benchmark run often does. Before the POP3 rows, fsQuiet waits until
// creating files costs what it normally costs, and the row's note says
// what it measured and how long it waited.
//
// The probe creates as many files as a run does. A few hundred fit among
// the free inodes of the probe folder's own block group, which may be
// untouched while the groups a download of 10,000 spills into are full
// of freed ones: a probe of 500 files found 15–20 µs a file while the
// runs right after it created theirs at 300 µs (the breakdown's "file
// system's floor", the same count, showed it).
//
// Even a probe of a run's size samples only the block groups its own
// folder lands in, and each new folder may land elsewhere: in one minute
// after a benchmark's scratch folder (70,000 files) was removed, probes
// of 10,000 files in three new folders under /tmp took 35, 89 and
// 113 µs a file, and `posta sync` of the 10,000-message maildrop took
// 1.25–2.35 s there (0.94–2.12 s of it in the kernel) against 0.63–0.74 s
// in a new top-level folder of the same file system. The report names
// the scratch folder; point TMPDIR at a folder with no mass deletions in
// the last minutes for figures of posta's own work.

// fsQuietMax is the most fsQuiet waits: the six minutes after which the
// kernel reuses any freed inode.
const fsQuietMax = 6 * time.Minute

// fsQuietPerFile is the cost of creating an empty file above which the
// file system is taken to be still slowed down by deletions.
const fsQuietPerFile = 80 * time.Microsecond

// fsQuiet creates n empty files (as many as a run, at least 500) in a
// fresh folder under dir (they are left there: removing them would slow
// the next creations down) every 20 seconds, until one file costs at
// most fsQuietPerFile, fsQuietMax has passed or ctx ends; without wait
// (rows without a target) it measures once. It returns a sentence for
// the row's note.
func fsQuiet(ctx context.Context, dir string, n int, wait bool) string {
	began := time.Now()
	n = max(n, 500)
	for round := 0; ; round++ {
		per, err := fileCreateCost(filepath.Join(dir, "fsquiet"+strconv.Itoa(round)), n)
		if err != nil {
			return fmt.Sprintf("the file system's creation cost was not measured: %v", err)
		}
		waited := time.Since(began).Round(time.Second)
		switch {
		case per <= fsQuietPerFile && round == 0:
			return fmt.Sprintf("creating %d empty files took %.0f µs each just before the runs", n, us(per))
		case per <= fsQuietPerFile:
			return fmt.Sprintf("creating %d empty files took %.0f µs each just before the runs, after %v of waiting for the file system (see bench/fsquiet.go)", n, us(per), waited)
		case !wait:
			return fmt.Sprintf("creating %d empty files took %.0f µs each just before the runs (slowed down by recent deletions; see bench/fsquiet.go)", n, us(per))
		case waited >= fsQuietMax || ctx.Err() != nil:
			return fmt.Sprintf("creating %d empty files still took %.0f µs each after %v of waiting (see bench/fsquiet.go): the figures are slowed down by the file system", n, us(per), waited)
		}
		logf("creating %d empty files took %.0f µs each here (files deleted in the last minutes slow ext4 down): waiting", n, us(per))
		select {
		case <-ctx.Done():
		case <-time.After(20 * time.Second):
		}
	}
}

// fileCreateCost creates n empty files in the new folder dir and returns
// the time one took.
func fileCreateCost(dir string, n int) (time.Duration, error) {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return 0, err
	}
	start := time.Now()
	for i := range n {
		f, err := os.OpenFile(filepath.Join(dir, strconv.Itoa(i)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return 0, err
		}
		f.Close()
	}
	return time.Since(start) / time.Duration(n), nil
}

func us(d time.Duration) float64 { return float64(d) / float64(time.Microsecond) }

// joinNote appends sentence to a row's note.
func joinNote(note, sentence string) string {
	if note == "" {
		return sentence
	}
	return note + "; " + sentence
}
