// Package imap implements protocols.Fetcher over IMAP4 with
// github.com/emersion/go-imap/v2.
//
// A Fetcher holds one connection, opened lazily by the first call that
// needs it and reopened after it drops or after a cancelled context
// forced it closed. Sync is incremental: it uses the cache's
// UIDVALIDITY, HIGHESTMODSEQ (with CONDSTORE) and known UIDs to fetch
// only new headers, newest first, and reports flag changes and expunged
// messages.
//
// # Security
//
// Certificates are always verified. With protocols.SecurityNone the
// Fetcher refuses to log in (protocols.ErrInsecure) unless the endpoint
// sets AllowPlainAuth; the refusal happens before anything is sent.
//
// # Concurrency
//
// A Fetcher is used by one goroutine at a time, as protocols requires.
// Idle opens its own connection and may run alongside other calls.
package imap

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/protocols"
)

// Options configures a Fetcher.
type Options struct {
	Endpoint protocols.Endpoint
	// Dial opens the TCP connection; nil means a net.Dialer bounded by
	// Endpoint.IOTimeout. TLS is layered on top by the Fetcher.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// BatchSize is how many headers are fetched per round trip; 0 = 500.
	BatchSize int
	// SubscribedOnly lists only the folders the user subscribed to.
	SubscribedOnly bool
	// MaxMessageBytes bounds the size of one message FetchBody
	// downloads; zero means DefaultMaxMessageBytes. A bigger message
	// stays on the server and FetchBody fails with ErrTooLarge.
	MaxMessageBytes int64
	// RawFieldsOnly says the caller decodes the headers' RawFields
	// itself: Sync then leaves Subject, From, To, Cc, Message-ID and the
	// Date field undecoded (Date is the INTERNALDATE), which saves it a
	// decoding of every header.
	RawFieldsOnly bool
	// OnAlert, if set, is handed the text of each alert the server
	// sends (alerts.go), raw and at most 300 bytes; without it they are
	// dropped. It is called on the connection's reading goroutine and
	// must not block.
	OnAlert func(text string)

	// maxUntagged, if not zero, replaces the limit of that name (tests).
	maxUntagged int
}

// Fetcher is an IMAP protocols.Fetcher.
type Fetcher struct {
	opts   Options
	client *imapclient.Client
	wire   *wire // client's connection
	// busy counts the calls running, so that the connection's reads
	// have a deadline while they do (see wire.go).
	busy atomic.Int32
	// selected is the mailbox currently selected on client, "" if none;
	// readOnly says whether it was opened with EXAMINE.
	selected string
	readOnly bool
	// caps is what the server announced at the last login, sorted.
	caps []string
}

var _ protocols.Fetcher = (*Fetcher)(nil)
var _ protocols.Appender = (*Fetcher)(nil)
var _ protocols.CapsReporter = (*Fetcher)(nil)
var _ protocols.Searcher = (*Fetcher)(nil)
var _ protocols.Idler = (*Fetcher)(nil)
var _ protocols.Connector = (*Fetcher)(nil)
var _ protocols.Releaser = (*Fetcher)(nil)

// New returns a Fetcher for opts. It does not connect.
func New(opts Options) *Fetcher {
	if opts.BatchSize <= 0 {
		opts.BatchSize = 500
	}
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return &Fetcher{opts: opts}
}

// Caps reports that IMAP keeps folders and flags on the server and can
// move and delete messages.
func (f *Fetcher) Caps() protocols.Caps {
	return protocols.Caps{Folders: true, ServerFlags: true, Move: true, Delete: true}
}

// Close logs out and closes the connection. It is safe to call on a
// Fetcher that never connected.
func (f *Fetcher) Close() error {
	c := f.client
	f.client, f.wire, f.selected = nil, nil, ""
	if c == nil {
		return nil
	}
	if isClosed(c) {
		return nil
	}
	err := c.Logout().Wait()
	if cerr := c.Close(); err == nil && cerr != nil && !errors.Is(cerr, net.ErrClosed) {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("imap: logout: %w", err)
	}
	return nil
}

