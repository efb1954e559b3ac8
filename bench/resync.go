package main

// The resync rows: `posta sync` on an account whose folder has not
// changed since the last sync, counted and timed at the accounts level
// (every connection, from the greeting to LOGOUT) and, for the folder
// sync alone, at the protocols/imap level on a logged-in connection.

import (
	"context"
	"fmt"
	"strings"
)

// resyncMinimum is the fewest round trips `posta sync` needs on an
// account whose folder did not change, from the greeting to LOGOUT, as
// posta decides a folder is unchanged (by its status: UIDVALIDITY,
// UIDNEXT, the message counts, and HIGHESTMODSEQ where the server has
// CONDSTORE): LOGIN (the capabilities come with its answer), LIST with
// the folders' STATUS (LIST-STATUS, or STATUS pipelined behind LIST: the
// cache knows the folder names), and LOGOUT; an unchanged folder needs no
// SELECT. Any connection beyond the one adds its own login and logout.
const (
	resyncMinimum     = 3
	resyncMinimumText = "≤ 3, the protocol's minimum: LOGIN | LIST with STATUS | LOGOUT on one connection"
)

func measureResync(ctx context.Context, rep *report, f *fixture, p sizePlan, synced imapSyncRun) error {
	var proto, protoTrips, protoKiB samples
	var last protoResync
	for range p.runs {
		r, err := f.resyncRoundTrips(ctx, synced.cacheDir, synced.dataDir)
		if err != nil {
			return fmt.Errorf("resync: %w", err)
		}
		proto = append(proto, ms(r.d))
		protoTrips = append(protoTrips, float64(r.trips.Trips))
		protoKiB = append(protoKiB, float64(r.trips.Read)/1024)
		last = r
	}
	var trips, acct, total, conns samples
	var runs []accountsResync
	for range p.runs {
		r, err := f.resyncAccounts(ctx, synced.cacheDir, synced.dataDir)
		if err != nil {
			return fmt.Errorf("resync through accounts: %w", err)
		}
		n := 0
		for _, c := range r.conns {
			n += c.Trips
		}
		trips = append(trips, float64(n))
		acct, total = append(acct, ms(r.sync)), append(total, ms(r.total))
		conns = append(conns, float64(len(r.conns)))
		runs = append(runs, r)
	}
	// The run whose count is the median describes the row.
	show := runs[0]
	for _, r := range runs {
		n := 0
		for _, c := range r.conns {
			n += c.Trips
		}
		if float64(n) == trips.median() {
			show = r
			break
		}
	}
	caps := map[string]bool{}
	var perConn []string
	var kib float64
	for i, c := range show.conns {
		for _, capa := range c.Caps {
			caps[capa] = true
		}
		kib += float64(c.Read) / 1024
		perConn = append(perConn, fmt.Sprintf("connection %d, %d round trips: %s (%.1f KiB read, %.1f KiB written)",
			i+1, c.Trips, burstText(c), float64(c.Read)/1024, float64(c.Written)/1024))
	}
	var has, lacks []string
	for _, capa := range resyncCaps {
		if caps[capa] {
			has = append(has, capa)
		} else {
			lacks = append(lacks, capa)
		}
	}
	announced := "announced " + strings.Join(has, ", ")
	if len(has) == 0 {
		announced = "announced none of " + strings.Join(lacks, ", ")
	} else if len(lacks) > 0 {
		announced += ", not " + strings.Join(lacks, ", ")
	}
	tripsRes := result{ID: "resync_trips", Messages: p.n, Unit: "round trips", Value: trips.median(), Samples: trips,
		What: "resync, nothing changed: IMAP round trips of `posta sync` (accounts Sync, then Close), on every connection from its greeting to LOGOUT (above TLS)",
		Note: fmt.Sprintf("%s; the server %s. The folder's sync alone (protocols/imap Sync on a logged-in connection): %.0f round trips, %.1f KiB read (%s).",
			strings.Join(perConn, "; "), announced, protoTrips.median(), protoKiB.median(), burstText(last.trips))}
	tripsRes.Why = fmt.Sprintf("posta made %.0f round trips on %d connection(s) where %d on one would do, %.0f more: %s.",
		trips.median(), len(show.conns), resyncMinimum, trips.median()-resyncMinimum, strings.Join(perConn, "; "))
	rep.add(tripsRes)

	perMsg := 0.0
	if last.known > 0 {
		perMsg = protoKiB.median() * 1024 / float64(last.known)
	}
	// Whether the accounts-level resync went into the folder at all: it
	// skips a folder whose status is what it was after the last sync.
	selected := 0
	for _, c := range show.conns {
		for _, b := range c.Bursts {
			for _, cmd := range b {
				if cmd == "SELECT" || cmd == "EXAMINE" {
					selected++
				}
			}
		}
	}
	rep.add(result{ID: "resync_proto", What: "resync of the unchanged folder when a sync does not skip it: protocols/imap Sync on a logged-in connection",
		Messages: p.n, Unit: "ms", Value: proto.median(), Samples: proto,
		Why: fmt.Sprintf("The Sync alone took %.0f ms for the %d messages the cache knows (%.1f µs a message) in %.0f round trips (%s), "+
			"reading %.1f KiB (%.0f bytes a message); the server %s. Samples: %s.",
			proto.median(), last.known, proto.median()*1000/float64(max(last.known, 1)), protoTrips.median(), burstText(last.trips),
			protoKiB.median(), perMsg, announced, spread(proto))})
	into := fmt.Sprintf("no connection selected the folder (its status in the LIST answer was what the cache kept), so the fetcher's Sync of the row above (%.1f ms) did not run; "+
		"the time is opening the connection(s), login, LIST and the cache's work", proto.median())
	if selected > 0 {
		into = fmt.Sprintf("the folder was selected %d time(s); the fetcher's Sync of it alone takes %.1f ms (the row above)", selected, proto.median())
	}
	rep.add(result{ID: "resync_accounts", What: "resync, nothing changed: accounts Sync as `posta sync` runs it (connect, login, LIST, the folders, cache)",
		Messages: p.n, Unit: "ms", Value: acct.median(), Samples: acct,
		Note: fmt.Sprintf("with the LOGOUT of Close: %.1f ms; %.0f connection(s).", total.median(), conns.median()),
		Why: fmt.Sprintf("accounts Sync took %.1f ms over %.0f connection(s) and %.0f round trips (%.1f KiB read): %s. Samples: %s.",
			acct.median(), conns.median(), trips.median(), kib, into, spread(acct))})
	logf("%d messages: resync %v round trips from the greeting (%s), %.1f ms on an open connection, %.1f ms through accounts (%.1f ms with LOGOUT)",
		p.n, trips.median(), strings.Join(perConn, "; "), proto.median(), acct.median(), total.median())
	return nil
}

