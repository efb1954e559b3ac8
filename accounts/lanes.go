package accounts

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/posta-mail/posta/protocols"
)

// A lane is one connection to the fetch server and the lock that keeps
// it to one user at a time.
//
// Each IMAP account has two lanes, so the user never waits behind a
// background sync:
//
//   - the sync lane (Account.bg) runs header syncs and the body prefetch,
//     folder after folder, for as long as they take;
//   - the interactive lane (Account.fg) does what the user asked for and
//     waits on: opening a message whose body is not cached, flags, moves
//     and deletes (the queued-action replay too, so the queue keeps its
//     order), server search, and filing copies in Sent and Drafts.
//
// Each lane opens its own connection when it first needs one. SMTP has a
// lock of its own (Account.sendMu), and IDLE a connection of its own
// (watch.go). A POP3 account has one lane: its only network work is the
// download, and everything else is local.
type lane struct {
	mu  sync.Mutex
	f   protocols.Fetcher
	opt fetcherCaps // f's optional capabilities, found once
	// stale is set when another lane found that a folder's UIDVALIDITY
	// changed: this lane's connection may still have the old folder
	// selected, so it reconnects before its next use.
	stale atomic.Bool
	// early is the error of the connection Account.Preconnect opened
	// ahead of the lane's first use, if it failed: that use gets it
	// instead of dialing (and logging in) a second time. Guarded by mu.
	early error
}

// lock takes the lane, first dropping its connection if it went stale.
func (l *lane) lock() {
	l.mu.Lock()
	l.dropStale()
}

// tryLock is lock if the lane is free; it reports whether it took it.
func (l *lane) tryLock() bool {
	if !l.mu.TryLock() {
		return false
	}
	l.dropStale()
	return true
}

// dropStale closes the lane's connection if it went stale. l.mu is held.
func (l *lane) dropStale() {
	if l.stale.Swap(false) {
		_ = l.f.Close()
	}
}

// do runs fn with the lane's fetcher, holding the lane. If a connection
// opened ahead of need failed (Account.Preconnect), do returns that
// error once, without running fn: the error fn would have met when it
// connected, found without a second attempt.
func (l *lane) do(fn func(f protocols.Fetcher) error) error {
	l.lock()
	defer l.mu.Unlock()
	if err := l.early; err != nil {
		l.early = nil
		return err
	}
	return fn(l.f)
}

// close logs the lane's connection out, waiting for its current user.
func (l *lane) close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.f.Close()
}

// lanes builds the account's lanes from a fetcher constructor: two
// fetchers (two connections) for a fetcher whose mail lives on the
// server, one shared lane for a fetcher that downloads (POP3).
func newLanes(mk func() protocols.Fetcher) (bg, fg *lane) {
	f := mk()
	bg = &lane{f: f, opt: resolveCaps(f)}
	if f.Caps().LocalIsRecord {
		return bg, bg
	}
	g := mk()
	return bg, &lane{f: g, opt: resolveCaps(g)}
}

// lockFG takes the interactive lane; unlock with a.fg.mu.Unlock.
func (a *Account) lockFG() { a.fg.lock() }

// folderReset tells the other lane that a folder's UIDs changed meaning.
func (a *Account) folderReset() {
	if a.fg != a.bg {
		a.fg.stale.Store(true)
	}
}

// warmTimeout bounds connecting a lane ahead of need.
const warmTimeout = 30 * time.Second

// warm connects the interactive lane in the background if it is idle, so
// that the first message the user opens during a sync costs one round
// trip, not a connection and a login. A lane in use is left alone.
func (a *Account) warm() {
	l := a.fg
	if l == a.bg || l.opt.conn == nil {
		return
	}
	go func() {
		if !l.mu.TryLock() {
			return
		}
		defer l.mu.Unlock()
		ctx, cancel := context.WithTimeout(context.Background(), warmTimeout)
		defer cancel()
		_ = l.opt.conn.Connect(ctx) // a failure shows when the lane is used
	}()
}
