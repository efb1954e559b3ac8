package accounts

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// prefetchPage is how many of a folder's newest messages are looked at
// per query when prefetching.
const prefetchPage = 200

// prefetch fetches with f the bodies of a folder's messages younger than
// the account's prefetch_days that are not cached yet, so recent mail is
// readable offline. A body the server refuses or that cannot be read is
// reported in rep and skipped; the prefetch stops only when the
// connection fails. The caller holds the sync lane.
func (a *Account) prefetch(ctx context.Context, f protocols.Fetcher, folder string, now time.Time, rep *SyncReport) error {
	days := a.cfg.Fetch.PrefetchDays
	if days <= 0 {
		return nil
	}
	cutoff := now.AddDate(0, 0, -days)
	skipped := 0
	for offset := 0; ; offset += prefetchPage {
		msgs, err := a.cache.List(cache.Query{Account: a.Name(), Folder: folder, Limit: prefetchPage, Offset: offset})
		if err != nil {
			return err
		}
		for _, m := range msgs {
			if m.Date.Before(cutoff) {
				return nil // newest first: the rest is older
			}
			if m.HasBody || cache.IsPlaceholderUID(m.UID) {
				continue
			}
			if _, err := a.fetchBody(ctx, f, m.ID, m.Header); err != nil {
				if connectionLost(ctx, err) {
					return fmt.Errorf("prefetch: %w", err)
				}
				rep.fail(folder, m.UID, fmt.Errorf("prefetch: %w", err))
				if skipped++; skipped >= maxSkippedBodies {
					return nil // the server refuses bodies here: enough tries
				}
			}
		}
		if len(msgs) < prefetchPage {
			return nil
		}
	}
}

// maxSkippedBodies bounds how many refused bodies one folder's prefetch
// tries before it leaves the rest for a later sync.
const maxSkippedBodies = 20

// fetchBody downloads one body with f into the cache and the search
// index and returns it. The caller holds the lane of f. If the cache
// cannot keep the body, it is returned with the error.
func (a *Account) fetchBody(ctx context.Context, f protocols.Fetcher, id int64, h mail.Header) ([]byte, error) {
	rc, err := f.FetchBody(ctx, h.Folder, h.UID)
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
	noteAutocryptHeader(a, raw) // a body fetched or prefetched: its Autocrypt key, if any
	return raw, nil
}
