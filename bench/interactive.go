package main

import (
	"context"
	"fmt"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/accounts"
)

// openDuringSync times what issue 14 asks of the interactive lane: while
// the first sync of the whole INBOX runs into a fresh cache, the user
// opens messages whose bodies are not cached (accounts Body, as the pager
// does). Each open is timed from the call to the bytes in hand; the sync
// is checked to be still running after each. The baseline is one raw
// UID FETCH BODY.PEEK[] of the same messages on a go-imap connection
// already logged in with the INBOX selected: one round trip plus the
// server's time, nothing stored.
func (f *fixture) openDuringSync(ctx context.Context, opens int) (posta, raw samples, err error) {
	cacheDir, dataDir := f.freshDirs()
	cfg, err := f.config()
	if err != nil {
		return nil, nil, err
	}
	c, set, err := openSet(cfg, cacheDir, dataDir)
	if err != nil {
		return nil, nil, err
	}
	defer c.Close()
	defer set.Close()
	a, err := set.Get("work")
	if err != nil {
		return nil, nil, err
	}
	stored := make(chan struct{}, 1)
	done := make(chan error, 1)
	syncCtx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() {
		_, err := a.SyncWith(syncCtx, accounts.SyncOptions{First: "INBOX", Events: func(e accounts.Event) {
			if e.Kind == accounts.EventStored && e.Folder == "INBOX" {
				select {
				case stored <- struct{}{}:
				default:
				}
			}
		}})
		done <- err
	}()
	select {
	case <-stored:
	case err := <-done:
		return nil, nil, fmt.Errorf("the sync ended (%v) before its first batch", err)
	}
	msgs, err := a.List("INBOX", opens, 0)
	if err != nil || len(msgs) < opens {
		return nil, nil, fmt.Errorf("list after the first batch: %d rows, %v", len(msgs), err)
	}
	var uids []imap.UID
	for _, m := range msgs {
		start := time.Now()
		body, err := a.Body(ctx, m.ID)
		d := time.Since(start)
		if err != nil || len(body) == 0 {
			return nil, nil, fmt.Errorf("open %d during the sync: %v", m.ID, err)
		}
		select {
		case err := <-done:
			return nil, nil, fmt.Errorf("the first sync ended (%v) before the opens did: too small a folder to measure this", err)
		default:
		}
		posta = append(posta, ms(d))
		var uid uint64
		fmt.Sscan(m.UID, &uid)
		uids = append(uids, imap.UID(uid))
	}
	cancel()
	<-done
	raw, err = f.rawBodies(ctx, uids)
	return posta, raw, err
}

// rawBodies times one UID FETCH BODY.PEEK[] per uid on a connection
// logged in with the INBOX selected beforehand.
func (f *fixture) rawBodies(ctx context.Context, uids []imap.UID) (samples, error) {
	ep := f.endpoint("imap")
	c, err := imapclient.DialTLS(ep.Addr(), &imapclient.Options{TLSConfig: ep.TLS()})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	if err := c.Login(ep.Username, "password").Wait(); err != nil {
		return nil, err
	}
	if _, err := c.Select("INBOX", &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		return nil, err
	}
	var out samples
	for _, uid := range uids {
		start := time.Now()
		msgs, err := c.Fetch(imap.UIDSetNum(uid), &imap.FetchOptions{UID: true,
			BodySection: []*imap.FetchItemBodySection{{Peek: true}}}).Collect()
		if err != nil || len(msgs) != 1 {
			return nil, fmt.Errorf("raw body fetch of %d: %d messages, %v", uid, len(msgs), err)
		}
		out = append(out, ms(time.Since(start)))
	}
	return out, nil
}
