package accounts

import (
	"context"

	"github.com/posta-mail/posta/cache"
)

// Connecting ahead of the cache: a command that syncs at once (posta
// sync) builds its Set with no cache (Open(cfg, nil)), calls Preconnect
// on the accounts it will sync, opens the cache while their servers
// answer, and hands it over with AttachCache before the sync. Opening
// the cache (SQLite, a schema to create or check) then costs nothing on
// the way to the first fetched message: the connection, TLS and the
// login take longer.

// AttachCache gives a Set opened without a cache (Open(cfg, nil)) its
// cache. Call it once, before any method of the Set or of its accounts
// other than Get, Preconnect and Close, and from the goroutine that
// calls them: a connection Preconnect is opening meanwhile does not touch
// the cache.
func (s *Set) AttachCache(c *cache.Cache) {
	s.cache = c
	for _, a := range s.Accounts {
		a.cache = c
	}
}

// Preconnect starts connecting and logging in the account's sync lane
// in the background, for a sync that follows at once. The lane is taken
// before Preconnect returns, so a sync started afterwards waits for this
// connection and uses it instead of dialing another. A failure is not
// reported here: the sync that follows gets it as its own (once: the
// sync's retry after a refused OAuth2 token dials anew). A cancelled ctx
// stops the attempt, and the sync then connects as it would have.
//
// Preconnect does nothing for a fetcher that cannot connect ahead of
// need (POP3: each download opens a session of its own and none is kept
// between uses) or when the lane is in use. Close waits for the
// attempt and logs the connection out.
func (a *Account) Preconnect(ctx context.Context) {
	l := a.bg
	if l.opt.conn == nil || !l.tryLock() {
		return
	}
	go func() {
		defer l.mu.Unlock()
		ctx, cancel := context.WithTimeout(ctx, warmTimeout)
		defer cancel()
		if err := l.opt.conn.Connect(ctx); err != nil && ctx.Err() == nil {
			l.early = err
		}
	}()
}
