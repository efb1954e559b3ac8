package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// sizePlan says how often each measurement is repeated for one folder size.
type sizePlan struct {
	n        int
	runs     int  // repetitions of the quick measurements
	syncRuns int  // repetitions of the first sync and its baseline
	pop3Runs int  // repetitions of the POP3 download and its baseline; 0 = skip
	search   bool // measure search at this size
	// budget bounds the time spent repeating the first sync and the POP3
	// download: after it is used up no further run starts (at least one
	// run is always made), so the whole harness stays under 10 minutes.
	budget time.Duration
}

var fullPlan = []sizePlan{
	{n: 10_000, runs: 5, syncRuns: 5, pop3Runs: 3, search: true, budget: 60 * time.Second},
	{n: 100_000, runs: 3, syncRuns: 3, search: true, budget: 120 * time.Second},
}

var quickPlan = []sizePlan{
	{n: 1_000, runs: 3, syncRuns: 3, pop3Runs: 3, search: true, budget: 30 * time.Second},
	{n: 10_000, runs: 3, syncRuns: 2, search: true, budget: 30 * time.Second},
}

// search queries: a word of some subjects, and a sender.
const (
	searchWord = "zürich"
	searchFrom = "from:priya"
)

// measureSize measures one folder size on the demo servers; u, when not
// nil, adds the launch rows (last: they deliver one more message), on the
// demo servers and, when set up, on Dovecot; stack, when not nil, adds the
// first sync and the POP3 download against Dovecot (up to 10,000
// messages, where their targets are).
func measureSize(ctx context.Context, rep *report, p sizePlan, scratch, only string, u *userPath, stack *mailstack, bin string) error {
	start := time.Now()
	f, err := startFixture(p.n, scratch)
	if err != nil {
		return err
	}
	defer f.Close()
	if err := f.usePosta(bin); err != nil {
		return err
	}
	logf("%d messages: demo servers up in %.1f s", p.n, time.Since(start).Seconds())
	if only == "" || only == "imap" {
		if err := measureIMAP(ctx, rep, f, p); err != nil {
			return err
		}
	}
	if p.pop3Runs > 0 && (only == "" || only == "pop3") {
		if err := measurePOP3(ctx, rep, f, p); err != nil {
			return err
		}
	}
	if u != nil && (only == "" || only == "launch") {
		u.demo(rep, f, p)
	}
	f.Close() // the servers' CPU must not count against Dovecot's runs
	if stack != nil && p.n <= 10_000 && only != "launch" {
		if err := dovecotSyncs(ctx, rep, stack, p, scratch, bin); err != nil {
			rep.problem("Dovecot sync rows at %d messages: %v", p.n, err)
		}
	}
	if u != nil && (only == "" || only == "launch") {
		u.dovecot(rep, p)
	}
	return os.RemoveAll(f.dir)
}

