package imap

// Keeping a header sync alive through messages the server answers badly.
//
// go-imap decodes a UID FETCH response as one stream: one item it cannot
// parse ends the command and closes the connection, and the rest of the
// batch is lost. maddy 0.8.1 sends ("alternative" ("boundary" "x") NIL NIL
// NIL), a multipart BODYSTRUCTURE with no parts, for some malformed mail;
// other servers refuse a batch with a NO or drop the connection on one
// message. Without care, such a message stops its folder from syncing
// at all.
//
// So when a batch's fetch fails for any reason other than cancellation,
// the messages it delivered whole are kept, the connection is made usable
// again (re-dialled and the folder re-SELECTed if it died), and the rest
// is fetched without BODYSTRUCTURE, the item known to break; whether a
// message has attachments then comes from its Content-Type field. The
// message that most likely broke the answer (the one cut short, or the
// next in UID order) is tried alone first, then the others in one piece.
// Whatever still fails is cut down the same way, or in halves when the
// blamed message turns out good, until each failure is pinned on one
// message. Those are reported in SyncResult.Skipped and not delivered, so
// the next sync tries them again; every good message is delivered.
//
// Failed fetches are bounded per sync (maxFetchFailures), and each one
// costs at most one reconnection: a server that breaks every fetch ends
// the sync with an error after that many attempts.

