package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/pop3"
)

// popLeaseTTL is how long a POP3 sync's claim on its account lasts if its
// process stops renewing it without dying (the cache renews it, and frees
// it at once when the process is gone).
const popLeaseTTL = 10 * time.Minute

// fetchPOP downloads new POP3 mail into the account's Maildir and
// deletes mail on the server as the account's policy says. Each message
// is streamed to disk as it arrives; the fetcher has them synced and
// indexed a batch at a time (cache.POPBatch), always before the QUIT that
// lets the server delete them. One posta process at a time does it: the others get a
// *BusyError.
func (a *Account) fetchPOP(ctx context.Context, f protocols.Fetcher, opts *SyncOptions, rep *SyncReport) error {
	release, _, err := a.cache.AcquireLease("sync:"+a.Name(), popLeaseTTL)
	var held *cache.LeaseHeldError
	if errors.As(err, &held) {
		return &BusyError{Account: a.Name(), PID: held.PID}
	}
	if err != nil {
		return err
	}
	defer release()
	err = a.fetchPOPWith(ctx, f, opts, rep, popPolicyFor(a.cfg.Fetch))
	// Threads and the full-text index (body text included, read from
	// the Maildir files) are left, as for IMAP, for the first threaded
	// listing or search, or for the reader's Tidy.
	a.emit(opts, Event{Kind: EventFolderDone, Folder: cache.FolderInbox, Err: err})
	return err
}

// popHeadBytes is how much of a message's start fetchPOP keeps while it
// streams the message to disk: the header is parsed from it. The body
// text indexed for search is not extracted during the download (issue
// 15: it was a sixth of `posta sync`'s CPU): the cache's full-text
// catch-up reads it from the Maildir file later (the reader's Tidy after
// the sync, or the first search).
const popHeadBytes = 256 << 10

// popQueued bounds a message fetchPOP holds in memory to parse and write
// while the download goes on; a bigger one is streamed to disk by the
// downloading goroutine, after the messages before it.
const popQueued = popHeadBytes

// popWriters is how many goroutines parse and write queued messages.
const popWriters = 2

// The batch is committed in the background while the download goes on:
// popFirstCommit after the download began (so that the first messages
// show up at once), then as soon as the last commit is done and
// popCommitGap passed since it began. A commit costs little more for
// many messages than for few (one syncfs, one transaction), and commits
// that follow each other closely leave little for the last one, which
// the QUIT waits for: at 10,000 messages from the demo server a gap of
// 100 ms ended the sync 4% and 12% sooner than one of 250 ms (medians of
// two sets of 8 interleaved runs), and 50 ms or none gained nothing more.
const (
	popFirstCommit = 150 * time.Millisecond
	popCommitGap   = 100 * time.Millisecond
)

// popWriter parses the headers of the POP3 messages of a download and
// adds the messages to a cache.POPBatch, on goroutines of its
// own while the download goes on: the downloading goroutine only reads
// each message into memory (at most popQueued of it). Another goroutine
// commits the batch from time to time meanwhile; commit, before QUIT,
// commits what is left once every queued message is written.
//
// A message whose Store returned nil may not be written yet; commit
// flushes first. If writing one fails, the next Store and commit report
// it: the fetcher then stops and sends no QUIT, so the DELE already sent
// for that message deletes nothing. A background commit that fails
// stops the download (the next Store fails) but not the QUIT: its
// messages stay pending in the batch, and the final commit makes them
// durable or fails.
type popWriter struct {
	batch  *cache.POPBatch
	notify func(final bool) // called with false after each commit that stored messages, under commitMu
	jobs   chan popJob
	idle   sync.WaitGroup // queued jobs not done
	wg     sync.WaitGroup // the writers and the committer
	// start holds the start of a message while store tells whether it is
	// small enough to queue (the downloading goroutine's).
	start []byte

	mu        sync.Mutex // guards known, err and commitErr
	known     map[string]struct{}
	err       error // a message accepted by store could not be written
	commitErr error // the last background commit failed

	// addMu makes the writers create their files one at a time: the
	// kernel serialises creations in a directory anyway, and spins
	// while it waits.
	addMu    sync.Mutex
	commitMu sync.Mutex    // one commit at a time
	added    chan struct{} // a message was added since the committer looked
	stop     chan struct{} // closed to stop the committer
}