func measureIMAP(ctx context.Context, rep *report, f *fixture, p sizePlan) error {
	if _, err := f.rawFetchAll(ctx); err != nil { // warms the server up; not counted
		return fmt.Errorf("raw fetch: %w", err)
	}
	var posta, raw, first, inproc samples
	var cpu cpuMeter
	rt := rawTimes{demo: true}
	var synced imapSyncRun
	spec, err := f.rawSpec("imap")
	if err != nil {
		return err
	}
	steady := cpuQuiet(ctx, targetFor("imap_sync", p.n) != nil)
	began := time.Now()
	for i := range p.syncRuns {
		if i > 0 && time.Since(began) > p.budget {
			rep.note("IMAP first sync at %d messages: %d of %d planned runs (time budget %v)", p.n, i, p.syncRuns, p.budget)
			break
		}
		d, run, err := cpu.pair("raw fetch", rt.child(ctx, spec), func() (procRun, error) {
			if f.bin == "" {
				return procRun{}, nil
			}
			return f.syncProcessFresh(ctx, "work")
		})
		if err != nil {
			return err
		}
		raw = append(raw, ms(d))
		e := run.wall
		if f.bin != "" {
			posta = append(posta, ms(e))
		}
		if err := rt.keep(func() (time.Duration, error) { return f.rawFetchAll(ctx) }); err != nil {
			return err
		}
		if i > 0 {
			os.RemoveAll(synced.cacheDir)
			os.RemoveAll(synced.dataDir)
		}
		synced, err = f.syncIMAPFresh(ctx)
		if err != nil {
			return err
		}
		inproc = append(inproc, ms(synced.total))
		first = append(first, ms(synced.firstBatch))
		logf("%d messages: first sync: posta sync %.0f ms, accounts Sync in process %.0f ms (first batch %.0f ms), raw FETCH process %.0f ms (in this process %.0f ms)%s",
			p.n, ms(e), ms(synced.total), ms(synced.firstBatch), ms(d), rt.inside[len(rt.inside)-1], cpu.lastSteal())
	}
	res := syncRow("imap_sync", "IMAP first header sync", "raw UID FETCH 1:* of the same items in a process of its own, demo server", p.n, posta, inproc, raw)
	res.CPU = cpu.use()
	res.Note = joinNote(joinNote(joinNote(res.Note, rt.note(raw.median(), posta.median())), steady), stealNote(res.CPU))
	f.runs++
	if b, err := medianBreakdown(breakdownRuns, filepath.Join(f.dir, "breakdown"+strconv.Itoa(f.runs)), func(dir string) (*breakdown, error) {
		return imapBreakdown(ctx, f.endpoint("imap"), dir, f.n)
	}); err != nil {
		rep.problem("IMAP breakdown at %d messages: %v", p.n, err)
	} else {
		res.Breakdown = b.parts()
		logf("%d messages: IMAP breakdown: %s", p.n, b.text())
	}
	rep.add(res)
	if d, err := deferredIndexing(synced.cacheDir, synced.dataDir); err != nil {
		rep.problem("deferred indexing at %d messages: %v", p.n, err)
	} else {
		rep.add(result{ID: "deferred_index", What: "indexing a first sync leaves for later (issue 15): full-text catch-up and threads of the folder, " +
			"as the reader's Tidy does after the sync (or the first search and threaded listing), on the cache the last in-process sync left",
			Messages: p.n, Unit: "ms", Value: ms(d), Samples: samples{ms(d)}})
	}
	rep.add(result{ID: "cold_first_batch", What: "internal: cold-start proxy, newest headers stored (first batch of the first sync; no process, no terminal)",
		Messages: p.n, Unit: "ms", Value: first.median(), Samples: first})

	if p.n >= 10000 {
		// Issue 14's interactive lane: the first sync must still be
		// running when the opens are done, so only big folders.
		opened, rawOpen, err := f.openDuringSync(ctx, 5)
		if err != nil {
			rep.problem("open during the first sync at %d messages: %v", p.n, err)
		} else {
			rep.add(result{ID: "open_during_sync", What: "open an uncached message during the first sync of the folder (accounts Body on the interactive lane) vs one raw UID FETCH BODY[] on an open connection",
				Messages: p.n, Unit: "ms", Value: opened.median(), Samples: opened, Baseline: rawOpen.median(), BaselineSamples: rawOpen})
			logf("%d messages: open during the first sync %.1f ms (raw fetch %.1f ms)", p.n, opened.median(), rawOpen.median())
		}
	}

	if err := measureResync(ctx, rep, f, p, synced); err != nil {
		return err
	}

	want, err := newestSubject(synced.cacheDir, synced.dataDir)
	if err != nil {
		return err
	}
	cfg, err := f.config()
	if err != nil {
		return err
	}
	var warm, open, model, paint samples
	for range p.runs {
		ph, err := warmStart(cfg, synced.cacheDir, synced.dataDir, want)
		if err != nil {
			return fmt.Errorf("warm start: %w", err)
		}
		warm = append(warm, ms(ph.total))
		open, model, paint = append(open, ms(ph.open)), append(model, ms(ph.model)), append(paint, ms(ph.paint))
	}
	rep.add(result{ID: "warm_start", What: "internal: warm-start proxy, cache + accounts + ui.New + View in this process (no process start, no terminal)",
		Messages: p.n, Unit: "ms", Value: warm.median(), Samples: warm,
		Note: fmt.Sprintf("medians: cache.Open + accounts.Open %.1f ms, ui.New %.1f ms, size + View %.1f ms", open.median(), model.median(), paint.median())})
	logf("%d messages: warm start %.1f ms (%s)", p.n, warm.median(), rep.Results[len(rep.Results)-1].Note)

	rss, err := peakRSS(f, synced.cacheDir, synced.dataDir)
	if err != nil {
		rep.problem("peak RSS at %d messages: %v", p.n, err)
	} else {
		how := fmt.Sprintf("%d × ctrl+d", rss.Pages)
		if rss.Jumped {
			how += fmt.Sprintf(" in %v, then G", pagingLimit)
		}
		res := result{ID: "peak_rss", What: fmt.Sprintf("peak RSS, index paged end to end (%s)", how),
			Messages: p.n, Unit: "MiB", Value: float64(rss.PeakKiB) / 1024}
		if rss.PeakKiB < 0 {
			res.Value = -1
			res.Note = "n/a: VmHWM is read on Linux only"
		}
		if !rss.ReachedEnd {
			rep.problem("peak RSS at %d messages: the last frame did not show the oldest message", p.n)
		}
		rep.add(res)
		rep.add(result{ID: "page_down", What: "page down in the index (ctrl+d + View), mean over the paging above",
			Messages: p.n, Unit: "ms", Value: rss.PageMillis})
		logf("%d messages: peak RSS %.1f MiB (%d pages, %d ms, end reached: %v)", p.n, res.Value, rss.Pages, rss.Millis, rss.ReachedEnd)
	}

	if p.search {
		for _, q := range []struct{ id, text string }{{"search_word", searchWord}, {"search_from", searchFrom}} {
			s, hits, err := searchTimes(synced.cacheDir, synced.dataDir, q.text, max(p.runs*2-1, 5))
			if err != nil {
				return err
			}
			rep.add(result{ID: q.id, What: fmt.Sprintf("search `%s` (as the TUI: ids of up to %d results, then one screen of rows; %d results)", q.text, searchLimit, hits),
				Messages: p.n, Unit: "ms", Value: s.median(), Samples: s})
			logf("%d messages: search %q %.1f ms (%d results)", p.n, q.text, s.median(), hits)
		}
	}
	return nil
}

