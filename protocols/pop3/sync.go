package pop3

import (
	"bytes"
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

// retr downloads message id whole, within the size limit.
func (s *session) retr(id int, limit int64) (*bytes.Buffer, error) {
	s.tc.budget = limit + 64<<10 // room for the status line and stuffing
	buf, err := s.c.RetrRaw(id)
	s.tc.budget = -1
	if err != nil {
		return nil, wrapErr("retr "+strconv.Itoa(id), err, s.tc)
	}
	if int64(buf.Len()) > limit {
		return nil, fmt.Errorf("pop3: retr %d: %w", id, errTooLarge)
	}
	return buf, nil
}

// Sync downloads every message of INBOX that req.State.Known does not
// know into req.Store, oldest first. Unless LeaveOnServer is set, it
// deletes each message after Store returned nil for it, and also deletes
// messages already known (stored by an earlier sync whose QUIT was lost)
// when the server has UIDL: a header digest is not trusted for that.
// If Store fails, Sync stops, leaves that message on the server, commits
// the deletions made so far and returns the error.
func (f *Fetcher) Sync(ctx context.Context, req protocols.SyncRequest) (protocols.SyncResult, error) {
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
		} else if !f.opts.LeaveOnServer && !e.digest {
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
	var storeErr error
	for _, e := range todo {
		buf, err := s.retr(e.id, f.opts.MaxMessageBytes)
		if err != nil {
			return res, ctxErr(ctx, err)
		}
		progress.Bytes += int64(buf.Len())
		if err := req.Store(e.uid, buf); err != nil {
			storeErr = fmt.Errorf("pop3: store %s: %w", e.uid, err)
			break
		}
		res.Added++
		if !f.opts.LeaveOnServer {
			if err := s.c.Dele(e.id); err != nil {
				return res, ctxErr(ctx, wrapErr("dele", err, s.tc))
			}
		}
		progress.Done++
		report()
	}
	if err := s.quit(); err != nil {
		return res, ctxErr(ctx, errors.Join(storeErr, err))
	}
	return res, storeErr
}

// FetchBody downloads the message with UIDL uid.
func (f *Fetcher) FetchBody(ctx context.Context, folder, uid string) (io.ReadCloser, error) {
	if err := checkFolder(folder); err != nil {
		return nil, err
	}
	s, err := f.open(ctx)
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	defer s.abort()
	entries, err := s.list()
	if err != nil {
		return nil, ctxErr(ctx, err)
	}
	for _, e := range entries {
		if e.uid == uid {
			buf, err := s.retr(e.id, f.opts.MaxMessageBytes)
			if err != nil {
				return nil, ctxErr(ctx, err)
			}
			s.quit() // nothing to commit; the body is already here
			return io.NopCloser(buf), nil
		}
	}
	s.quit()
	return nil, fmt.Errorf("pop3: message %s: %w", uid, protocols.ErrNotFound)
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
