package main

import (
	"fmt"
	"strings"
)

// methodNotes explains how each figure was taken.
func methodNotes(rep *report) []string {
	notes := []string{
		"Servers: posta's demo servers (go-imap's in-memory IMAP server, posta's POP3 server) on 127.0.0.1 in the same process as the client, " +
			"so the server's CPU time counts against both posta and the baseline on the same 2 cores. " +
			"Every connection is implicit TLS with the demo certificate verified.",
		"IMAP first sync: `posta sync --account work` as a user runs it (the binary built with go build, with --config, --cache-dir and --data-dir naming fresh folders; " +
			"timed from the start of the process to its exit; the row's note gives `accounts.Account.Sync` in this process), the work account limited to INBOX: LOGIN, LIST, SELECT, " +
			"UID FETCH of the index items (UID FLAGS INTERNALDATE RFC822.SIZE and `BODY.PEEK[HEADER.FIELDS (Subject From To Cc Date Message-ID In-Reply-To References Content-Type Content-Disposition)]`; " +
			"no ENVELOPE or BODYSTRUCTURE since issue 15): by UID below UIDNEXT with no UID SEARCH (the folder's UIDs are dense): the 100 newest first, then the rest in batches of 500 newest first, up to three batches' fetches sent ahead of the one being read; " +
			"each batch's answer is read by a goroutine of its own, its fields decoded with posta's own header parser (two goroutines a batch) and stored by a third stage " +
			"(SQLite rows, 64 a statement; four indexes, and the folder counts added once a transaction: the full-text index, the threads and the indexes of the other sorts and views are made later, see the deferred-indexing row). " +
			"Baseline: go-imap's client, LOGIN, SELECT and one `UID FETCH 1:*` of the very same items, streamed and discarded " +
			"(go-imap still decodes the response; nothing is converted or stored), run like posta sync as a process of its own (this program re-executed with -raw-child) and timed from its start to its exit; " +
			"the row's note also gives the loop alone in that process and the same loop inside the benchmark's process, which holds the demo servers and so shares their Go runtime, as no client process does (bench/rawchild.go). One untimed baseline fetch warms the server first; " +
			"posta and baseline runs alternate. The row's explanation times the parts of posta's work alone in the same run (bench/breakdown.go). " +
			"The sync rows also record the `posta sync` process's CPU time (user + system) and, from /proc/stat, how long the machine's cores were busy in all while it ran and while the raw loop ran (bench/cpuuse.go); " +
			"a missed target's explanation computes from them the least wall time that work needs on the cores, against what the target allows. " +
			stealMethodNote(),
		"Internal cold-start proxy: the time from the start of the first sync until its first batch (the 500 newest headers) is stored, " +
			"i.e. when the reader could paint the first screen; no process is started and the reader is not run (the launch rows measure that).",
		resyncMethodNote,
		"Internal warm-start proxy: cache.Open + accounts.Open + ui.New + Init + WindowSizeMsg(120×40) + View() in this process, checked to contain the newest subject; " +
			"headless, no process start, no terminal, no sync or watch. The OS page cache is warm (the same process just wrote the cache). The launch rows measure the user's path.",
		"Peak RSS: a child process (this binary re-executed with -rss-child) opens the synced cache in the reader and presses ctrl+d until past the oldest message " +
			"(for at most 30 s, then G jumps to the end), rendering each frame, and checks the last frame shows the oldest message; VmHWM from /proc/self/status (Linux only) includes the Go runtime.",
		"Page down: the mean time of one ctrl+d and its frame while the memory child pages (it pages for at most 30 s, then presses G). " +
			"Every key press reads the folder's count from the folder counters (constant) " +
			"and the page with LIMIT/OFFSET (O(offset)); keyset paging would make the page constant too.",
		"Search: cache.Search with the TUI's result bound (5000) over the synced folder, after the deferred-indexing row has indexed it (the first search after a sync whose indexing nothing did yet pays that row's time first). Header sync does not fetch bodies, so only subjects and addresses are indexed.",
		"POP3: `posta sync --account home` as for IMAP (the note gives `accounts.Account.Sync` in this process) into fresh folders, leaving mail on the server (the default): STAT, LIST and UIDL, RETRs pipelined 32 ahead; " +
			"each message is read into memory (up to 256 KiB; a bigger one is streamed to disk) while another goroutine parses its header (not its body text, which the full-text catch-up reads from the file later: issue 15) and writes it into an unnamed file (O_TMPFILE; a named file in the Maildir's tmp/ where the file system has none), one at a time; " +
			"a committer goroutine makes what was written durable in the background every 100 ms while the download goes on (one syncfs, then the files named in cur/, another syncfs for their link counts, directory fsyncs) while the same commit indexes them in one transaction (64 rows a statement) that ends once they are durable, " +
			"and once more before QUIT; threads and the full-text index are left for later, as for IMAP: the POP3 deferred-indexing row times them once on the folders of the last in-process download (the body text read from the Maildir files, the full-text index and the threads, as the reader's Tidy does). " +
			"Baseline: go-pop3 USER/PASS, STAT and RETR of every message, one at a time, into a buffer that is dropped, in a process of its own as for IMAP (the note gives it inside the benchmark's process too). " +
			"Before the runs the harness waits (at most 6 minutes) until creating as many empty files as a run stores, in a fresh folder, costs at most 80 µs a file: ext4 without a journal, as on this machine, is 20 to 40 times slower at it for minutes after many deletions (bench/fsquiet.go); the row's note gives the cost measured and the wait. " +
			"The row's explanation times the parts of posta's work alone in the same run (bench/breakdown.go).",
		openMethodNote,
	}
	launch, dovecot := false, false
	for _, r := range rep.Results {
		launch = launch || strings.HasPrefix(r.ID, "launch_")
		dovecot = dovecot || (strings.HasSuffix(r.ID, "_dovecot") && r.Skipped == "")
	}
	if launch {
		notes = append(notes, launchNoteText, launchCacheNote)
		if dovecot {
			notes = append(notes, dovecotNote)
		}
		notes = append(notes, peersNote(rep))
	}
	return notes
}

