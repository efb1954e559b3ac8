package main

import (
	"context"
	"fmt"
	"net"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

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

// rawFetchAll is the baseline: log in over implicit TLS with go-imap's
// client, SELECT the INBOX and stream UID FETCH 1:* of the items posta's
// header sync fetches, discarding everything (go-imap still decodes the
// answer). Nothing is converted or stored.
func (f *fixture) rawFetchAll(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	ep := f.endpoint("imap")
	c, err := imapclient.DialTLS(ep.Addr(), &imapclient.Options{TLSConfig: ep.TLS()})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(ep.Username, "password").Wait(); err != nil {
		return 0, err
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return 0, err
	}
	all := imap.UIDSet{imap.UIDRange{Start: 1, Stop: 0}} // 1:*
	// The very items posta's header sync asks for, so that the ratio
	// measures what posta does with them, not what it asks.
	fc := c.Fetch(all, postaimap.HeaderFetchOptions())
	got := 0
	for m := fc.Next(); m != nil; m = fc.Next() {
		for it := m.Next(); it != nil; it = m.Next() {
		}
		got++
	}
	if err := fc.Close(); err != nil {
		return 0, err
	}
	d := time.Since(start)
	if got != f.n {
		return d, fmt.Errorf("raw fetch got %d messages, want %d", got, f.n)
	}
	return d, c.Logout().Wait()
}

// resyncRoundTrips runs protocols/imap's Sync of the INBOX with the
// request the accounts layer builds from a synced cache (UIDVALIDITY,
// HIGHESTMODSEQ, known UIDs), on a connection already logged in (as in a
// running posta), and counts the round trips and time of that Sync alone.
func (f *fixture) resyncRoundTrips(ctx context.Context, cacheDir, dataDir string) (trips int, d time.Duration, err error) {
	c, err := cache.Open(cache.Options{Dir: cacheDir, DataDir: dataDir})
	if err != nil {
		return 0, 0, err
	}
	defer c.Close()
	meta, err := c.FolderMeta("work", "INBOX")
	if err != nil {
		return 0, 0, err
	}
	known, err := c.KnownUIDs("work", "INBOX")
	if err != nil {
		return 0, 0, err
	}
	knownList := make([]string, 0, len(known))
	for uid := range known {
		knownList = append(knownList, uid)
	}
	var conn *tripConn
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		raw, err := (&net.Dialer{Timeout: 30 * time.Second}).DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		conn = newTripConn(raw)
		return conn, nil
	}
	fetcher := postaimap.New(postaimap.Options{Endpoint: f.endpoint("imap"), Dial: dial})
	defer fetcher.Close()
	if _, err := fetcher.Folders(ctx); err != nil { // connects and logs in
		return 0, 0, err
	}
	conn.reset()
	added := 0
	req := protocols.SyncRequest{
		Folder: "INBOX",
		State: protocols.FolderState{UIDValidity: meta.UIDValidity, HighestModSeq: meta.HighestModSeq,
			Known: func(uid string) bool { _, ok := known[uid]; return ok }, KnownUIDs: knownList},
		Headers: func(hs []mail.Header) error { added += len(hs); return nil },
	}
	start := time.Now()
	res, err := fetcher.Sync(ctx, req)
	d = time.Since(start)
	if err != nil {
		return 0, d, err
	}
	if added != 0 || res.Added != 0 || len(res.Vanished) != 0 || res.Reset {
		return 0, d, fmt.Errorf("resync of an unchanged folder changed something: %+v", res)
	}
	return conn.count(), d, nil
}

// resyncAccounts times the accounts layer's Sync of an already synced
// cache with nothing changed on the server (LIST, SELECT, flag check,
// cache update), over a fresh connection, as `posta sync` does.
func (f *fixture) resyncAccounts(ctx context.Context, cacheDir, dataDir string) (time.Duration, error) {
	rep, d, err := f.timedSync(ctx, "work", cacheDir, dataDir, nil)
	if err != nil {
		return d, err
	}
	if rep.Added != 0 || rep.Removed != 0 {
		return d, fmt.Errorf("resync changed the cache: %+v", rep)
	}
	return d, nil
}
