package accounts

import (
	"context"
	"fmt"
)

// Tidy does the indexing a sync leaves for later (issue 15): the
// full-text index of the messages stored since the last catch-up, and
// the threads of the folders that have new messages. A sync stores only
// what a listing needs, so that `posta sync` and the reader's first
// screen do not wait for it; the reader calls Tidy when a sync has
// brought new mail, off the screen's path, and a search or a threaded
// listing that comes first does the same work itself (cache.Search,
// cache.List). It needs no connection. It stops when ctx ends (the
// reader quits), leaving the rest for later.
func (a *Account) Tidy(ctx context.Context) error {
	if _, err := a.cache.IndexPendingContext(ctx); err != nil {
		return err
	}
	if err := a.cache.ThreadAccount(ctx, a.Name()); err != nil {
		return fmt.Errorf("%s: %w", a.Name(), err)
	}
	return nil
}