// The launch rows (issue 14): what a user sees.
const (
	launchNoteText = "Launch rows: posta is built once (`go build`) and started as a user starts it, " +
		"`posta --config FILE --cache-dir DIR --data-dir DIR`, on one IMAP account over implicit TLS that trusts the server's CA (no folder limit), " +
		"in a fresh detached tmux session of 200×50 (a private tmux server, no status line, TERM=tmux-256color, LANG=C.UTF-8, a private HOME). " +
		"The time runs from just before `tmux new-session` until a capture of the pane shows the subject of the folder's newest message: " +
		"a marker message dated after every other one (delivered to the demo INBOX after the other measurements; written into the Dovecot Maildir). " +
		"The pane is captured every ~5 ms through one tmux control-mode client (a capture costs ~0.1 ms), so a figure is late by at most one interval (the notes give the mean); " +
		"it includes the process start, the TLS connection and login, and tmux's own handling of the output. " +
		"Median of 5 runs at 10,000 messages, 3 at 100,000 (3 with -quick)."
	launchCacheNote = "Launch, empty and warm cache: each empty-cache run gets a new, empty cache folder and is killed (SIGHUP from tmux) as soon as the subject shows. " +
		"Before them, one untimed run per client starts on an empty cache, waits until the first sync says it ended (posta: `work: N new` or `work: up to date` in the status line), " +
		"is quit with its key (posta: q) and waited for; posta must leave its cache marked closed cleanly (index.clean). " +
		"Each warm run starts on that folder, is quit and waited for the same way, so the next one also starts from a cache closed cleanly. " +
		"A warm posta syncs on start as it always does; the figure is when the subject is painted, whatever that sync is doing then. " +
		"The untimed run also warms the server for its client (Dovecot's indexes and caches); clients take turns run by run, so the shared machine's slow moments spread over all of them."
	dovecotNote = "Dovecot launch rows (-dovecot): Dovecot 2.3 of scripts/mailstack.sh on 127.0.0.1 over IMAPS, one user per folder size (benchN@example.test, `mailstack.sh add-user`), " +
		"its INBOX written straight into the Maildir by the harness (posta's demo generator: about 1 KB each, most read, some flagged; flags in the file names, " +
		"file time = Date = INTERNALDATE, UIDs in date order) and indexed with doveadm (`mailstack.sh index`) before any client connects; a folder seeded earlier the same way is kept. " +
		"Dovecot runs in its own processes on the same 2 cores; the demo servers are stopped before these runs."
)

