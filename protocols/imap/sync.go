package imap

// Expunge detection: CONDSTORE + UID SEARCH, not QRESYNC (decided after
// measuring against Dovecot 2.3, interop TestIMAPResyncCostCondStoreVsQResync;
// 50-message folder, TLS bytes on the wire, connection already open):
//
//	                   CONDSTORE (this code)   no modseq (fallback)   SELECT (QRESYNC ...)
//	no change          1 RT,  396 B read       2 RT, 2492 B read      1 RT, 397 B read
//	1 flag change      2 RT,  711 B read       2 RT, 2152 B read      1 RT, 486 B read
//	1 expunge          2 RT,  681 B read       2 RT, 2119 B read      1 RT, 461 B read
//
// The target (an unchanged resync in at most two round trips) is met: one
// SELECT with the HIGHESTMODSEQ shortcut on a CONDSTORE server, and
// SELECT plus UID SEARCH and the FLAGS fetch sent together without it.
// QRESYNC would save one round trip (~250 B) only when something changed,
// and go-imap v2.0.0-beta.8's client cannot carry it without a fork:
// Enable refuses QRESYNC, there is no raw command API, and a VANISHED
// response is "unsupported response type", which closes the connection.
// Revisit when imapclient parses VANISHED.

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// Sync brings one folder up to date: it delivers the headers of messages
// the cache does not know, newest first, in batches through req.Headers,
// and reports the current flags of known messages and the known UIDs
// that vanished. A changed UIDVALIDITY sets Reset and treats every
// message as new.
func (f *Fetcher) Sync(ctx context.Context, req protocols.SyncRequest) (protocols.SyncResult, error) {
	c, end, err := f.begin(ctx)
	if err != nil {
		return protocols.SyncResult{}, err
	}
	res, err := f.sync(ctx, c, req)
	return res, end(err)
}

