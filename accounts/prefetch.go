package accounts

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
)

// prefetchPage is how many of a folder's newest messages are looked at
// per query when prefetching.
const prefetchPage = 200

// prefetch fetches the bodies of a folder's messages younger than the
// account's prefetch_days that are not cached yet, so recent mail is
// readable offline. The caller holds a.net.
func (a *Account) prefetch(ctx context.Context, folder string, now time.Time) error {
	days := a.cfg.Fetch.PrefetchDays
	if days <= 0 {
		return nil
	}
	cutoff := now.AddDate(0, 0, -days)
	for offset := 0; ; offset += prefetchPage {
		msgs, err := a.cache.List(cache.Query{Account: a.Name(), Folder: folder, Limit: prefetchPage, Offset: offset})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Date.Before(cutoff) {
				return nil // newest first: the rest is older
			}
			if m.HasBody {
				continue
			}
			if _, err := a.fetchBodyLocked(ctx, m.ID, m.Header); err != nil {
				return fmt.Errorf("prefetch: %w", err)
			}
		}
		if len(msgs) < prefetchPage {
			return nil
		}
	}
}

// fetchBodyLocked downloads one body into the cache and the search
// index and returns it. The caller holds a.net. If the cache cannot keep
// the body, it is returned with the error.
func (a *Account) fetchBodyLocked(ctx context.Context, id int64, h mail.Header) ([]byte, error) {
	rc, err := a.fetcher.FetchBody(ctx, h.Folder, h.UID)
	if err != nil {
		return nil, fmt.Errorf("%s: fetch message %d: %w", a.Name(), id, err)
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: fetch message %d: %w", a.Name(), id, err)
	}
	if err := a.cache.PutBody(id, bytes.NewReader(raw)); err != nil {
		return raw, err
	}
	a.indexBody(id, raw)
	return raw, nil
}