// whyMissed explains, per measurement, where the time or memory goes
// when its target is missed. The explanations come from CPU profiles of
// this harness (-cpuprofile) and of the Go benchmarks.
var whyMissed = map[string]string{
	"cold_first_batch": "The first screen waits for LOGIN, LIST with STATUS, SELECT and a first FETCH of the 100 UIDs below UIDNEXT, stored; " +
		"the fetches of the next batches are already on their way.",
	"open_during_sync": "The interactive lane has a connection of its own, connected when the sync starts; an open costs one FETCH round trip, " +
		"the server's time to send the message, and storing it in the cache and the search index, while the sync lane's batches compete for the same 2 cores.",
	"warm_start": "cache.Open runs PRAGMA quick_check only after a session that did not close the index cleanly; otherwise ui.New and the first View, " +
		"which read only the visible rows.",
	"peak_rss": "The index keeps only the visible rows; memory is the Go runtime, SQLite's page cache and the model.",
	"search_word": "The TUI path reads the ids of up to 5,000 hits (FTS5 MATCH, then a sort of (date, id) pairs) and the rows of one screen; " +
		"most of what is left is the sort of every hit by date.",
	"search_from": "`from:` matches the addresses column; a sender of one message in ten gives 10,000 hits sorted by date before the 5,000-row limit applies " +
		"(see the word search).",
	"page_down": "A page down reads one screen with LIMIT/OFFSET (O(offset)); the folder is counted only when it changes, not on every key.",
	"launch_cold_demo": "The figure is the whole user path: process start, cache and accounts open, the reader's first frame, then the network " +
		"(TLS, LOGIN, LIST, SELECT, the first FETCH) and the first stored batch of headers, which the reader must reload before it can paint the newest subject. " +
		"The internal cold-start proxy row isolates the sync's part; the demo server shares the harness's process and the 2 cores.",
	"launch_cold_dovecot": "As for the demo server: the whole path to the first stored and reloaded batch of headers. " +
		"neomutt on an empty header cache fetches every header before it paints; aerc fetches the UIDs, then the headers of the visible rows only.",
	"launch_warm_demo": "The figure includes the process start, opening the cache (a quick_check only after an unclean close) and the accounts, " +
		"and the reader's first frame from the cache; the internal warm-start proxy row isolates the in-process part.",
	"launch_warm_dovecot": "posta paints a warm start from its cache before the network answers; neomutt must log in, SELECT and compare its header cache first, " +
		"aerc must log in, SELECT and fetch the UIDs first.",
}

