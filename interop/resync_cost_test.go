//go:build interop

package interop

import (
	"bufio"
	"context"
	"crypto/tls"
	"fmt"
	"maps"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
)

// cost is what one resync cost on the wire.
type cost struct {
	read, written int64
	roundTrips    int
}

func (c cost) String() string {
	return fmt.Sprintf("%d RT, %5d B read, %4d B written", c.roundTrips, c.read, c.written)
}

func (s *connStats) cost() cost {
	r, w, rt := s.snapshot()
	return cost{r, w, rt}
}

func countingDial(stats *connStats) func(ctx context.Context, network, addr string) (net.Conn, error) {
	return func(ctx context.Context, network, addr string) (net.Conn, error) {
		var d net.Dialer
		c, err := d.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &countingConn{Conn: c, stats: stats}, nil
	}
}

func (c *headerCache) clone() *headerCache {
	return &headerCache{folder: c.folder, state: c.state, headers: maps.Clone(c.headers)}
}

// qresyncConn is a hand-driven IMAP connection that enables QRESYNC,
// which go-imap v2.0.0-beta.8's client cannot do: it measures what a
// SELECT (QRESYNC ...) would cost. Only used to take measurements.
type qresyncConn struct {
	conn  net.Conn
	r     *bufio.Reader
	stats *connStats
	tag   int
}

