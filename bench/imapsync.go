package main

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
	postaimap "github.com/posta-mail/posta/protocols/imap"
)

// imapSyncRun is one first sync of the IMAP INBOX into a fresh cache.
type imapSyncRun struct {
	total      time.Duration // accounts Sync, from nothing to every header stored
	firstBatch time.Duration // until the first batch (the newest headers) was stored
	cacheDir   string
	dataDir    string
}

// syncIMAPFresh runs the accounts layer's Sync of the work account into
// a fresh cache, as `posta sync` does on first start.
func (f *fixture) syncIMAPFresh(ctx context.Context) (imapSyncRun, error) {
	cacheDir, dataDir := f.freshDirs()
	run := imapSyncRun{cacheDir: cacheDir, dataDir: dataDir}
	rep, d, err := f.timedSync(ctx, "work", cacheDir, dataDir, func(elapsed time.Duration, p protocols.Progress) {
		if run.firstBatch == 0 && p.Done > 0 {
			run.firstBatch = elapsed
		}
	})
	run.total = d
	if err != nil {
		return run, fmt.Errorf("imap sync: %w", err)
	}
	if rep.Added != f.n {
		return run, fmt.Errorf("imap sync added %d messages, want %d", rep.Added, f.n)
	}
	return run, nil
}

// rawFetchAll is the IMAP baseline's loop (rawFetchAt) against the demo
// server: log in over implicit TLS with go-imap's client, SELECT the
// INBOX and stream UID FETCH 1:* of the items posta's header sync
// fetches, discarding everything (go-imap still decodes the answer).
// Nothing is converted or stored.
func (f *fixture) rawFetchAll(ctx context.Context) (time.Duration, error) {
	return rawFetchAt(ctx, f.endpoint("imap"), f.n)
}

// rawSpec is the spec of kind's raw loop against the demo server, for a
// child process (rawchild.go).
func (f *fixture) rawSpec(kind string) (rawSpec, error) {
	return rawSpecFor(kind, f.endpoint(kind), f.caFile, f.n)
}

// protoResync is one protocols/imap Sync of an unchanged folder on a
// connection already logged in.
type protoResync struct {
	d     time.Duration
	trips connTrips // the Sync's alone (the counter is reset after login)
	known int       // UIDs the cache knows
}

// resyncRoundTrips runs protocols/imap's Sync of the INBOX with the
// request the accounts layer builds from a synced cache (UIDVALIDITY,
// HIGHESTMODSEQ, known UIDs), on a connection already logged in (as in a
// running posta), and counts the round trips, bytes and time of that
// Sync alone, above TLS (a tripTracer as the endpoint's Tracer).
func (f *fixture) resyncRoundTrips(ctx context.Context, cacheDir, dataDir string) (protoResync, error) {
	var out protoResync
	c, err := cache.Open(cache.Options{Dir: cacheDir, DataDir: dataDir})
	if err != nil {
		return out, err
	}
	defer c.Close()
	meta, err := c.FolderMeta("work", "INBOX")
	if err != nil {
		return out, err
	}
	known, err := c.KnownUIDs("work", "INBOX")
	if err != nil {
		return out, err
	}
	knownList := make([]string, 0, len(known))
	for uid := range known {
		knownList = append(knownList, uid)
	}
	out.known = len(knownList)
	tr := &tripTracer{}
	ep := f.endpoint("imap")
	ep.Tracer = tr
	fetcher := postaimap.New(postaimap.Options{Endpoint: ep})
	defer fetcher.Close()
	if _, err := fetcher.Folders(ctx); err != nil { // connects and logs in
		return out, err
	}
	tr.mu.Lock()
	conns := slices.Clone(tr.conns)
	tr.mu.Unlock()
	if len(conns) != 1 {
		return out, fmt.Errorf("the fetcher opened %d connections to log in, want 1", len(conns))
	}
	conns[0].reset()
	added := 0
	req := protocols.SyncRequest{
		Folder: "INBOX",
		State: protocols.FolderState{UIDValidity: meta.UIDValidity, HighestModSeq: meta.HighestModSeq,
			Known: func(uid string) bool { _, ok := known[uid]; return ok }, KnownUIDs: knownList},
		Headers: func(hs []mail.Header) error { added += len(hs); return nil },
	}
	start := time.Now()
	res, err := fetcher.Sync(ctx, req)
	out.d = time.Since(start)
	if err != nil {
		return out, err
	}
	if added != 0 || res.Added != 0 || len(res.Vanished) != 0 || res.Reset {
		return out, fmt.Errorf("resync of an unchanged folder changed something: %+v", res)
	}
	seen := tr.seen()
	if len(seen) != 1 {
		return out, fmt.Errorf("the Sync opened another connection (%d in all)", len(seen))
	}
	out.trips = seen[0]
	return out, nil
}

// accountsResync is one accounts-level resync with nothing changed, as
// `posta sync` runs it.
type accountsResync struct {
	sync  time.Duration // accounts SyncWith
	total time.Duration // the Sync and the logout (Set.Close)
	conns []connTrips   // every IMAP connection, from the greeting to LOGOUT
}

// resyncAccounts runs the accounts layer's Sync of an already synced
// cache with nothing changed on the server, as `posta sync` does: the
// accounts opened over the cache, SyncWith (a new connection: greeting,
// login, LIST, the folder, the cache update), then Close (LOGOUT). Every
// IMAP connection the account opens is counted from its greeting, above
// TLS, through the configuration's Tracer hook (what `posta --trace`
// uses): TCP and TLS handshakes are not in the count.
func (f *fixture) resyncAccounts(ctx context.Context, cacheDir, dataDir string) (accountsResync, error) {
	var out accountsResync
	cfg, err := f.config()
	if err != nil {
		return out, err
	}
	tr := &tripTracer{}
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == "work" {
			cfg.Accounts[i].Fetch.Tracer = tr
		}
	}
	c, set, err := openSet(cfg, cacheDir, dataDir)
	if err != nil {
		return out, err
	}
	defer c.Close()
	a, err := set.Get("work")
	if err != nil {
		set.Close()
		return out, err
	}
	start := time.Now()
	rep, err := a.SyncWith(ctx, accounts.SyncOptions{})
	out.sync = time.Since(start)
	closeErr := set.Close()
	out.total = time.Since(start)
	out.conns = tr.seen()
	if err != nil {
		return out, err
	}
	if closeErr != nil {
		return out, fmt.Errorf("close after the resync: %w", closeErr)
	}
	if rep.Added != 0 || rep.Removed != 0 {
		return out, fmt.Errorf("resync changed the cache: %+v", rep)
	}
	if len(out.conns) == 0 {
		return out, fmt.Errorf("the tracer saw no connection")
	}
	return out, nil
}