type popJob struct {
	uidl string
	data []byte
}

func startPOPWriter(batch *cache.POPBatch, known map[string]struct{}, notify func(bool)) *popWriter {
	w := &popWriter{batch: batch, known: known, notify: notify, jobs: make(chan popJob, 64),
		added: make(chan struct{}, 1), stop: make(chan struct{})}
	for range popWriters {
		w.wg.Add(1)
		go func() {
			defer w.wg.Done()
			for j := range w.jobs {
				err := w.add(j.uidl, j.data, bytes.NewReader(j.data))
				w.done(err)
			}
		}()
	}
	w.wg.Add(1)
	go w.commitLoop()
	return w
}

// store is SyncRequest.Store: it reads the message and queues it, or
// writes a big one itself.
func (w *popWriter) store(uidl string, r io.Reader) error {
	if err := w.failed(); err != nil {
		return err
	}
	if w.start == nil {
		w.start = make([]byte, popQueued+1)
	}
	n, err := readFull(r, w.start)
	if err == io.EOF {
		w.idle.Add(1)
		w.jobs <- popJob{uidl: uidl, data: bytes.Clone(w.start[:n])}
		return nil
	}
	if err != nil {
		return err
	}
	// Too big to hold: wait for the queue, then stream it to disk after
	// the start already read, which holds the header.
	if err := w.flush(); err != nil {
		return err
	}
	return w.add(uidl, w.start[:popHeadBytes], io.MultiReader(bytes.NewReader(w.start), r))
}

// add parses the header of the message whose start is head and adds the
// message (all of r) to the batch, without body text: the full-text
// catch-up reads that from the file.
func (w *popWriter) add(uidl string, head []byte, r io.Reader) error {
	h := message.ParseHeaderBytes(head)
	h.Folder = "INBOX"
	w.addMu.Lock()
	err := w.batch.Add(uidl, h, "", r)
	w.addMu.Unlock()
	if errors.Is(err, cache.ErrAlreadyDelivered) {
		// Stored by another process since this sync listed what it knew
		// (and deleted here since): it is safe.
		err = nil
	} else if err == nil {
		select {
		case w.added <- struct{}{}: // wake the committer
		default:
		}
	}
	if err == nil {
		w.mu.Lock()
		w.known[uidl] = struct{}{}
		w.mu.Unlock()
	}
	return err
}

// isKnown reports whether the index knew uidl when the sync began, or a
// writer stored it since.
func (w *popWriter) isKnown(uidl string) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	_, ok := w.known[uidl]
	return ok
}

func (w *popWriter) done(err error) {
	if err != nil {
		w.mu.Lock()
		if w.err == nil {
			w.err = err
		}
		w.mu.Unlock()
	}
	w.idle.Done()
}

// failed returns why store must not accept more messages.
func (w *popWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.err != nil {
		return w.err
	}
	return w.commitErr
}

// flush waits until every queued message is added to the batch and
// returns the first failure to write one. Only the downloading goroutine
// calls it.
func (w *popWriter) flush() error {
	w.idle.Wait()
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// commitLoop commits the batch in the background while messages are
// added, at most every popCommitGap, until stop is closed.
func (w *popWriter) commitLoop() {
	defer w.wg.Done()
	next := time.Now().Add(popFirstCommit)
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-w.stop:
			return
		case <-w.added:
		}
		timer.Reset(time.Until(next))
		select {
		case <-w.stop:
			return
		case <-timer.C:
		}
		next = time.Now().Add(popCommitGap)
		err := w.commitBatch()
		w.mu.Lock()
		w.commitErr = err
		w.mu.Unlock()
	}
}