import (
	"context"
	"errors"
	"fmt"
	"slices"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// maxFetchFailures is how many header fetches may fail in one sync before
// it gives up. A broken BODYSTRUCTURE costs one failure per batch; a
// message that cannot be fetched at all costs two.
const maxFetchFailures = 32

// headerSync fetches the new headers of one folder during one sync and
// recovers from broken answers. It replaces the connection when one dies.
type headerSync struct {
	f        *Fetcher
	ctx      context.Context
	folder   string
	validity uint32 // the folder's UIDVALIDITY when the sync selected it
	c        *imapclient.Client
	stops    []func() bool // AfterFuncs of the connections opened here
	failures int
	got      []mail.Header // the current batch's headers
	unseen   int           // headers delivered without \Seen
	skipped  []protocols.SkippedMessage
	// boundedOn is the connection whose answers the caller has bounded
	// for a whole run of pipelined batches (fetchNewHeaders), so that
	// try does not bound (and unbound) them batch by batch while the
	// next batch's answer is already coming; a fetch on any other
	// connection (a new one, after a failure) is bounded by try.
	boundedOn *imapclient.Client
	// ahead are the fetches of the next batches, sent before the answer
	// to the current one is read (fetchNewHeaders), in order.
	ahead []*sentFetch
}

// sentFetch is a header fetch sent ahead, before the answer to the one
// before it is read (fetchNewHeaders): on c. Its answer is read by a
// goroutine of its own as it comes: a server may answer pipelined
// commands together (Dovecot interleaves their FETCH responses), and
// go-imap hands each response to its command and waits until that
// command takes in the message's literal, so reading the answers one
// command after the other would deadlock.
type sentFetch struct {
	c       *imapclient.Client
	done    chan struct{}
	got     []mail.Header
	suspect imap.UID
	err     error
}

// send sends the fetch of uids on the current connection and starts
// reading its answer.
func (hs *headerSync) send(uids []imap.UID) *sentFetch {
	s := &sentFetch{c: hs.c, done: make(chan struct{})}
	fc := hs.c.Fetch(imap.UIDSetNum(uids...), headerFetchOptions)
	folder, rawOnly := hs.folder, hs.f.opts.RawFieldsOnly
	go func() {
		defer close(s.done)
		s.got, s.suspect, s.err = collectHeaders(fc, folder, uids, headerFetchOptions, rawOnly)
	}()
	return s
}

// dropAhead abandons the fetches sent ahead: fetchNewHeaders sends
// their batches again.
func (hs *headerSync) dropAhead() {
	for _, s := range hs.ahead {
		s.drop()
	}
	hs.ahead = nil
}

// drop abandons a fetch sent ahead (its batch is fetched again): it
// waits until its answer has been read (and thrown away) or its
// connection is gone.
func (s *sentFetch) drop() {
	if s != nil {
		<-s.done
	}
}

// close releases the cancellation hooks of the connections it opened.
// The connections themselves stay with the Fetcher.
func (hs *headerSync) close() {
	for _, stop := range hs.stops {
		stop()
	}
}

// batch reads the headers of uids, whose fetch sent was sent (on a
// connection since replaced, the batch is fetched again). It returns the
// good ones (newest first) even when it fails; the error is then fatal
// to the sync (cancellation, no reconnection possible, too many
// failures). When the fetch fails, the ones sent after it (hs.ahead) are
// dropped before the rescue: answers come in the order of the commands,
// and the rescue's would wait behind them.
func (hs *headerSync) batch(sent *sentFetch, uids []imap.UID) ([]mail.Header, error) {
	hs.got = nil
	if sent != nil && sent.c != hs.c {
		sent.drop()
		sent = nil
	}
	got, suspect, failed, err := hs.trySent(sent, uids, headerFetchOptions)
	if failed != nil || err != nil {
		hs.dropAhead()
	}
	if err == nil && failed != nil {
		rest := missing(uids, got)
		err = hs.rescue(rest, blame(rest, got, suspect), false, failed)
	}
	sortHeaders(hs.got)
	return hs.got, err
}

// whole fetches uids without BODYSTRUCTURE and rescues a failure.
func (hs *headerSync) whole(uids []imap.UID) error {
	if len(uids) == 0 {
		return nil
	}
	got, suspect, failed, err := hs.try(uids, plainFetchOptions)
	if err != nil || failed == nil {
		return err // a UID not answered was expunged meanwhile
	}
	rest := missing(uids, got)
	return hs.rescue(rest, blame(rest, got, suspect), true, failed)
}

// rescue fetches uids, the messages a failed attempt did not deliver,
// without BODYSTRUCTURE. suspect, one of uids, is the message most likely
// to blame; plain says the failed attempt was already without
// BODYSTRUCTURE. The suspect is tried alone first: if it fails, it is
// skipped and the others are tried in one piece; if it does not, the
// others are too if BODYSTRUCTURE was what broke, else in halves.
func (hs *headerSync) rescue(uids []imap.UID, suspect imap.UID, plain bool, failed error) error {
	switch {
	case len(uids) == 0:
		return nil
	case len(uids) == 1 && plain:
		hs.skip(uids[0], failed)
		return nil
	}
	_, _, failedAlone, err := hs.try([]imap.UID{suspect}, plainFetchOptions)
	if err != nil {
		return err
	}
	others := slices.DeleteFunc(slices.Clone(uids), func(uid imap.UID) bool { return uid == suspect })
	if failedAlone != nil {
		hs.skip(suspect, failedAlone)
		return hs.whole(others)
	}
	if !plain {
		return hs.whole(others)
	}
	half := len(others) / 2
	if err := hs.whole(others[:half]); err != nil {
		return err
	}
	return hs.whole(others[half:])
}

func (hs *headerSync) skip(uid imap.UID, err error) {
	hs.skipped = append(hs.skipped, protocols.SkippedMessage{UID: formatUID(uid), Err: err})
}

// blame picks the message of rest that most likely broke an answer that
// delivered got: suspect if fetchHeaders knew it, else the one the server
// was about to send. Servers answer in mailbox order, which is UID order:
// that is the first UID after the last one delivered, or the first of
// all if none was.
func blame(rest []imap.UID, got []mail.Header, suspect imap.UID) imap.UID {
	if suspect != 0 && slices.Contains(rest, suspect) {
		return suspect
	}
	var last imap.UID
	for _, h := range got {
		if uid, err := parseUID(h.UID); err == nil && uid > last {
			last = uid
		}
	}
	var next, first imap.UID
	for _, uid := range rest {
		if first == 0 || uid < first {
			first = uid
		}
		if uid > last && (next == 0 || uid < next) {
			next = uid
		}
	}
	if next != 0 {
		return next
	}
	return first
}

// try runs one header fetch. A failure caused by the server's answer is
// returned as failed, with the messages received before it, after the
// connection was made usable again; err is set when the sync must stop.
func (hs *headerSync) try(uids []imap.UID, opts *imap.FetchOptions) (got []mail.Header, suspect imap.UID, failed, err error) {
	return hs.trySent(nil, uids, opts)
}

// trySent is try for the fetch of uids already sent, or fetches them
// when sent is nil.
func (hs *headerSync) trySent(sent *sentFetch, uids []imap.UID, opts *imap.FetchOptions) (got []mail.Header, suspect imap.UID, failed, err error) {
	if hs.boundedOn != hs.c {
		defer hs.f.expectFetches(len(uids))()
	}
	var ferr error
	if sent != nil {
		<-sent.done
		got, suspect, ferr = sent.got, sent.suspect, sent.err
	} else {
		got, suspect, ferr = fetchHeaders(hs.c, hs.folder, uids, opts, hs.f.opts.RawFieldsOnly)
	}
	if len(hs.got) == 0 {
		hs.got = got // the batch's first fetch: no copy
	} else {
		hs.got = append(hs.got, got...)
	}
	if ferr == nil {
		return got, 0, nil, nil
	}
	if cerr := hs.ctx.Err(); cerr != nil {
		return got, 0, nil, cerr
	}
	failed = fmt.Errorf("imap: fetch headers %s: %w", hs.folder, ferr)
	hs.failures++
	if hs.failures >= maxFetchFailures {
		// The connection may be broken in a way Closed() does not show
		// yet: the next Fetcher call must not find it.
		hs.f.dropBroken(hs.c, ferr)
		return got, 0, nil, fmt.Errorf("imap: fetch headers %s: giving up after %d failed fetches: %w", hs.folder, hs.failures, ferr)
	}
	if err := hs.recover(ferr); err != nil {
		return got, 0, nil, err
	}
	return got, suspect, failed, nil
}

// recover makes the connection usable after a failed command: a tagged
// NO or BAD leaves it open and the folder selected; anything else (a
// response go-imap could not decode, a dropped connection) means it is
// closed, so a new one is dialled and the folder selected again.
func (hs *headerSync) recover(ferr error) error {
	var ierr *imap.Error
	if errors.As(ferr, &ierr) && !isClosed(hs.c) {
		return nil
	}
	hs.f.dropClient(hs.c)
	c, err := hs.f.conn(hs.ctx)
	if err != nil {
		return err
	}
	hs.c = c
	hs.stops = append(hs.stops, context.AfterFunc(hs.ctx, func() { c.Close() }))
	sel, err := hs.f.runSelect(c, hs.folder, true, false)
	if err != nil {
		return err
	}
	if sel.UIDValidity != hs.validity {
		// The UIDs being fetched name other messages now.
		return fmt.Errorf("imap: %s: UIDVALIDITY changed during the sync (%d, now %d)", hs.folder, hs.validity, sel.UIDValidity)
	}
	return nil
}

// dropClient closes c and forgets it if it is the Fetcher's connection,
// so that the next call dials again. go-imap closes a connection whose
// responses it cannot decode, but reports the failed command a moment
// before Closed() says so; closing here removes that window.
func (f *Fetcher) dropClient(c *imapclient.Client) {
	c.Close()
	if f.client == c {
		f.client, f.wire, f.selected = nil, nil, ""
	}
}

// dropBroken drops c after err if err is not a tagged NO or BAD (after
// which the connection stays usable); nil does nothing.
func (f *Fetcher) dropBroken(c *imapclient.Client, err error) {
	var ierr *imap.Error
	if err != nil && !errors.As(err, &ierr) {
		f.dropClient(c)
	}
}

// missing returns the uids that are not among headers, in order.
func missing(uids []imap.UID, headers []mail.Header) []imap.UID {
	if len(headers) == 0 {
		return uids
	}
	have := make(map[string]bool, len(headers))
	for _, h := range headers {
		have[h.UID] = true
	}
	return slices.DeleteFunc(slices.Clone(uids), func(uid imap.UID) bool { return have[formatUID(uid)] })
}
