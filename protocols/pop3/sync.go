package pop3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"

	gopop3 "github.com/knadh/go-pop3"

	"github.com/posta-mail/posta/protocols"
)

// entry is one message of the session's maildrop.
type entry struct {
	id   int    // message number in this session
	uid  string // UIDL, or header digest
	size int64  // from LIST
	// digest marks a header-digest uid (no UIDL), too weak to delete by.
	digest bool
}

// list returns the maildrop's messages with their UIDs and sizes.
func (s *session) list() ([]entry, error) {
	sizes, err := s.c.List(0)
	if err != nil {
		return nil, wrapErr("list", err, s.tc)
	}
	uidls, err := s.c.Uidl(0)
	if err != nil {
		if s.tc.ioErr != nil {
			return nil, wrapErr("uidl", err, s.tc)
		}
		return s.digestUIDs(sizes) // -ERR: no UIDL on this server
	}
	size := make(map[int]int64, len(sizes))
	for _, m := range sizes {
		size[m.ID] = int64(m.Size)
	}
	out := make([]entry, 0, len(uidls))
	seen := make(map[string]bool, len(uidls))
	for _, m := range uidls {
		if seen[m.UID] { // a broken server repeating a UIDL
			continue
		}
		seen[m.UID] = true
		out = append(out, entry{id: m.ID, uid: m.UID, size: size[m.ID]})
	}
	return out, nil
}

// digestUIDs names messages by a digest of their header (TOP n 0), for
// servers without UIDL. Identical headers get "#2", "#3"… suffixes.
func (s *session) digestUIDs(sizes []gopop3.MessageID) ([]entry, error) {
	out := make([]entry, 0, len(sizes))
	count := make(map[string]int)
	for _, m := range sizes {
		s.tc.budget = 1 << 20
		hdr, err := s.c.Cmd("TOP", true, m.ID, 0)
		s.tc.budget = -1
		if err != nil {
			return nil, wrapErr("top", err, s.tc)
		}
		sum := sha256.Sum256(hdr.Bytes())
		uid := "sha256:" + hex.EncodeToString(sum[:16])
		count[uid]++
		if n := count[uid]; n > 1 {
			uid += "#" + strconv.Itoa(n)
		}
		out = append(out, entry{id: m.ID, uid: uid, size: int64(m.Size), digest: true})
	}
	return out, nil
}

// Policy says which messages a sync deletes on the server. Deletions
// are committed by the QUIT that ends the sync; a sync cut off before it
// deletes nothing.
type Policy struct {
	// DeleteStored deletes each message once Store returned nil for it.
	DeleteStored bool
	// DeleteKnown, if not nil, is asked about each message State.Known
	// already knows; true sends DELE for it. Messages named by a header
	// digest (servers without UIDL) are never asked: a digest is too weak
	// to delete by.
	DeleteKnown func(uid string) bool
}

// defaultPolicy is the policy Sync uses: Options.LeaveOnServer, or delete
// everything stored, now or by an earlier sync whose QUIT was lost.
func (f *Fetcher) defaultPolicy() Policy {
	if f.opts.LeaveOnServer {
		return Policy{}
	}
	return Policy{DeleteStored: true, DeleteKnown: func(string) bool { return true }}
}

// progressEvery is how many bytes of a download pass between two Progress
// reports.
const progressEvery = 1 << 20

// Sync downloads every message of INBOX that req.State.Known does not
// know into req.Store, oldest first, and deletes messages on the server
// as Options.LeaveOnServer says (see SyncPolicy).
func (f *Fetcher) Sync(ctx context.Context, req protocols.SyncRequest) (protocols.SyncResult, error) {
	return f.SyncPolicy(ctx, req, f.defaultPolicy())
}