func (f *Fetcher) sync(ctx context.Context, c *imapclient.Client, req protocols.SyncRequest) (protocols.SyncResult, error) {
	condStore := c.Caps().Has(imap.CapCondStore)
	sel, err := f.runSelect(c, req.Folder, true, condStore)
	if err != nil {
		return protocols.SyncResult{}, err
	}
	res := protocols.SyncResult{UIDValidity: sel.UIDValidity, HighestModSeq: sel.HighestModSeq}
	res.Reset = req.State.UIDValidity != 0 && req.State.UIDValidity != sel.UIDValidity
	if res.Reset && req.OnReset != nil {
		if err := req.OnReset(); err != nil {
			return res, err
		}
	}
	if !res.Reset && condStore && req.State.HighestModSeq != 0 && req.State.HighestModSeq == sel.HighestModSeq {
		return res, nil // nothing changed since the last sync
	}

	known := req.State.Known
	var knownUIDs []imap.UID
	if res.Reset || known == nil {
		known = func(string) bool { return false }
	} else {
		knownUIDs = parseUIDs(req.State.KnownUIDs)
	}

	hs := &headerSync{f: f, ctx: ctx, folder: req.Folder, validity: sel.UIDValidity, c: c}
	defer hs.close()

	// An empty cache: the newest screenful first, by UID below UIDNEXT,
	// so a reader shows it at once. When the folder's UIDs are dense
	// (wholeByUID), the rest follows by UID too, with no UID SEARCH at
	// all: there is nothing known to compare with, and a big folder's
	// search costs a server a while (go-imap's a tenth of a second for
	// 10,000 messages, the client waiting), unless fewer messages than
	// the folder holds came. Otherwise the UID SEARCH of the whole folder
	// comes after the first screen.
	var head map[imap.UID]bool
	base := 0
	if len(knownUIDs) == 0 && sel.NumMessages > 0 && sel.UIDNext > 1 {
		n, whole := firstScreen, wholeByUID(sel)
		if whole {
			n = int(sel.UIDNext - 1)
		}
		uids := newestUIDs(sel.UIDNext, n)
		added, err := f.fetchNewHeaders(hs, req, uids, 0, int(sel.NumMessages), firstScreen)
		res.Added, res.Skipped = added, hs.skipped
		if err != nil {
			return res, err
		}
		if whole && added+len(hs.skipped) >= int(sel.NumMessages) {
			keepModSeqIfSkipped(&res, req)
			if len(hs.skipped) == 0 && added == int(sel.NumMessages) {
				// Every message came: the folder's state is its SELECT's,
				// with the unseen ones counted as they came.
				res.State = stateString(sel.UIDValidity, sel.UIDNext, int64(sel.NumMessages), int64(hs.unseen), sel.HighestModSeq)
			}
			return res, nil
		}
		// Fewer than EXISTS came (a message expunged meanwhile, or a
		// server whose UIDNEXT is below its newest UID): the UID SEARCH
		// finds the rest.
		head = make(map[imap.UID]bool, len(uids))
		for _, uid := range uids {
			head[uid] = true
		}
		// Skipped ones count as handled; the fetch may have had to
		// reconnect.
		base = added + len(hs.skipped)
		c = hs.c
	}

	// The UID SEARCH (for expunges and new UIDs) and the FLAGS fetch of
	// known messages are sent together and answered in one round trip;
	// the flags are read right after the search, before any header fetch.
	var searchCmd *imapclient.SearchCommand
	if sel.NumMessages > 0 {
		searchCmd = c.UIDSearch(&imap.SearchCriteria{}, nil)
	}
	type flagsResult struct {
		flags map[string]mail.Flags
		err   error
	}
	var flagsDone chan flagsResult
	if len(knownUIDs) > 0 && sel.NumMessages > 0 {
		var since uint64
		if condStore && !res.Reset {
			since = req.State.HighestModSeq
		}
		fc := startKnownFlags(c, slices.Max(knownUIDs), since)
		// Read the flags while the search is awaited, whatever order the
		// server answers in.
		flagsDone = make(chan flagsResult, 1)
		go func() {
			flags, err := collectKnownFlags(fc, known)
			flagsDone <- flagsResult{flags, err}
		}()
	}
	var onServer []imap.UID
	var searchErr error
	if searchCmd != nil {
		sd, err := searchCmd.Wait()
		if err != nil {
			searchErr = fmt.Errorf("imap: search %s: %w", req.Folder, err)
		} else {
			onServer, err = searchUIDs(sd, maxFolderUIDs)
			if err != nil {
				searchErr = fmt.Errorf("imap: search %s: %w", req.Folder, err)
			}
		}
	}
	if flagsDone != nil {
		fr := <-flagsDone
		if fr.err != nil && searchErr == nil {
			return res, fmt.Errorf("imap: flags %s: %w", req.Folder, fr.err)
		}
		res.Flags = fr.flags
	}
	if searchErr != nil {
		return res, searchErr
	}
	present := make(map[imap.UID]bool, len(onServer))
	var fresh []imap.UID
	for _, uid := range onServer {
		present[uid] = true
		if !known(formatUID(uid)) && !head[uid] {
			fresh = append(fresh, uid)
		}
	}
	slices.SortFunc(fresh, func(a, b imap.UID) int { return int(int64(b) - int64(a)) })

	added, err := f.fetchNewHeaders(hs, req, fresh, base, base+len(fresh), 0)
	res.Added += added
	res.Skipped = hs.skipped
	if err != nil {
		return res, err
	}
	keepModSeqIfSkipped(&res, req)

	for _, uid := range knownUIDs {
		if !present[uid] {
			res.Vanished = append(res.Vanished, formatUID(uid))
		}
	}
	if len(knownUIDs) == 0 && sel.NumMessages == 0 && res.Added == 0 && len(res.Skipped) == 0 {
		res.State = stateString(sel.UIDValidity, sel.UIDNext, 0, 0, sel.HighestModSeq) // an empty folder
	}
	return res, nil
}

// keepModSeqIfSkipped keeps the old HIGHESTMODSEQ when messages were
// skipped, so that the next sync does not take the "nothing changed"
// shortcut and tries the skipped ones again.
func keepModSeqIfSkipped(res *protocols.SyncResult, req protocols.SyncRequest) {
	if len(res.Skipped) == 0 {
		return
	}
	res.HighestModSeq = req.State.HighestModSeq
	if res.Reset {
		res.HighestModSeq = 0
	}
}

