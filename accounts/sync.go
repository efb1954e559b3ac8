package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// SyncOptions scopes a sync and says where its progress goes. A zero
// value syncs the whole account, skipping the folders whose state on the
// server has not changed since their last sync.
type SyncOptions struct {
	// Folders limits the sync to these folders (IMAP), without listing
	// the account's folders first: what IDLE's news and the open folder
	// need. Nil means every folder.
	Folders []string
	// First is synced before the other folders: the folder on screen.
	First string
	// Full syncs every folder, even those whose STATUS says nothing
	// changed (`posta sync --full`, "sync now" in the reader).
	Full bool
	// Events, if not nil, receives the sync's events (see Event), from
	// the syncing goroutine.
	Events func(Event)
	// Warm connects the interactive lane meanwhile (IMAP), so that a
	// message opened during the sync costs one round trip: for the
	// reader. `posta sync` opens nothing and leaves it false (a second
	// connection and login it would never use).
	Warm bool
}

// EventKind says what an Event reports.
type EventKind int

// The events of a sync, in the order they come for each folder.
const (
	// EventProgress: a batch of the folder was fetched (Progress).
	EventProgress EventKind = iota
	// EventFolders: the account's folder list was stored.
	EventFolders
	// EventStored: new messages of the folder were stored and can be
	// listed. They come as batches are stored, at most every
	// storedEvery, so an index can show mail while the rest streams in.
	EventStored
	// EventFolderDone: the folder's sync ended; Err says if it failed.
	EventFolderDone
)

// Event is something a running sync reports.
type Event struct {
	Account  string
	Kind     EventKind
	Folder   string
	Progress protocols.Progress
	Err      error
}

// storedEvery spaces EventStored events of one folder: the first batch
// is announced at once, later ones at most this often.
const storedEvery = 150 * time.Millisecond

// SyncReport says what one sync of an account did.
type SyncReport struct {
	Account string
	Added   int // new messages stored
	Removed int // messages gone from the server (IMAP)
	Sent    int // outbox messages the server accepted
	// Unchanged counts the folders skipped because their state on the
	// server had not changed since their last sync.
	Unchanged int
	// Alerts is what the server said to the user during the sync,
	// outside any answer ("the mailbox is 95% full", "this server moves
	// on Monday"), sanitized for a terminal; RFC 3501 says to show it.
	Alerts []string
	// Conflicts describes the queued actions the server refused (message
	// or folder gone); they were dropped and their local effect undone.
	Conflicts []string
	// Failures lists the folders and messages that could not be synced;
	// the rest of the account was.
	Failures []Failure
}

// Failure is one folder (UID "") or one message that a sync could not
// bring in. The next sync tries it again.
type Failure struct {
	Folder string
	UID    string
	Err    error
}

func (f Failure) String() string {
	if f.UID == "" {
		return fmt.Sprintf("%s: %v", f.Folder, f.Err)
	}
	return fmt.Sprintf("%s, message %s: %v", f.Folder, f.UID, f.Err)
}

func (r *SyncReport) fail(folder, uid string, err error) {
	r.Failures = append(r.Failures, Failure{Folder: folder, UID: uid, Err: err})
}

// PartialError means a sync did its work except for some folders or
// messages (SyncReport.Failures, which it holds).
type PartialError struct {
	Account  string
	Failures []Failure
}

func (e *PartialError) Error() string {
	folders, msgs := 0, 0
	for _, f := range e.Failures {
		if f.UID == "" {
			folders++
		} else {
			msgs++
		}
	}
	var parts []string
	if folders > 0 {
		parts = append(parts, plural(folders, "folder", "folders")+" failed")
	}
	if msgs > 0 {
		parts = append(parts, plural(msgs, "message", "messages")+" could not be fetched")
	}
	return fmt.Sprintf("%s: %s (first: %s); the rest is synced", e.Account, strings.Join(parts, ", "), e.Failures[0])
}

func plural(n int, one, many string) string {
	if n == 1 {
		return "1 " + one
	}
	return fmt.Sprintf("%d %s", n, many)
}

// Sync brings the account's cache up to date with its server, then sends
// what waits in its outbox. progress, if not nil, is called from the
// syncing goroutine.
func (a *Account) Sync(ctx context.Context, progress func(protocols.Progress)) (SyncReport, error) {
	var events func(Event)
	if progress != nil {
		events = func(e Event) {
			if e.Kind == EventProgress {
				progress(e.Progress)
			}
		}
	}
	return a.SyncWith(ctx, SyncOptions{Events: events})
}