// SyncPolicy is Sync with an explicit deletion policy, which replaces
// Options.LeaveOnServer. Each message is streamed to req.Store as it
// arrives (never held whole in memory); Progress.Bytes grows as it does.
// If Store fails, SyncPolicy stops, leaves that message on the server,
// commits the deletions made so far and returns the error. If the
// connection fails, nothing is deleted.
func (f *Fetcher) SyncPolicy(ctx context.Context, req protocols.SyncRequest, p Policy) (protocols.SyncResult, error) {
	var res protocols.SyncResult
	if err := checkFolder(req.Folder); err != nil {
		return res, err
	}
	if req.Store == nil {
		return res, errors.New("pop3: sync needs SyncRequest.Store")
	}
	s, err := f.open(ctx)
	if err != nil {
		return res, ctxErr(ctx, err)
	}
	defer s.abort()
	entries, err := s.list()
	if err != nil {
		return res, ctxErr(ctx, err)
	}
	var todo []entry
	for _, e := range entries {
		if req.State.Known == nil || !req.State.Known(e.uid) {
			todo = append(todo, e)
		} else if p.DeleteKnown != nil && !e.digest && p.DeleteKnown(e.uid) {
			if err := s.c.Dele(e.id); err != nil {
				return res, ctxErr(ctx, wrapErr("dele", err, s.tc))
			}
		}
	}
	progress := protocols.Progress{Folder: Inbox, Total: len(todo)}
	report := func() {
		if req.Progress != nil {
			req.Progress(progress)
		}
	}
	report()
	unreported := 0
	counted := func(n int) {
		progress.Bytes += int64(n)
		if unreported += n; unreported >= progressEvery {
			unreported = 0
			report()
		}
	}
	var storeErr error
	for _, e := range todo {
		if err := ctx.Err(); err != nil {
			// Cancelled between messages: commit what is stored (QUIT
			// below) and report the cancellation, not success.
			storeErr = err
			break
		}
		body, err := s.w.retr(e.id, f.opts.MaxMessageBytes, counted)
		if err != nil {
			return res, ctxErr(ctx, wrapErr("retr "+strconv.Itoa(e.id), err, s.tc))
		}
		err = req.Store(e.uid, body)
		if derr := body.drain(); derr != nil {
			// The download itself failed: drop the session, delete nothing.
			return res, ctxErr(ctx, errors.Join(wrapErr("retr "+strconv.Itoa(e.id), derr, s.tc), err))
		}
		if err != nil {
			storeErr = fmt.Errorf("pop3: store %s: %w", e.uid, err)
			break
		}
		res.Added++
		if p.DeleteStored {
			if err := s.c.Dele(e.id); err != nil {
				return res, ctxErr(ctx, wrapErr("dele", err, s.tc))
			}
		}
		progress.Done++
		unreported = 0
		report()
	}
	if err := s.quit(); err != nil {
		return res, ctxErr(ctx, errors.Join(storeErr, err))
	}
	return res, storeErr
}

// FetchBody streams the message with UIDL uid from a session of its own,
// which ends when the returned reader is closed.
func (f *Fetcher) FetchBody(ctx context.Context, folder, uid string) (io.ReadCloser, error) {
	if err := checkFolder(folder); err != nil {
		return nil, err
	}
	s, err := f.open(ctx)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	entries, err := s.list()
	if err != nil {
		s.abort()
		return nil, ctxErr(ctx, err)
	}
	for _, e := range entries {
		if e.uid == uid {
			body, err := s.w.retr(e.id, f.opts.MaxMessageBytes, nil)
			if err != nil {
				s.abort()
				return nil, ctxErr(ctx, wrapErr("retr "+strconv.Itoa(e.id), err, s.tc))
			}
			return &sessionBody{dotReader: body, s: s}, nil
		}
	}
	s.quit()
	return nil, fmt.Errorf("pop3: message %s: %w", uid, protocols.ErrNotFound)
}

// sessionBody is a message streamed by FetchBody; Close ends its session.
type sessionBody struct {
	*dotReader
	s *session
}

// Close QUITs if the whole body was read and drops the connection
// otherwise.
func (b *sessionBody) Close() error {
	if b.ended() {
		return b.s.quit()
	}
	b.s.abort()
	return nil
}

// Delete removes the messages with the given UIDLs from the server (DELE
// then QUIT). UIDLs no longer on the server are ignored.
func (f *Fetcher) Delete(ctx context.Context, folder string, uids []string) error {
	if err := checkFolder(folder); err != nil {
		return err
	}
	if len(uids) == 0 {
		return nil
	}
	s, err := f.open(ctx)
	if err != nil {
		return ctxErr(ctx, err)
	}
	defer s.abort()
	entries, err := s.list()
	if err != nil {
		return ctxErr(ctx, err)
	}
	want := make(map[string]bool, len(uids))
	for _, u := range uids {
		want[u] = true
	}
	for _, e := range entries {
		if want[e.uid] {
			if err := s.c.Dele(e.id); err != nil {
				return ctxErr(ctx, wrapErr("dele", err, s.tc))
			}
		}
	}
	return ctxErr(ctx, s.quit())
}

// ctxErr reports a cancelled context rather than the I/O error it caused.
func ctxErr(ctx context.Context, err error) error {
	if err != nil && ctx.Err() != nil && !errors.Is(err, ctx.Err()) {
		return fmt.Errorf("%w (%v)", ctx.Err(), err)
	}
	return err
}
