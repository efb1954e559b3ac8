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
	// Thread what arrived (and what is stored even if the sync failed
	// midway), so the threaded view finds the work done.
	if terr := a.cache.Thread(a.Name(), cache.FolderInbox); err == nil {
		err = terr
	}
	a.emit(opts, Event{Kind: EventFolderDone, Folder: cache.FolderInbox, Err: err})
	return err
}

// popHeadBytes is how much of a message's start fetchPOP keeps while it
// streams the message to disk: the header is parsed from it, and the
// body text indexed for search comes from it.
const popHeadBytes = 256 << 10

// popQueued bounds a message fetchPOP holds in memory to parse and write
// while the download goes on; a bigger one is streamed to disk by the
// downloading goroutine, after the messages before it.
const popQueued = popHeadBytes

// popWriters is how many goroutines parse and write queued messages.
const popWriters = 2

// popWriter parses the POP3 messages of a download (header, body text
// for search) and adds them to a cache.POPBatch, on goroutines of its
// own while the download goes on: the downloading goroutine only reads
// each message into memory (at most popQueued of it). Adding to the
// batch is serialised; flush waits for every queued message.
//
// A message whose Store returned nil may not be written yet; Commit
// flushes first. If writing one fails, the next Store and Commit report
// it: the fetcher then stops and sends no QUIT, so the DELE already sent
// for that message deletes nothing.
type popWriter struct {
	batch *cache.POPBatch
	jobs  chan popJob
	idle  sync.WaitGroup // queued jobs not done
	wg    sync.WaitGroup // the writers
	// start holds the start of a message while store tells whether it is
	// small enough to queue (the downloading goroutine's).
	start []byte

	mu    sync.Mutex // guards the batch, known and err
	known map[string]struct{}
	err   error
}

type popJob struct {
	uidl string
	data []byte
}

func startPOPWriter(batch *cache.POPBatch, known map[string]struct{}) *popWriter {
	w := &popWriter{batch: batch, known: known, jobs: make(chan popJob, 64)}
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
	// the start already read, which holds the header and the body text.
	if err := w.flush(); err != nil {
		return err
	}
	return w.add(uidl, w.start[:popHeadBytes], io.MultiReader(bytes.NewReader(w.start), r))
}

// add parses the message whose start is head and adds it (all of r) to
// the batch.
func (w *popWriter) add(uidl string, head []byte, r io.Reader) error {
	h, _ := message.ParseHeader(bytes.NewReader(head))
	h.Folder = "INBOX"
	text, err := message.BodyText(bytes.NewReader(head))
	if err != nil {
		text = ""
	}
	w.mu.Lock()
	defer w.mu.Unlock()
	err = w.batch.Add(uidl, h, text, r)
	if errors.Is(err, cache.ErrAlreadyDelivered) {
		// Stored by another process since this sync listed what it knew
		// (and deleted here since): it is safe.
		err = nil
	}
	if err == nil {
		w.known[uidl] = struct{}{}
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

func (w *popWriter) failed() error {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.err
}

// flush waits until every queued message is added to the batch and
// returns the first failure. Only the downloading goroutine calls it.
func (w *popWriter) flush() error {
	w.idle.Wait()
	return w.failed()
}

// close stops the writers once the queue is done.
func (w *popWriter) close() {
	close(w.jobs)
	w.wg.Wait()
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
	notify := a.storedNotifier(opts, cache.FolderInbox)
	defer notify(true)
	// Messages are written as they arrive and made durable and indexed a
	// batch at a time (Commit), before the QUIT that commits deletions.
	batch := a.cache.BeginPOP(a.Name())
	defer batch.Close()
	w := startPOPWriter(batch, known)
	defer w.close()
	req := protocols.SyncRequest{
		Folder: "INBOX",
		State:  protocols.FolderState{Known: w.isKnown},
		Progress: func(p protocols.Progress) {
			a.emit(opts, Event{Kind: EventProgress, Folder: cache.FolderInbox, Progress: p})
		},
		Store: w.store,
		Commit: func() error {
			werr := w.flush()
			// What the writers stored is committed even after one of them
			// failed, so that it is known; the failure then keeps the
			// fetcher from sending QUIT, which deletes nothing.
			if _, err := batch.Commit(); err != nil {
				return errors.Join(werr, err)
			}
			notify(false)
			return werr
		},
	}
	var res protocols.SyncResult
	if ps, ok := f.(policySyncer); ok {
		res, err = ps.SyncPolicy(ctx, req, policy.fetcherPolicy(stored))
	} else {
		res, err = f.Sync(ctx, req)
	}
	rep.Added += res.Added
	if err != nil {
		return fmt.Errorf("%s: %w", a.Name(), err)
	}
	return nil
}