// commitBatch commits what was added to the batch so far and tells the
// notifier.
func (w *popWriter) commitBatch() error {
	w.commitMu.Lock()
	defer w.commitMu.Unlock()
	msgs, err := w.batch.Commit()
	if err != nil {
		return err
	}
	if len(msgs) > 0 {
		w.notify(false)
	}
	return nil
}

// commit is SyncRequest.Commit: it makes every message store accepted
// durable and indexed, or fails.
func (w *popWriter) commit() error {
	werr := w.flush()
	// What the writers stored is committed even after one of them
	// failed, so that it is known; the failure then keeps the fetcher
	// from sending QUIT, which deletes nothing.
	if err := w.commitBatch(); err != nil {
		return errors.Join(werr, err)
	}
	return werr
}

// close stops the writers once the queue is done, and the committer.
func (w *popWriter) close() {
	close(w.jobs)
	close(w.stop)
	w.wg.Wait()
}

// serialEvents returns opts with its Events called one at a time: the
// POP3 download reports progress from the downloading goroutine and
// stored messages from the committing one.
func serialEvents(opts *SyncOptions) *SyncOptions {
	if opts == nil || opts.Events == nil {
		return opts
	}
	o := *opts
	var mu sync.Mutex
	o.Events = func(e Event) {
		mu.Lock()
		defer mu.Unlock()
		opts.Events(e)
	}
	return &o
}

// readFull reads into buf until it is full (err nil) or r ends (io.EOF,
// n bytes read). Unlike io.ReadFull it tells a whole short message from a
// broken one: r's own errors, io.ErrUnexpectedEOF included (a connection
// cut in the middle of a message), are returned as they are.
func readFull(r io.Reader, buf []byte) (int, error) {
	n := 0
	for n < len(buf) {
		m, err := r.Read(buf[n:])
		n += m
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// policySyncer is a fetcher that takes a deletion policy per sync (POP3).
type policySyncer interface {
	SyncPolicy(ctx context.Context, req protocols.SyncRequest, p pop3.Policy) (protocols.SyncResult, error)
}

func (a *Account) fetchPOPWith(ctx context.Context, f protocols.Fetcher, opts *SyncOptions, rep *SyncReport, policy popPolicy) error {
	if err := a.cache.PutFolders(a.Name(), cache.LocalFolders()); err != nil {
		return err
	}
	a.emit(opts, Event{Kind: EventFolders})
	known, err := a.cache.KnownUIDLs(a.Name())
	if err != nil {
		return err
	}
	stored, err := a.cache.POPStoredTimes(a.Name())
	if err != nil {
		return err
	}
	opts = serialEvents(opts)
	notify := a.storedNotifier(opts, cache.FolderInbox)
	defer notify(true)
	// Messages are written as they arrive and made durable and indexed a
	// batch at a time (Commit), in the background and before the QUIT
	// that commits deletions.
	batch := a.cache.BeginPOP(a.Name())
	defer batch.Close()
	w := startPOPWriter(batch, known, notify)
	defer w.close()
	req := protocols.SyncRequest{
		Folder: "INBOX",
		State:  protocols.FolderState{Known: w.isKnown},
		Progress: func(p protocols.Progress) {
			a.emit(opts, Event{Kind: EventProgress, Folder: cache.FolderInbox, Progress: p})
		},
		Store:  w.store,
		Commit: w.commit,
	}
	var res protocols.SyncResult
	if ps, ok := f.(policySyncer); ok {
		p := policy.fetcherPolicy(stored)
		p.StoreCommits = true
		res, err = ps.SyncPolicy(ctx, req, p)
	} else {
		res, err = f.Sync(ctx, req)
	}
	rep.Added += res.Added
	if err != nil {
		return fmt.Errorf("%s: %w", a.Name(), err)
	}
	return nil
}