func (s *stack) dialQResync(t *testing.T) *qresyncConn {
	t.Helper()
	stats := &connStats{}
	raw, err := net.DialTimeout("tcp", s.imapTLS, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	tc := tls.Client(&countingConn{Conn: raw, stats: stats}, &tls.Config{RootCAs: s.roots, ServerName: "127.0.0.1"})
	q := &qresyncConn{conn: tc, r: bufio.NewReader(tc), stats: stats}
	t.Cleanup(func() { tc.Close() })
	tc.SetDeadline(time.Now().Add(30 * time.Second))
	if _, err := q.r.ReadString('\n'); err != nil {
		t.Fatalf("greeting: %v", err)
	}
	q.command(t, "LOGIN "+alice+" "+alicePass)
	if resp := q.command(t, "ENABLE QRESYNC"); !strings.Contains(resp, "ENABLED QRESYNC") {
		t.Fatalf("ENABLE QRESYNC: %q", resp)
	}
	return q
}

// command sends one command and returns every line up to its tagged OK.
func (q *qresyncConn) command(t *testing.T, cmd string) string {
	t.Helper()
	q.tag++
	tag := fmt.Sprintf("q%d", q.tag)
	if _, err := fmt.Fprintf(q.conn, "%s %s\r\n", tag, cmd); err != nil {
		t.Fatalf("%s: %v", cmd, err)
	}
	var out strings.Builder
	for {
		line, err := q.r.ReadString('\n')
		if err != nil {
			t.Fatalf("%s: %v", cmd, err)
		}
		out.WriteString(line)
		if strings.HasPrefix(line, tag+" ") {
			if !strings.HasPrefix(line, tag+" OK") {
				t.Fatalf("%s: %s", cmd, line)
			}
			return out.String()
		}
	}
}

// TestIMAPResyncCostCondStoreVsQResync measures, against Dovecot, a
// resync after no change, one flag change and one expunge made by another
// client, three ways: the fetcher with the CONDSTORE shortcut (what posta
// does), the fetcher without HIGHESTMODSEQ (the path of a server without
// CONDSTORE: full flags + UID SEARCH), and a hand-written
// SELECT (QRESYNC ...) (what QRESYNC would cost; go-imap's client cannot
// send or parse it). The numbers back the decision written at the top of
// protocols/imap/sync.go.
func TestIMAPResyncCostCondStoreVsQResync(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	other := s.rawIMAP(t, alice, alicePass)
	folder := uniqueName(t, "Cost-")
	if err := other.Create(folder, nil).Wait(); err != nil {
		t.Fatalf("CREATE %s: %v", folder, err)
	}
	t.Cleanup(func() { other.Delete(folder).Wait() })
	subjects := make([]string, 50)
	for i := range subjects {
		subjects[i] = fmt.Sprintf("%s msg %02d", folder, i)
	}
	appendRaw(t, other, folder, subjects...)

	stats := &connStats{}
	f := imap.New(imap.Options{Endpoint: endpoint(t, s.imapTLS, protocols.SecurityTLS, alice, alicePass, s.roots),
		Dial: countingDial(stats)})
	t.Cleanup(func() { f.Close() })
	base := newHeaderCache(folder)
	if _, _, err := base.sync(ctx, f); err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	if base.state.HighestModSeq == 0 {
		t.Fatal("Dovecot reported no HIGHESTMODSEQ: CONDSTORE expected")
	}
	q := s.dialQResync(t)
	uids := slices.Sorted(maps.Keys(base.headers))

	changes := []struct {
		name  string
		apply func()
		check func(t *testing.T, res protocols.SyncResult, qresync string)
	}{
		{"no change", func() {}, func(t *testing.T, res protocols.SyncResult, qr string) {
			if len(res.Vanished) != 0 || res.Added != 0 {
				t.Errorf("unchanged: Vanished %v, Added %d", res.Vanished, res.Added)
			}
			if strings.Contains(qr, "VANISHED") || strings.Contains(qr, "FETCH") {
				t.Errorf("unchanged QRESYNC SELECT reported changes:\n%s", qr)
			}
		}},
		{"1 flag change", func() {
			storeFlag(t, other, folder, mustUID(t, uids[3]), goimap.FlagFlagged)
		}, func(t *testing.T, res protocols.SyncResult, qr string) {
			if fl, ok := res.Flags[uids[3]]; !ok || !slices.Contains(fl, "\\Flagged") {
				t.Errorf("flag change: Flags[%s] = %v, want \\Flagged", uids[3], res.Flags[uids[3]])
			}
			if !strings.Contains(qr, "FETCH (") {
				t.Errorf("QRESYNC SELECT shows no FETCH for the flag change:\n%s", qr)
			}
		}},
		{"1 expunge", func() {
			expunge(t, other, folder, mustUID(t, uids[7]))
		}, func(t *testing.T, res protocols.SyncResult, qr string) {
			if !slices.Equal(res.Vanished, []string{uids[7]}) {
				t.Errorf("expunge: Vanished = %v, want [%s]", res.Vanished, uids[7])
			}
			if !strings.Contains(qr, "VANISHED (EARLIER) "+uids[7]) {
				t.Errorf("QRESYNC SELECT shows no VANISHED (EARLIER) %s:\n%s", uids[7], qr)
			}
		}},
	}
	var report []string
	for _, ch := range changes {
		before := base.clone()
		ch.apply()

		measure := func(c *headerCache) (protocols.SyncResult, cost) {
			stats.reset()
			res, _, err := c.sync(ctx, f)
			if err != nil {
				t.Fatalf("%s: Sync: %v", ch.name, err)
			}
			return res, stats.cost()
		}
		withModSeq := before.clone()
		res, condCost := measure(withModSeq)
		noModSeq := before.clone()
		noModSeq.state.HighestModSeq = 0
		_, plainCost := measure(noModSeq)

		q.stats.reset()
		qr := q.command(t, fmt.Sprintf("SELECT %s (QRESYNC (%d %d))", folder, before.state.UIDValidity, before.state.HighestModSeq))
		qCost := q.stats.cost()
		ch.check(t, res, qr)
		if ch.name == "no change" && condCost.roundTrips > 2 {
			t.Errorf("unchanged resync with CONDSTORE took %d round trips, want at most 2", condCost.roundTrips)
		}
		report = append(report,
			fmt.Sprintf("%-14s CONDSTORE (posta): %s", ch.name, condCost),
			fmt.Sprintf("%-14s no modseq (fallback): %s", ch.name, plainCost),
			fmt.Sprintf("%-14s QRESYNC SELECT:     %s", ch.name, qCost))
		base = withModSeq
	}
	t.Logf("resync of a %d-message folder on Dovecot (TLS bytes on the wire, connection already open):\n%s",
		len(subjects), strings.Join(report, "\n"))
}

// storeFlag adds flag to uid in folder through the other client c.
func storeFlag(t *testing.T, c *imapclient.Client, folder string, uid goimap.UID, flag goimap.Flag) {
	t.Helper()
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatalf("SELECT %s: %v", folder, err)
	}
	if err := c.Store(goimap.UIDSetNum(uid), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true,
		Flags: []goimap.Flag{flag}}, nil).Close(); err != nil {
		t.Fatalf("STORE: %v", err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("UNSELECT: %v", err)
	}
}

// expunge removes uid from folder through the other client c.
func expunge(t *testing.T, c *imapclient.Client, folder string, uid goimap.UID) {
	t.Helper()
	storeFlag(t, c, folder, uid, goimap.FlagDeleted)
	if _, err := c.Select(folder, nil).Wait(); err != nil {
		t.Fatalf("SELECT %s: %v", folder, err)
	}
	if _, err := c.UIDExpunge(goimap.UIDSetNum(uid)).Collect(); err != nil {
		t.Fatalf("UID EXPUNGE: %v", err)
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("UNSELECT: %v", err)
	}
}