// conn returns a logged-in client, connecting if there is none or the
// previous one was closed.
func (f *Fetcher) conn(ctx context.Context) (*imapclient.Client, error) {
	if f.client != nil && !isClosed(f.client) {
		return f.client, nil
	}
	if f.client != nil {
		f.client.Close()
		f.client, f.wire, f.selected = nil, nil, ""
	}
	c, w, err := dial(ctx, f.opts, nil, &f.busy)
	if err != nil {
		return nil, err
	}
	f.client, f.wire = c, w
	f.caps = f.caps[:0]
	for name := range c.Caps() {
		f.caps = append(f.caps, string(name))
	}
	slices.Sort(f.caps)
	return c, nil
}

// begin connects if needed and arranges for the connection to be closed
// if ctx is cancelled while a command is blocked; until end, every read
// of the connection has a deadline. The caller must call the returned
// end function, which converts errors caused by the cancellation into
// ctx.Err(), and an error caused by a limit the server broke (see
// wire.go) into that limit's *WireError.
func (f *Fetcher) begin(ctx context.Context) (*imapclient.Client, func(error) error, error) {
	if err := ctx.Err(); err != nil {
		return nil, nil, err
	}
	f.busy.Add(1)
	c, err := f.conn(ctx)
	if err != nil {
		f.busy.Add(-1)
		return nil, nil, err
	}
	w := f.wire
	stop := context.AfterFunc(ctx, func() { c.Close() })
	var once sync.Once
	end := func(err error) error {
		stop()
		once.Do(func() {
			f.busy.Add(-1)
			w.bodyLimit.Store(0)
			w.fetchLimit.Store(0)
			w.byteLimit.Store(0)
		})
		if ctxErr := ctx.Err(); ctxErr != nil && err != nil {
			return fmt.Errorf("imap: %w", ctxErr)
		}
		if err != nil {
			if werr := f.brokenLimit(w); werr != nil {
				return fmt.Errorf("imap: %w", werr)
			}
		}
		return err
	}
	return c, end, nil
}

// brokenLimit returns the *WireError of w or of the Fetcher's current
// connection (a sync may have re-dialled), or nil.
func (f *Fetcher) brokenLimit(w *wire) error {
	for _, w := range []*wire{w, f.wire} {
		if w == nil {
			continue
		}
		if err := w.failure(); err != nil {
			return err
		}
	}
	return nil
}

// selectFolder selects folder unless it is already selected with at least
// the needed rights (a read-write selection serves read-only needs).
func (f *Fetcher) selectFolder(c *imapclient.Client, folder string, readOnly bool) error {
	if f.selected == folder && (f.readOnly == readOnly || !f.readOnly) {
		return nil
	}
	_, err := f.runSelect(c, folder, readOnly, false)
	return err
}

func isClosed(c *imapclient.Client) bool {
	select {
	case <-c.Closed():
		return true
	default:
		return false
	}
}

// Connect connects and logs in unless the Fetcher already has a live
// connection.
func (f *Fetcher) Connect(ctx context.Context) error {
	_, err := f.conn(ctx)
	return err
}

// expectFetches bounds the answer to the next fetch of headers on the
// current connection to n messages and unsolicitedFetches more, and to
// maxBatchBytes (see wire.go), until the returned function is called.
func (f *Fetcher) expectFetches(n int) (restore func()) {
	return f.limitFetch(n, maxBatchBytes)
}

// limitFetch bounds the answer to the next fetch to n messages and
// unsolicitedFetches more, and to size bytes, until restore.
func (f *Fetcher) limitFetch(n int, size int64) (restore func()) {
	w := f.wire
	if w == nil {
		return func() {}
	}
	w.fetchLimit.Store(int64(n) + unsolicitedFetches)
	w.byteLimit.Store(size)
	return func() {
		w.fetchLimit.Store(0)
		w.byteLimit.Store(0)
	}
}

// Release leaves the selected mailbox, if any, without waiting for the
// answer: the next listing of folders with their STATUS then costs one
// round trip and sees every client's changes.
func (f *Fetcher) Release() {
	if f.client == nil || f.selected == "" || isClosed(f.client) {
		return
	}
	f.leaveSelected(f.client)
}

// ServerCaps returns the capabilities the server announced at the last
// login (protocols.CapsReporter).
func (f *Fetcher) ServerCaps() []string { return slices.Clone(f.caps) }