// resyncMethodNote says how the resync rows are measured.
const resyncMethodNote = "Resync (nothing changed): on the cache of the last first sync, the accounts layer's SyncWith of the work account as `posta sync` runs it " +
	"(the accounts opened over the cache, a new connection: greeting, login, LIST, the folder, the cache update), then Set.Close (LOGOUT), timed to the end of SyncWith (the note adds the LOGOUT). " +
	"Round trips are counted on every IMAP connection the account opens, through the account configuration's Tracer hook (the one `posta --trace` uses), " +
	"which wraps each connection above TLS: a round trip is a burst of client writes after data from the server, so pipelined commands count once; " +
	"the command names of each burst are noted (never their arguments). TCP and TLS handshakes happen below the hook and are not counted. " +
	"The target is the fewest round trips the protocol allows for what `posta sync` checks (resyncMinimum in bench/resync.go: LOGIN, LIST with the folders' STATUS, LOGOUT, on one connection); " +
	"the note lists each connection's round trips by command and the capabilities (CONDSTORE, QRESYNC, LIST-STATUS) the server announced in the run. " +
	"The protocols/imap row runs the fetcher's Sync alone with the SyncRequest the accounts layer builds from the cache (UIDVALIDITY, HIGHESTMODSEQ, known UIDs) on a connection already logged in, counted the same way."
