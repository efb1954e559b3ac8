//go:build interop

package interop

import (
	"context"
	"net"
	"sync"
	"testing"

	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
)

// countingConn counts the bytes a connection carries and its round trips
// (a write that follows a read starts a new exchange). Counts are at the
// TCP level, so they include TLS record overhead.
type countingConn struct {
	net.Conn
	stats *connStats
}

type connStats struct {
	mu                      sync.Mutex
	read, written           int64
	roundTrips              int
	lastWasRead, wroteFirst bool
}

func (c *countingConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	c.stats.mu.Lock()
	c.stats.read += int64(n)
	if n > 0 {
		c.stats.lastWasRead = true
	}
	c.stats.mu.Unlock()
	return n, err
}

func (c *countingConn) Write(p []byte) (int, error) {
	n, err := c.Conn.Write(p)
	c.stats.mu.Lock()
	c.stats.written += int64(n)
	if c.stats.lastWasRead || !c.stats.wroteFirst {
		c.stats.roundTrips++
	}
	c.stats.lastWasRead, c.stats.wroteFirst = false, true
	c.stats.mu.Unlock()
	return n, err
}

func (s *connStats) reset() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.read, s.written, s.roundTrips = 0, 0, 0
}

func (s *connStats) snapshot() (read, written int64, roundTrips int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.read, s.written, s.roundTrips
}

// TestIMAPUnchangedResyncCost measures what an unchanged resync costs on
// the wire, with the HIGHESTMODSEQ shortcut (CONDSTORE) and without it.
func TestIMAPUnchangedResyncCost(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	const folder = "Junk"
	seed := s.imapFetcher(t, protocols.SecurityTLS, alice, alicePass)
	appendUnique(t, seed, folder, 20)

	stats := &connStats{}
	dial := func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, stats: stats}, nil
	}
	f := imap.New(imap.Options{
		Endpoint: endpoint(t, s.imapTLS, protocols.SecurityTLS, alice, alicePass, s.roots),
		Dial:     dial,
	})
	t.Cleanup(func() { f.Close() })

	cache := newHeaderCache(folder)
	res, got, err := cache.sync(ctx, f)
	if err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	r, w, rt := stats.snapshot()
	t.Logf("first sync (login + %d headers): read %d B, wrote %d B, %d round trips", len(got), r, w, rt)
	if res.HighestModSeq == 0 {
		t.Logf("HighestModSeq path: server reported HIGHESTMODSEQ 0: no CONDSTORE shortcut possible")
	} else {
		t.Logf("HighestModSeq path: server reported HIGHESTMODSEQ %d; the fetcher returns it in SyncResult", res.HighestModSeq)
	}

	stats.reset()
	res, got, err = cache.sync(ctx, f)
	if err != nil {
		t.Fatalf("unchanged Sync: %v", err)
	}
	if len(got) != 0 || res.Added != 0 || len(res.Vanished) != 0 || res.Reset {
		t.Fatalf("unchanged Sync: %d headers, Added %d, Vanished %v, Reset %v; want nothing new",
			len(got), res.Added, res.Vanished, res.Reset)
	}
	r, w, rt = stats.snapshot()
	t.Logf("unchanged resync WITH HighestModSeq %d: read %d B, wrote %d B, %d round trips, %d flag entries",
		cache.state.HighestModSeq, r, w, rt, len(res.Flags))

	// The same resync without the modseq: what the fallback path costs.
	saved := cache.state.HighestModSeq
	cache.state.HighestModSeq = 0
	stats.reset()
	res, got, err = cache.sync(ctx, f)
	if err != nil {
		t.Fatalf("unchanged Sync without modseq: %v", err)
	}
	if len(got) != 0 || res.Added != 0 || len(res.Vanished) != 0 {
		t.Fatalf("unchanged Sync without modseq: %d headers, Added %d, Vanished %v; want nothing new",
			len(got), res.Added, res.Vanished)
	}
	r2, w2, rt2 := stats.snapshot()
	t.Logf("unchanged resync WITHOUT HighestModSeq (full flags): read %d B, wrote %d B, %d round trips, %d flag entries",
		r2, w2, rt2, len(res.Flags))
	if saved != 0 && r2 > r {
		t.Logf("=> the fetcher uses the HIGHESTMODSEQ shortcut: %d B less read", r2-r)
	} else {
		t.Logf("=> no saving seen from HIGHESTMODSEQ")
	}
}
