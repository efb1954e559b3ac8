package imap

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// FetchBody streams the raw bytes of one message (BODY.PEEK[], so the
// message is not marked seen). The reader reads straight off the
// connection: the caller must Close it before using the Fetcher again.
// An unknown UID yields an error wrapping protocols.ErrNotFound. An
// answer go-imap cannot decode fails this message only: the connection
// it broke is dropped, and the next call dials a new one.
func (f *Fetcher) FetchBody(ctx context.Context, folder, uid string) (io.ReadCloser, error) {
	n, err := parseUID(uid)
	if err != nil {
		return nil, err
	}
	c, end, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.selectFolder(c, folder, true); err != nil {
		return nil, end(err)
	}
	f.wire.bodyLimit.Store(f.opts.MaxMessageBytes)
	f.limitFetch(1, f.opts.MaxMessageBytes+2*maxResponseBytes) // until end
	section := &imap.FetchItemBodySection{Peek: true}
	fc := c.Fetch(imap.UIDSetNum(n), &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	for m := fc.Next(); m != nil; m = fc.Next() {
		for item := m.Next(); item != nil; item = m.Next() {
			if body, ok := item.(imapclient.FetchItemDataBodySection); ok && body.Literal != nil {
				return &bodyReader{ctx: ctx, r: body.Literal, fc: fc, end: end, broken: func(err error) { f.dropBroken(c, err) }}, nil
			}
		}
	}
	err = fc.Close()
	f.dropBroken(c, err)
	if err := end(err); err != nil {
		return nil, fmt.Errorf("imap: fetch %s/%s: %w", folder, uid, err)
	}
	return nil, fmt.Errorf("imap: fetch %s/%s: %w", folder, uid, protocols.ErrNotFound)
}

// bodyReader reads a message literal while its FETCH command is open.
type bodyReader struct {
	ctx    context.Context
	r      io.Reader
	fc     *imapclient.FetchCommand
	end    func(error) error
	broken func(error) // drops the connection after a failure that closed it
	err    error       // the first error Read returned
	closed bool
}

// Read reads the literal. After its first error it is not read again:
// go-imap's decoder goes on once the literal reader has failed, and
// would race with a second read.
func (b *bodyReader) Read(p []byte) (int, error) {
	if b.err != nil {
		return 0, b.err
	}
	n, err := b.r.Read(p)
	if err != nil && err != io.EOF && b.ctx.Err() != nil {
		err = b.ctx.Err()
	}
	b.err = err
	return n, err
}

// Close discards what is left of the message and finishes the command.
func (b *bodyReader) Close() error {
	if b.closed {
		return nil
	}
	b.closed = true
	var err error
	switch b.err {
	case nil:
		_, err = io.Copy(io.Discard, b)
	case io.EOF:
	default:
		// The connection failed under the literal: close it, and wait
		// for go-imap's decoder to stop, before the FETCH is closed
		// (which reads the literal again).
		err = b.err
		b.broken(err)
	}
	if cerr := b.fc.Close(); err == nil {
		err = cerr
	}
	b.broken(err)
	return b.end(err)
}

// SetFlags adds or removes flags on messages with UID STORE ±FLAGS.SILENT.
func (f *Fetcher) SetFlags(ctx context.Context, folder string, uids []string, flags []mail.Flag, add bool) error {
	return f.onUIDs(ctx, folder, uids, func(c *imapclient.Client, set imap.UIDSet) error {
		op := imap.StoreFlagsDel
		if add {
			op = imap.StoreFlagsAdd
		}
		if err := c.Store(set, &imap.StoreFlags{Op: op, Silent: true, Flags: imapFlags(flags)}, nil).Close(); err != nil {
			return fmt.Errorf("imap: store flags in %s: %w", folder, err)
		}
		return nil
	})
}

// onUIDs runs fn with folder selected read-write on a live connection,
// for the messages with the given UIDs.
func (f *Fetcher) onUIDs(ctx context.Context, folder string, uids []string, fn func(*imapclient.Client, imap.UIDSet) error) error {
	set, err := uidSet(uids)
	if err != nil {
		return err
	}
	c, end, err := f.begin(ctx)
	if err != nil {
		return err
	}
	if err := f.selectFolder(c, folder, false); err != nil {
		return end(err)
	}
	return end(fn(c, set))
}

// Move moves messages to dest with MOVE, or COPY + \Deleted + EXPUNGE on
// servers without it.
func (f *Fetcher) Move(ctx context.Context, folder string, uids []string, dest string) error {
	return f.onUIDs(ctx, folder, uids, func(c *imapclient.Client, set imap.UIDSet) error {
		_, err := f.moveAndPlace(c, set, folder, dest, false)
		return err
	})
}

// Delete marks messages \Deleted and expunges them (only them, when the
// server has UIDPLUS).
func (f *Fetcher) Delete(ctx context.Context, folder string, uids []string) error {
	return f.onUIDs(ctx, folder, uids, func(c *imapclient.Client, set imap.UIDSet) error {
		return expungeUIDs(c, set, folder)
	})
}

func expungeUIDs(c *imapclient.Client, set imap.UIDSet, folder string) error {
	store := &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}
	if err := c.Store(set, store, nil).Close(); err != nil {
		return fmt.Errorf("imap: mark deleted in %s: %w", folder, err)
	}
	var err error
	if c.Caps().Has(imap.CapUIDPlus) {
		err = c.UIDExpunge(set).Close()
	} else {
		err = c.Expunge().Close()
	}
	if err != nil {
		return fmt.Errorf("imap: expunge %s: %w", folder, err)
	}
	return nil
}

// Append stores raw in folder with the given flags and internal date
// (zero means now), e.g. a sent message or a draft. Bare LF line endings
// are converted to CRLF as IMAP requires.
func (f *Fetcher) Append(ctx context.Context, folder string, flags []mail.Flag, date time.Time, raw []byte) error {
	c, end, err := f.begin(ctx)
	if err != nil {
		return err
	}
	raw = toCRLF(raw)
	cmd := c.Append(folder, int64(len(raw)), &imap.AppendOptions{Flags: imapFlags(flags), Time: date})
	_, werr := cmd.Write(raw)
	cerr := cmd.Close()
	_, err = cmd.Wait()
	for _, e := range []error{werr, cerr} {
		if err == nil {
			err = e
		}
	}
	if err != nil {
		return end(notFound(err, "append to "+folder))
	}
	return end(nil)
}

func imapFlags(flags []mail.Flag) []imap.Flag {
	out := make([]imap.Flag, 0, len(flags))
	for _, fl := range flags {
		out = append(out, imap.Flag(fl))
	}
	return out
}

// toCRLF converts bare LF line endings to CRLF.
func toCRLF(raw []byte) []byte {
	if !bytes.Contains(raw, []byte("\n")) {
		return raw
	}
	out := make([]byte, 0, len(raw)+len(raw)/40)
	for i, b := range raw {
		if b == '\n' && (i == 0 || raw[i-1] != '\r') {
			out = append(out, '\r')
		}
		out = append(out, b)
	}
	return out
}