// wholeByUID says whether a first sync of the folder sel describes
// fetches every UID below UIDNEXT instead of asking UID SEARCH which
// exist: when at most half of them are gone (expunged), so that batches
// stay at least half full, and the list stays within maxFolderUIDs. A
// UID that does not exist costs nothing: the server leaves it out of
// its answer. Messages delivered during the sync have UIDs from UIDNEXT
// up and come with the next sync, as after a search.
func wholeByUID(sel *imap.SelectData) bool {
	span := uint64(sel.UIDNext) - 1
	return span <= maxFolderUIDs && span <= 2*uint64(sel.NumMessages)
}

// fetchAhead is how many batches' fetches are sent ahead of the one
// whose answer is being read.
const fetchAhead = 3

// firstScreen is how many of the newest UIDs a sync into an empty cache
// fetches before anything else: a screenful and then some.
const firstScreen = 100

// newestUIDs lists the n UIDs below uidNext, newest first (some may not
// exist: the server leaves those out of its answer).
func newestUIDs(uidNext imap.UID, n int) []imap.UID {
	uids := make([]imap.UID, 0, n)
	for uid := uidNext - 1; uid >= 1 && len(uids) < n; uid-- {
		uids = append(uids, uid)
	}
	return uids
}

// fetchNewHeaders fetches the headers of uids (newest first) in batches
// and hands each batch to req.Headers. Messages whose headers the server
// answers badly are skipped (hs.skipped), not delivered (see isolate.go);
// the rest of their batch is delivered. Progress counts from base of
// total. The first batch holds first UIDs if first is not 0 (the first
// screen of an empty cache), every other one BatchSize.
func (f *Fetcher) fetchNewHeaders(hs *headerSync, req protocols.SyncRequest, uids []imap.UID, base, total, first int) (int, error) {
	added := 0
	var bytes int64
	skippedBefore := len(hs.skipped)
	// The fetches of the next batches (up to fetchAhead) are sent before
	// the answer to this one is read, so the server never waits for the
	// client between batches (a round trip and the client's work on a
	// batch each time: most of the fetcher's time beyond a raw fetch).
	// Every answer stays bounded: fetchAhead+1 commands' worth of
	// messages, since a server may answer them at once (fetchLimit counts
	// until a tagged response).
	defer hs.f.expectFetches((fetchAhead + 1) * f.opts.BatchSize)()
	hs.boundedOn = hs.c
	defer func() { hs.boundedOn = nil }()
	defer hs.dropAhead()
	batchAt := func(start int) []imap.UID {
		size := f.opts.BatchSize
		if start == 0 && first > 0 {
			size = min(first, size)
		}
		return uids[start:min(start+size, len(uids))]
	}
	sentUpTo := 0 // uids[:sentUpTo] are sent (or fetched)
	for start, n := 0, 0; start < len(uids); start += n {
		if err := hs.ctx.Err(); err != nil {
			return added, err
		}
		batch := batchAt(start)
		n = len(batch)
		var sent *sentFetch
		if len(hs.ahead) > 0 {
			sent, hs.ahead = hs.ahead[0], hs.ahead[1:]
		} else {
			sent, sentUpTo = hs.send(batch), start+len(batch)
		}
		// The first screen of an empty cache goes alone: a server may
		// answer fetches sent together at once (Dovecot interleaves them),
		// and the first screen would then come with the next batches,
		// some 500 messages late, and the storing, the slowest step of a
		// first sync, would start that much later. Against Dovecot at
		// 10,000 messages, storing began 4-8 ms earlier and the sync
		// ended about 20 ms earlier (medians of 8 and 10 alternated runs).
		alone := start == 0 && first > 0
		for len(hs.ahead) < fetchAhead && sentUpTo < len(uids) && !alone {
			next := batchAt(sentUpTo)
			hs.ahead = append(hs.ahead, hs.send(next))
			sentUpTo += len(next)
		}
		headers, err := hs.batch(sent, batch)
		added += len(headers)
		for i := range headers {
			bytes += headers[i].Size
			if !headers[i].Flags.Has(mail.FlagSeen) {
				hs.unseen++
			}
		}
		if req.Headers != nil && len(headers) > 0 {
			// The batch is req.Headers' to keep: it is not used again here.
			if herr := req.Headers(headers); herr != nil {
				return added, herr
			}
		}
		if err != nil {
			return added, err
		}
		if req.Progress != nil {
			done := base + added + len(hs.skipped) - skippedBefore
			req.Progress(protocols.Progress{Folder: req.Folder, Done: min(done, total), Total: total, Bytes: bytes})
		}
	}
	return added, nil
}