// SyncWith is Sync scoped and reported as opts says. One sync of an
// account runs at a time; a second call waits for the first. It runs on
// the account's sync lane: what the user does meanwhile (opening a
// message, flags, moves, search, sending) takes the interactive lane and
// does not wait for it. The outbox is sent alongside the download, not
// after it.
func (a *Account) SyncWith(ctx context.Context, opts SyncOptions) (rep SyncReport, err error) {
	a.syncMu.Lock()
	defer a.syncMu.Unlock()
	defer func() {
		var busy *BusyError
		// A cancelled sync says nothing of the server, nor does one left
		// to another process.
		if ctx.Err() == nil && !errors.As(err, &busy) {
			_ = a.cache.RecordSync(a.Name(), time.Now(), err)
		}
	}()
	rep = SyncReport{Account: a.Name()}
	type flushed struct {
		n   int
		err error
	}
	outbox := make(chan flushed, 1)
	go func() {
		n, err := a.FlushOutbox(ctx)
		outbox <- flushed{n, err}
	}()
	err = a.download(ctx, &opts, &rep)
	sent := <-outbox
	rep.Sent = sent.n
	if err != nil {
		return rep, err
	}
	if sent.err != nil {
		return rep, sent.err
	}
	if len(rep.Failures) > 0 {
		return rep, &PartialError{Account: a.Name(), Failures: rep.Failures}
	}
	return rep, nil
}

// download replays the queued actions, then fetches.
func (a *Account) download(ctx context.Context, opts *SyncOptions, rep *SyncReport) error {
	if err := a.replayPending(ctx, rep); err != nil {
		return err
	}
	// A refused OAuth2 token is fetched anew once (retryRefusedToken);
	// errors name the account, the server and the likely fix (explain).
	err := retryRefusedToken(a.inToken, func() error { return a.fetch(ctx, opts, rep) })
	if r := a.bg.opt.reporter; r != nil {
		if caps := r.ServerCaps(); len(caps) > 0 {
			_ = a.cache.RecordServerCaps(a.Name(), caps) // for posta doctor
		}
	}
	var busy *BusyError
	if errors.As(err, &busy) {
		return err
	}
	if err != nil {
		return explain(a.Name(), a.Kind(), a.cfg.Fetch.ServerConfig, err)
	}
	return nil
}

// emit sends an event to opts.Events, if any.
func (a *Account) emit(opts *SyncOptions, e Event) {
	if opts != nil && opts.Events != nil {
		e.Account = a.Name()
		opts.Events(e)
	}
}

// fetch brings the folders in, on the sync lane. opts may be nil.
func (a *Account) fetch(ctx context.Context, opts *SyncOptions, rep *SyncReport) error {
	if opts == nil {
		opts = &SyncOptions{}
	}
	if a.caps.LocalIsRecord {
		return a.bg.do(func(f protocols.Fetcher) error { return a.fetchPOP(ctx, f, opts, rep) })
	}
	if opts.Warm {
		a.warm()
	}
	return a.bg.do(func(f protocols.Fetcher) error {
		err := a.fetchIMAP(ctx, f, opts, rep)
		rep.Alerts = append(rep.Alerts, a.alerts.take()...)
		if r := a.bg.opt.release; r != nil {
			// The next resync lists STATUS of every folder: none may be
			// selected then, or a server answers it from a stale view.
			r.Release()
		}
		return err
	})
}

// fetchIMAP syncs the folders opts asks for: the first one first, then
// the inbox, then the others in the server's order. A folder that fails
// is reported and the others go on; a lost connection ends the sync.
func (a *Account) fetchIMAP(ctx context.Context, f protocols.Fetcher, opts *SyncOptions, rep *SyncReport) error {
	var folders []mail.Folder
	if opts.Folders != nil {
		for _, name := range opts.Folders {
			folders = append(folders, mail.Folder{Name: name})
		}
	} else {
		listed, err := a.listFolders(ctx, f)
		if err != nil {
			return err
		}
		if err := a.cache.PutFolders(a.Name(), listed); err != nil {
			return err
		}
		a.emit(opts, Event{Kind: EventFolders})
		for _, fo := range listed {
			if a.wantsFolder(fo.Name) {
				folders = append(folders, fo)
			}
		}
	}
	for _, fo := range syncOrder(folders, opts.First) {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !opts.Full && a.unchanged(fo, opts.First) {
			rep.Unchanged++
			continue
		}
		err := a.syncFolder(ctx, f, fo, opts, rep)
		a.emit(opts, Event{Kind: EventFolderDone, Folder: fo.Name, Err: err})
		if err == nil {
			continue
		}
		if connectionLost(ctx, err) {
			return fmt.Errorf("%s: %w", fo.Name, err)
		}
		rep.fail(fo.Name, "", err)
	}
	return nil
}