// breakdownNote explains a sync row from its breakdown, timed in the same
// run: what each part costs alone, against posta's figure and the
// baseline's.
func breakdownNote(r result) string {
	var parts []string
	var sum float64
	for _, p := range r.Breakdown {
		parts = append(parts, fmt.Sprintf("%s %.0f ms", p.Name, p.Millis))
		if !p.Reference {
			sum += p.Millis
		}
	}
	s := fmt.Sprintf("posta took %.0f ms, the raw loop %.0f ms (%.2f×). The parts of posta's work timed alone, one after the other, in this run (medians of %d): %s; together %.0f ms. ",
		r.Value, r.Baseline, r.ratio(), breakdownRuns, strings.Join(parts, "; "), sum)
	fetch := r.Breakdown[0].Millis
	rest := sum - fetch
	s += fmt.Sprintf("posta overlaps the fetch (%.0f ms alone, %.2f× the raw loop) with the rest (%.0f ms alone): were the parts to cost what they cost alone, "+
		"its figure would lie between the larger of the two (%.0f ms) and their sum (%.0f ms), plus the process start and the cache's opening; ",
		fetch, fetch/r.Baseline, rest, max(fetch, rest), sum)
	if rest > fetch {
		s += fmt.Sprintf("the rest, by itself %.1f× the raw loop, is what keeps the figure above the target.", rest/r.Baseline)
	} else {
		s += "the fetch is the larger part."
	}
	switch lo := max(fetch, rest); {
	case r.Value > sum:
		s += fmt.Sprintf(" posta's figure is %.0f ms above the sum: the parts slow each other down when they run at once on the shared cores, "+
			"and the samples of this run vary (%s).", r.Value-sum, spread(r.Samples))
	case r.Value < lo:
		s += fmt.Sprintf(" posta's figure is below the larger part: the parts' own times vary from run to run on this shared machine (posta's samples: %s).", spread(r.Samples))
	}
	return s
}

// spread is the range of samples, "min–max ms".
func spread(s samples) string {
	if len(s) == 0 {
		return "none"
	}
	lo, hi := s[0], s[0]
	for _, v := range s {
		lo, hi = min(lo, v), max(hi, v)
	}
	return fmt.Sprintf("%.0f–%.0f ms", lo, hi)
}

// missedNotes returns the explanation of each missed target, once per
// measurement.
func missedNotes(rep *report) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Status == "met" || r.Status == "no target" || r.Status == "n/a" || r.Status == "not measured" || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		why := whyMissed[r.ID]
		if len(r.Breakdown) > 0 {
			why = breakdownNote(r)
		}
		if t := targetFor(r.ID, r.Messages); t != nil && t.ofBaseline && r.CPU != nil {
			why += " " + cpuNote(r, t.limit)
		}
		if r.Why != "" {
			why = r.Why
		}
		if why == "" {
			why = "not analysed"
		}
		out = append(out, fmt.Sprintf("**%s** (%s): %s", r.What, r.Status, why))
	}
	return out
}

// peersNote says what was done about neomutt and aerc.
func peersNote(rep *report) string {
	if !rep.PeersRun {
		return "neomutt and aerc were not driven in this run (they are, with -peers and the Dovecot stack up), so the Dovecot launch rows have no baseline."
	}
	return fmt.Sprintf("Peers (-peers): neomutt (%s) and aerc (%s), installed from Debian's packages when missing, are timed the same way on the same Dovecot folder; "+
		"the Dovecot launch rows' baseline is the faster of the two, and their notes give each with posta's ratio from the same run. "+
		"neomutt: `neomutt -n -F muttrc` with folder imaps://…/, spoolfile +INBOX, imap_user and imap_pass, ssl_ca_certificates_file = the stack's CA, "+
		"header_cache and message_cachedir in the run's cache folder, sleep_time=0, sort=reverse-date (newest first, where its cursor starts), quit=yes, move=no; "+
		"it shows its index once every header is fetched and stored in its header cache; quit with q. "+
		"aerc: accounts.conf with source = imaps://…, default INBOX, cache-headers = true, outgoing /bin/true; an empty aerc.conf, the system's binds.conf; "+
		"XDG_CONFIG_HOME and XDG_CACHE_HOME (its header cache) in the run, SSL_CERT_FILE = the stack's CA; newest first by default; "+
		"it fetches the headers of the visible rows only, so its warm cache holds those; the filling run lingers 2 s for them; quit with :quit.",
		rep.Machine.Neomutt, rep.Machine.Aerc)
}
