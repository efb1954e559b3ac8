package main

import "fmt"

// methodNotes explains how each figure was taken.
func methodNotes(rep *report) []string {
	return []string{
		"Servers: posta's demo servers (go-imap's in-memory IMAP server, posta's POP3 server) on 127.0.0.1 in the same process as the client, " +
			"so the server's CPU time counts against both posta and the baseline on the same 2 cores. " +
			"Every connection is implicit TLS with the demo certificate verified.",
		"IMAP first sync: `accounts.Account.Sync` of the work account (limited to INBOX) into a fresh cache: LOGIN, LIST, SELECT, UID SEARCH, " +
			"UID FETCH of the index items in batches of 500 newest first, conversion to mail.Header and SQLite insert with the FTS index. " +
			"Baseline: go-imap's client, LOGIN, SELECT and one `UID FETCH 1:* (UID FLAGS ENVELOPE INTERNALDATE RFC822.SIZE BODYSTRUCTURE)` streamed and discarded " +
			"(go-imap still decodes the response; nothing is converted or stored). posta additionally fetches " +
			"`BODY.PEEK[HEADER.FIELDS (References In-Reply-To)]` for threading, which the baseline does not. One untimed baseline fetch warms the server first; " +
			"posta and baseline runs alternate.",
		"Cold start: the time from the start of the first sync until its first batch (the 500 newest headers) is stored, " +
			"i.e. when the reader could paint the first screen; the reader itself is not run here.",
		"Resync round trips: measured at the protocols/imap level with the SyncRequest the accounts layer builds from the cache " +
			"(UIDVALIDITY, HIGHESTMODSEQ, known UIDs), on a connection already logged in (a net.Conn wrapper passed as imap.Options.Dial). " +
			"The wrapper sits under TLS, so it cannot see command tags; it counts round trips as client write bursts that follow data from the server. " +
			"The demo server has no CONDSTORE, so the fetcher must SELECT, UID SEARCH and UID FETCH the flags of every known message. " +
			"The accounts-level resync row is what `posta sync` costs end to end (new TLS connection, LOGIN, LIST, the same Sync, flag update in the cache).",
		"Warm start: cache.Open + accounts.Open + ui.New + Init + WindowSizeMsg(120×40) + View(), checked to contain the newest subject; " +
			"headless, no terminal, no sync or watch. The OS page cache is warm (the same process just wrote the cache).",
		"Peak RSS: a child process (this binary re-executed with -rss-child) opens the synced cache in the reader and presses ctrl+d until past the oldest message " +
			"(for at most 30 s, then G jumps to the end), rendering each frame, and checks the last frame shows the oldest message; VmHWM from /proc/self/status (Linux only) includes the Go runtime.",
		"Page down: the mean time of one ctrl+d and its frame while the memory child pages (it pages for at most 30 s, then presses G). " +
			"Every key press re-counts the folder (`SELECT COUNT(*)`, O(n); ~90% of a page-down in a profile of `BenchmarkIndexScreen100k`) " +
			"and reads the page with LIMIT/OFFSET (O(offset)); a count kept from the folder counters and keyset paging would make it constant.",
		"Search: cache.Search with the TUI's result bound (5000) over the synced folder. Header sync does not fetch bodies, so only subjects and addresses are indexed.",
		"POP3: `accounts.Account.Sync` of the home account into fresh folders (UIDL, RETR streamed to the Maildir, fsync per message, header parse, index row) " +
			"vs go-pop3 USER/PASS, STAT and RETR of every message into a buffer that is dropped.",
		"Open: a generated message with a base64 attachment (80%) and a quoted-printable text part (20%), rendered from its file with message.Render (width 80). " +
			"Allocated bytes are runtime TotalAlloc; the peak heap is sampled every 2 ms above the heap live before.",
		peersNote(rep.Machine),
	}
}