func measurePOP3(ctx context.Context, rep *report, f *fixture, p sizePlan) error {
	var posta, inproc, raw samples
	var cpu cpuMeter
	rt := rawTimes{demo: true}
	var cacheDir, dataDir string // of the last in-process sync
	spec, err := f.rawSpec("pop3")
	if err != nil {
		return err
	}
	quiet := fsQuiet(ctx, f.dir, p.n, targetFor("pop3_download", p.n) != nil)
	steady := cpuQuiet(ctx, targetFor("pop3_download", p.n) != nil)
	began := time.Now()
	for i := range p.pop3Runs {
		if i > 0 && time.Since(began) > p.budget {
			rep.note("POP3 download at %d messages: %d of %d planned runs (time budget %v)", p.n, i, p.pop3Runs, p.budget)
			break
		}
		d, run, err := cpu.pair("raw RETR", rt.child(ctx, spec), func() (procRun, error) {
			if f.bin == "" {
				return procRun{}, nil
			}
			return f.syncProcessFresh(ctx, "home")
		})
		if err != nil {
			return err
		}
		raw = append(raw, ms(d))
		e := run.wall
		if f.bin != "" {
			posta = append(posta, ms(e))
		}
		if err := rt.keep(func() (time.Duration, error) { return f.rawRetrAll(ctx) }); err != nil {
			return err
		}
		var in time.Duration
		in, cacheDir, dataDir, err = f.syncPOP3Fresh(ctx)
		if err != nil {
			return err
		}
		inproc = append(inproc, ms(in))
		logf("%d messages: POP3 download: posta sync %.0f ms, accounts Sync in process %.0f ms, raw RETR process %.0f ms (in this process %.0f ms)%s",
			p.n, ms(e), ms(in), ms(d), rt.inside[len(rt.inside)-1], cpu.lastSteal())
	}
	res := syncRow("pop3_download", "POP3 download", "raw RETR loop in a process of its own, demo server", p.n, posta, inproc, raw)
	res.CPU = cpu.use()
	res.Note = joinNote(joinNote(joinNote(joinNote(res.Note, rt.note(raw.median(), posta.median())), quiet), steady), stealNote(res.CPU))
	f.runs++
	if b, err := medianBreakdown(breakdownRuns, filepath.Join(f.dir, "breakdown"+strconv.Itoa(f.runs)), func(dir string) (*breakdown, error) {
		return pop3Breakdown(ctx, f.endpoint("pop3"), dir, f.n)
	}); err != nil {
		rep.problem("POP3 breakdown at %d messages: %v", p.n, err)
	} else {
		res.Breakdown = b.parts()
		logf("%d messages: POP3 breakdown: %s", p.n, b.text())
	}
	rep.add(res)
	if d, err := deferredIndexingOf(cacheDir, dataDir, "home"); err != nil {
		rep.problem("POP3 deferred indexing at %d messages: %v", p.n, err)
	} else {
		rep.add(result{ID: "pop3_deferred_index", What: "indexing a POP3 download leaves for later (issue 15): body text read from the Maildir files, full-text index and threads, " +
			"as the reader's Tidy does after the sync (or the first search), on the cache the last in-process sync left",
			Messages: p.n, Unit: "ms", Value: ms(d), Samples: samples{ms(d)}})
		logf("%d messages: POP3 deferred indexing %.0f ms", p.n, ms(d))
	}
	return nil
}

// syncRow is a first sync or download row: `posta sync` as a user runs it
// (posta), or, when the binary could not be built, the accounts layer's
// Sync in this process (inproc), which the note gives either way.
func syncRow(id, what, baseline string, n int, posta, inproc, raw samples) result {
	r := result{ID: id, Messages: n, Unit: "ms", Baseline: raw.median(), BaselineSamples: raw,
		What: what + " (`posta sync` process, fresh cache and data folders) vs " + baseline,
		Note: fmt.Sprintf("accounts Sync in this process (no process start): %.0f ms median", inproc.median())}
	r.Value, r.Samples = posta.median(), posta
	if len(posta) == 0 {
		r.What = what + " (accounts Sync in this process, fresh cache: the posta binary could not be built) vs " + baseline
		r.Value, r.Samples, r.Note = inproc.median(), inproc, ""
	}
	return r
}
