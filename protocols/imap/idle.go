package imap

import (
	"context"
	"errors"
	"fmt"
	"sync/atomic"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/protocols"
)

// Idle opens a second connection, selects folder read-only and IDLEs,
// calling onChange whenever the server reports new (EXISTS) or removed
// (EXPUNGE) messages. onChange runs on Idle's goroutine; bursts of
// notifications are coalesced. Idle returns nil once ctx is done, or an
// error if the connection fails; it returns protocols.ErrUnsupported if
// the server lacks IDLE.
func (f *Fetcher) Idle(ctx context.Context, folder string, onChange func()) error {
	changes := make(chan struct{}, 1)
	notify := func() {
		select {
		case changes <- struct{}{}:
		default:
		}
	}
	handler := &imapclient.UnilateralDataHandler{
		Mailbox: func(d *imapclient.UnilateralDataMailbox) {
			if d.NumMessages != nil {
				notify()
			}
		},
		Expunge: func(uint32) { notify() },
	}
	// busy gives every read a deadline until IDLE is running; then the
	// wire waits up to idleWait (see wire.go).
	var busy atomic.Int32
	busy.Add(1)
	c, w, err := dial(ctx, f.opts, handler, &busy)
	if err != nil {
		return err
	}
	defer c.Close()
	stop := context.AfterFunc(ctx, func() { c.Close() })
	defer stop()
	wrap := func(err error) error {
		if werr := w.failure(); werr != nil {
			return werr
		}
		return err
	}

	if !c.Caps().Has(imap.CapIdle) {
		return fmt.Errorf("imap: idle: %w", protocols.ErrUnsupported)
	}
	if _, err := c.Select(folder, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return notFound(wrap(err), "idle select "+folder)
	}
	w.idle.Store(true)
	busy.Add(-1)
	idle, err := c.Idle()
	if err != nil {
		if ctx.Err() != nil {
			return nil
		}
		return fmt.Errorf("imap: idle %s: %w", folder, wrap(err))
	}
	for {
		select {
		case <-ctx.Done():
			idle.Close()
			return nil
		case <-changes:
			onChange()
		case <-c.Closed():
			if ctx.Err() != nil {
				return nil
			}
			err := idle.Wait()
			if err == nil {
				err = errors.New("connection closed")
			}
			return fmt.Errorf("imap: idle %s: %w", folder, wrap(err))
		}
	}
}
