package accounts

import (
	"context"
	"errors"
	"time"

	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
)

// WatchOptions tunes Watch. A zero value is valid.
type WatchOptions struct {
	// Poll is how often accounts without push (POP3, IMAP without IDLE)
	// are told to check; 0 means 2 minutes.
	Poll time.Duration
	// MaxBackoff caps the wait before reconnecting a failed watcher; 0
	// means one minute.
	MaxBackoff time.Duration
}

// Watch tells notify whenever an account may have new mail, with the
// account's name and the folder to sync: at once for IMAP accounts whose
// server pushes (IDLE on INBOX, on a connection of its own; folder
// "INBOX"), on a timer for the others (folder "": the whole account, a
// cheap resync that skips unchanged folders). It reconnects with backoff
// after errors and returns when ctx is done. notify is called from
// Watch's goroutines.
func (s *Set) Watch(ctx context.Context, opts WatchOptions, notify func(account, folder string)) {
	if opts.Poll <= 0 {
		opts.Poll = 2 * time.Minute
	}
	if opts.MaxBackoff <= 0 {
		opts.MaxBackoff = time.Minute
	}
	done := make(chan struct{})
	n := 0
	for _, a := range s.Accounts {
		n++
		go func() {
			defer func() { done <- struct{}{} }()
			a.watch(ctx, opts, notify)
		}()
	}
	for ; n > 0; n-- {
		<-done
	}
}

func (a *Account) watch(ctx context.Context, opts WatchOptions, notify func(account, folder string)) {
	name := a.Name()
	if a.Kind() != "imap" {
		poll(ctx, opts.Poll, func() { notify(name, "") })
		return
	}
	// A fetcher of its own: IDLE holds its connection for as long as it
	// runs and must not wait behind syncs.
	// What the server says to the user while it waits (a shutdown
	// notice) is kept for the next sync, which it starts. A server that
	// keeps talking starts no more syncs than take what it said
	// (serverAlerts keeps at most maxKeptAlerts).
	f := imap.New(imap.Options{Endpoint: a.in, OnAlert: func(text string) {
		if a.alerts.add(text) {
			notify(name, "")
		}
	}})
	defer f.Close()
	var idler protocols.Idler = f
	backoff := time.Second
	for ctx.Err() == nil {
		started := time.Now()
		err := idler.Idle(ctx, "INBOX", func() { notify(name, "INBOX") })
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, protocols.ErrUnsupported):
			poll(ctx, opts.Poll, func() { notify(name, "") })
			return
		case err == nil:
			continue
		}
		if time.Since(started) > opts.MaxBackoff {
			backoff = time.Second // it ran a good while: a fresh failure
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, opts.MaxBackoff)
		notify(name, "INBOX") // catch up on what came while the watcher was down
	}
}

func poll(ctx context.Context, every time.Duration, tick func()) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
			tick()
		}
	}
}