// syncOrder puts first, then the inbox, before the other folders.
func syncOrder(folders []mail.Folder, first string) []mail.Folder {
	rank := func(f mail.Folder) int {
		switch {
		case first != "" && f.Name == first:
			return 0
		case strings.EqualFold(f.Name, "INBOX"):
			return 1
		}
		return 2
	}
	out := make([]mail.Folder, 0, len(folders))
	for r := 0; r <= 2; r++ {
		for _, f := range folders {
			if rank(f) == r {
				out = append(out, f)
			}
		}
	}
	return out
}

// unchanged reports whether a folder can be skipped: the server's state
// of it (STATUS) is what it was after its last whole sync. Without
// HIGHESTMODSEQ in that state a flag change elsewhere would go unseen, so
// the folder on screen is synced anyway.
func (a *Account) unchanged(f mail.Folder, first string) bool {
	if f.State == "" || (!f.StateHasModSeq && f.Name == first) {
		return false
	}
	meta, err := a.cache.FolderMeta(a.Name(), f.Name)
	return err == nil && meta.Status == f.State
}

// listFolders lists the account's folders on the server. The first
// listing of an account, with nothing cached to compare their state with,
// leaves STATUS out where the fetcher can (protocols.StatelessLister): a
// server opens every folder to answer it (9 ms of Dovecot's time for a
// 10,000-message INBOX), and the sync takes each folder's state from its
// own SELECT instead (SyncResult.State).
func (a *Account) listFolders(ctx context.Context, f protocols.Fetcher) ([]mail.Folder, error) {
	if sl, ok := f.(protocols.StatelessLister); ok {
		if known, err := a.cache.Folders(a.Name()); err == nil && len(known) == 0 {
			return sl.FoldersWithoutState(ctx)
		}
	}
	return f.Folders(ctx)
}

func (a *Account) wantsFolder(name string) bool {
	if len(a.cfg.Fetch.Folders) == 0 {
		return true
	}
	for _, f := range a.cfg.Fetch.Folders {
		if f == name {
			return true
		}
	}
	return false
}

// syncFolder brings one IMAP folder up to date, then prefetches its
// recent bodies. Threads and the full-text index are left for the first
// threaded listing or search, or for the reader's Tidy.
func (a *Account) syncFolder(ctx context.Context, f protocols.Fetcher, fo mail.Folder, opts *SyncOptions, rep *SyncReport) error {
	folder := fo.Name
	meta, err := a.cache.FolderMeta(a.Name(), folder)
	if err != nil {
		return err
	}
	known, err := a.cache.KnownUIDs(a.Name(), folder)
	if err != nil {
		return err
	}
	knownList := make([]string, 0, len(known))
	for uid := range known {
		knownList = append(knownList, uid)
	}
	reset := false
	stored := a.storedNotifier(opts, folder)
	// Batches are stored by a goroutine of their own while the fetcher
	// asks for the next; progress follows the batches it reports, so that
	// it never runs ahead of what is stored.
	st := startStorer()
	defer st.wait()
	// Batches are decoded on a goroutine of their own too, so that the
	// fetcher only takes in answers: fetching, decoding and storing a
	// batch each take a core's time (bench breakdown), and the three
	// overlap. dec hands each decoded batch to st in order.
	dec := startStorer()
	defer dec.wait()
	req := protocols.SyncRequest{
		Folder: folder,
		State: protocols.FolderState{
			UIDValidity:   meta.UIDValidity,
			HighestModSeq: meta.HighestModSeq,
			Known: func(uid string) bool {
				if reset {
					return false
				}
				_, ok := known[uid]
				return ok
			},
			KnownUIDs: knownList,
		},
		Progress: func(p protocols.Progress) {
			dec.then(func() error {
				return st.then(func() error {
					a.emit(opts, Event{Kind: EventProgress, Folder: folder, Progress: p})
					return nil
				})
			})
		},
		Headers: func(hs []mail.Header) error {
			// A folder the index held nothing of when the sync began (or
			// since the reset) gets rows no one else may have but another
			// process syncing it too: they are inserted, not upserted
			// (cache.PutNewHeaderRows).
			put := a.cache.PutHeaderRows
			if len(known) == 0 || reset {
				put = a.cache.PutNewHeaderRows
			}
			return dec.then(func() error {
				rows, err := decodeBatch(hs, a.Name(), folder)
				if err != nil {
					return err
				}
				return st.then(func() error {
					if err := put(rows...); err != nil {
						return err
					}
					stored(false)
					return nil
				})
			})
		},
	}
	req.OnReset = func() error {
		// UIDVALIDITY changed: the server's UIDs mean other messages now,
		// and may reuse the old numbers. Drop the folder's rows and cached
		// bodies before the new headers arrive.
		reset = true
		a.folderReset()
		return a.cache.ResetFolder(a.Name(), folder)
	}
	res, err := f.Sync(ctx, req)
	if derr := dec.wait(); err == nil {
		err = derr
	}
	if serr := st.wait(); err == nil {
		err = serr
	}
	if err != nil {
		return err
	}
	if len(res.Flags) > 0 {
		if err := a.cache.UpdateFlags(a.Name(), folder, res.Flags); err != nil {
			return err
		}
	}
	if len(res.Vanished) > 0 {
		if err := a.cache.RemoveUIDs(a.Name(), folder, res.Vanished); err != nil {
			return err
		}
	}
	stored(true)
	rep.Added += res.Added
	rep.Removed += len(res.Vanished)
	before := len(rep.Failures)
	for _, s := range res.Skipped {
		rep.fail(folder, s.UID, s.Err)
	}
	if err := a.prefetch(ctx, f, folder, time.Now(), rep); err != nil {
		return err
	}
	m := cacheMeta(res)
	if len(rep.Failures) == before {
		// Whole: a later resync may skip the folder while its state
		// stays the same. With failures, the next one comes back. A
		// first listing has no state (listFolders): the sync's own, if
		// it could tell.
		m.Status = fo.State
		if m.Status == "" {
			m.Status = res.State
		}
	}
	return a.cache.SetFolderMeta(a.Name(), folder, m)
}