// whyMissed explains, per measurement, where the time or memory goes
// when its target is missed. The explanations come from CPU profiles of
// this harness (-cpuprofile) and of the Go benchmarks.
var whyMissed = map[string]string{
	"imap_sync": "Threads are now computed once after the folder is stored, not on every batch (that was quadratic and took most of the CPU before). " +
		"In a CPU profile of this run the in-process demo server is the largest part (go-imap's imapmemserver builds ENVELOPE and BODYSTRUCTURE and parses each " +
		"message for the References/In-Reply-To header fields posta also asks for, which the baseline does not), and it shares the 2 cores with the client. " +
		"On the client, decoding the responses and storing the headers (SQLite insert, the full-text and counter triggers) take about equal parts. " +
		"The remaining gap is that storing work: the baseline keeps nothing.",
	"cold_first_batch": "The first screen waits for LOGIN, LIST, SELECT, a UID SEARCH of the whole folder and a first FETCH batch of 500 headers stored with threading; " +
		"a smaller first batch (one screen, ~50) would paint sooner while the rest streams in.",
	"resync_trips": "The demo server (go-imap's imapmemserver) has no CONDSTORE: an unchanged folder costs SELECT, then UID SEARCH ALL (expunges) and the FLAGS fetch " +
		"of every message, sent together. With CONDSTORE and an unchanged HIGHESTMODSEQ the fetcher stops after SELECT: 1 round trip against Dovecot " +
		"(interop TestIMAPUnchangedResyncCost).",
	"resync_proto": "Without CONDSTORE the whole folder's UIDs and flags cross the wire and are compared on every resync: the cost grows with the folder (O(n)), " +
		"not with what changed. A CONDSTORE server answers an unchanged folder in one SELECT.",
	"resync_accounts": "End to end it adds a new TLS connection, LOGIN and LIST on top of the protocol-level resync above, " +
		"and compares every message's flags with the cache (only changed ones are written).",
	"warm_start": "cache.Open runs PRAGMA quick_check only after a session that did not close the index cleanly; otherwise ui.New and the first View, " +
		"which read only the visible rows.",
	"peak_rss": "The index keeps only the visible rows; memory is the Go runtime, SQLite's page cache and the model.",
	"search_word": "The TUI path reads the ids of up to 5,000 hits (FTS5 MATCH, then a sort of (date, id) pairs) and the rows of one screen; " +
		"most of what is left is the sort of every hit by date.",
	"search_from": "`from:` matches the addresses column; a sender of one message in ten gives 10,000 hits sorted by date before the 5,000-row limit applies " +
		"(see the word search).",
	"page_down": "A page down reads one screen with LIMIT/OFFSET (O(offset)); the folder is counted only when it changes, not on every key.",
	"pop3_download": "posta's POP3 download is durable by design: every message is written to a temporary file, fsynced, renamed into the Maildir, " +
		"the directory fsynced, and its index row committed in its own transaction before the next RETR, so that a DELE never names a message " +
		"that is not safely on disk. Most of the wall time waits on those two fsyncs per message; the raw loop keeps nothing. " +
		"Deferring the DELEs to the end of the session and syncing the files in one go before them would keep that promise with fewer waits.",
	"open_50mb": "Render streams the parts (base64 attachment counted and discarded, body text capped at 1 MiB), so it is CPU-bound decoding; " +
		"in-memory it takes ~150 ms (BenchmarkRender50MB). Slower figures here come from load on the shared machine.",
	"open_50mb_heap": "Render keeps at most the capped body text and its wrapped copy.",
}

// missedNotes returns the explanation of each missed target, once per
// measurement.
func missedNotes(rep *report) []string {
	var out []string
	seen := map[string]bool{}
	for _, r := range rep.Results {
		if r.Status == "met" || r.Status == "no target" || r.Status == "n/a" || seen[r.ID] {
			continue
		}
		seen[r.ID] = true
		why := whyMissed[r.ID]
		if why == "" {
			why = "not analysed"
		}
		out = append(out, fmt.Sprintf("**%s** (%s): %s", r.What, r.Status, why))
	}
	return out
}

// peersNote says what was done about neomutt and aerc.
func peersNote(m machine) string {
	if m.Neomutt == "not installed" && m.Aerc == "not installed" {
		return "neomutt and aerc are not installed on this machine and the harness never installs them, so no side-by-side peer figures were taken."
	}
	return fmt.Sprintf("neomutt (%s) and aerc (%s) were found, but the harness does not drive them yet (tmux, time to a known subject); "+
		"the peer figures in the targets are the issue's, not measured here.", m.Neomutt, m.Aerc)
}