// startKnownFlags sends the fetch of the flags of messages up to maxUID
// (changed since modSeq if it is not 0) without waiting for the answer.
func startKnownFlags(c *imapclient.Client, maxUID imap.UID, modSeq uint64) *imapclient.FetchCommand {
	var set imap.UIDSet
	set.AddRange(1, maxUID)
	return c.Fetch(set, &imap.FetchOptions{UID: true, Flags: true, ChangedSince: modSeq})
}

// collectKnownFlags reads a flags fetch and keeps the messages the cache
// knows.
func collectKnownFlags(fc *imapclient.FetchCommand, known func(string) bool) (map[string]mail.Flags, error) {
	defer fc.Close()
	flags := make(map[string]mail.Flags)
	for m := fc.Next(); m != nil; m = fc.Next() {
		buf, err := m.Collect()
		if err != nil {
			return nil, err
		}
		if buf.UID == 0 {
			continue
		}
		uid := formatUID(buf.UID)
		if known(uid) {
			flags[uid] = convertFlags(buf.Flags)
		}
	}
	return flags, fc.Close()
}

// runSelect selects (or examines) folder, asking for CONDSTORE data when
// condStore is set.
func (f *Fetcher) runSelect(c *imapclient.Client, folder string, readOnly, condStore bool) (*imap.SelectData, error) {
	f.selected = ""
	sel, err := c.Select(folder, &imap.SelectOptions{ReadOnly: readOnly, CondStore: condStore}).Wait()
	if err != nil {
		var ierr *imap.Error
		if errors.As(err, &ierr) && ierr.Type == imap.StatusResponseTypeNo && ierr.Code == "" && !folderExists(c, folder) {
			// Some servers (Dovecot 2.3) answer a missing mailbox with a
			// bare NO, without [NONEXISTENT]: ask LIST to tell.
			return nil, fmt.Errorf("imap: select %s: %w: %s", folder, protocols.ErrNotFound, ierr.Text)
		}
		return nil, notFound(err, "select "+folder)
	}
	f.selected, f.readOnly = folder, readOnly
	return sel, nil
}

// folderExists reports whether LIST knows the folder. Errors count as
// "exists", so the caller reports the original error.
func folderExists(c *imapclient.Client, folder string) bool {
	list, err := collectList(c, c.List("", folder, nil), maxFolders)
	return err != nil || len(list) > 0
}

func formatUID(uid imap.UID) string { return strconv.FormatUint(uint64(uid), 10) }

// parseUID parses a decimal UID; hostile or foreign values are rejected.
func parseUID(s string) (imap.UID, error) {
	n, err := strconv.ParseUint(s, 10, 32)
	if err != nil || n == 0 {
		return 0, fmt.Errorf("imap: invalid uid %q: %w", s, protocols.ErrNotFound)
	}
	return imap.UID(n), nil
}

func parseUIDs(ss []string) []imap.UID {
	uids := make([]imap.UID, 0, len(ss))
	for _, s := range ss {
		if uid, err := parseUID(s); err == nil {
			uids = append(uids, uid)
		}
	}
	return uids
}

// uidSet parses uids into a UID set, failing on any malformed entry.
func uidSet(uids []string) (imap.UIDSet, error) {
	if len(uids) == 0 {
		return nil, errors.New("imap: no messages given")
	}
	var set imap.UIDSet
	for _, s := range uids {
		uid, err := parseUID(s)
		if err != nil {
			return nil, err
		}
		set.AddNum(uid)
	}
	return set, nil
}