// decodeBatch decodes the raw fields of a batch of headers of folder and
// makes them ready to store in account's index (cache.PrepareHeaders),
// its two halves at once: decoding and preparing are the sync's costliest
// steps on the client outside SQLite, and a half runs on each core, so
// that the goroutine that writes (one at a time, SQLite's rule) only
// writes.
func decodeBatch(hs []mail.Header, account, folder string) ([]*cache.HeaderRows, error) {
	prepare := func(part []mail.Header) (*cache.HeaderRows, error) {
		for i := range part {
			part[i].Folder = folder
			decodeRawFields(&part[i])
		}
		return cache.PrepareHeaders(account, part)
	}
	if len(hs) < 64 {
		rows, err := prepare(hs)
		return []*cache.HeaderRows{rows}, err
	}
	// Split at a whole number of statements (cache.PrepareHeaders cuts
	// a run of headers into INSERTs of 64 rows and a tail of powers of
	// two): two tails would be more statements for the writer.
	half := len(hs) / 2 &^ 63
	var (
		wg    sync.WaitGroup
		first *cache.HeaderRows
		ferr  error
	)
	wg.Go(func() { first, ferr = prepare(hs[:half]) })
	second, err := prepare(hs[half:])
	wg.Wait()
	return []*cache.HeaderRows{first, second}, errors.Join(ferr, err)
}

// storer runs the work handed to it (storing a batch of headers,
// reporting progress) in order on a goroutine of its own, at most
// storerQueue steps behind the caller. After a step fails, the rest are
// skipped and then and wait return the error.
type storer struct {
	work chan func() error
	done chan struct{}
	mu   sync.Mutex
	err  error
	once sync.Once
}

// storerQueue bounds the steps waiting: a header sync fetches at most
// about two batches ahead of the one being stored.
const storerQueue = 4

func startStorer() *storer {
	s := &storer{work: make(chan func() error, storerQueue), done: make(chan struct{})}
	go func() {
		defer close(s.done)
		for step := range s.work {
			if s.failed() != nil {
				continue
			}
			if err := step(); err != nil {
				s.mu.Lock()
				s.err = err
				s.mu.Unlock()
			}
		}
	}()
	return s
}

func (s *storer) failed() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.err
}

// then queues step, or returns the error of a step that failed before.
func (s *storer) then(step func() error) error {
	if err := s.failed(); err != nil {
		return err
	}
	s.work <- step
	return nil
}

// wait runs the steps queued and returns the first error; nothing may be
// queued after it. It may be called more than once.
func (s *storer) wait() error {
	s.once.Do(func() { close(s.work) })
	<-s.done
	return s.failed()
}

// storedNotifier returns a function to call after each stored batch of
// folder (final for the last): it emits EventStored for the first batch
// at once, then at most every storedEvery, and always for the final call
// when something was stored since the last event.
func (a *Account) storedNotifier(opts *SyncOptions, folder string) func(final bool) {
	var last time.Time
	pending := false
	return func(final bool) {
		if !final {
			pending = true
		}
		if !pending || (!final && !last.IsZero() && time.Since(last) < storedEvery) {
			return
		}
		a.emit(opts, Event{Kind: EventStored, Folder: folder})
		last, pending = time.Now(), false
	}
}

// BusyError means a sync was skipped because another posta process is
// syncing the account (a POP3 maildrop is downloaded by one process at a
// time). It is not a failure of the account.
type BusyError struct {
	Account string
	PID     int
}

func (e *BusyError) Error() string {
	return fmt.Sprintf("%s: another posta process (pid %d) is syncing this account; skipped", e.Account, e.PID)
}
