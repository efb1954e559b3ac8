package pop3

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

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

// list returns the maildrop's messages with their UIDs and sizes: STAT,
// LIST and UIDL, sent at once when the server allows pipelining. STAT
// bounds how many lines the listings may have.
func (s *session) list() ([]entry, error) {
	c := s.c
	c.send("STAT")
	if s.pipelining {
		c.send("LIST")
		c.send("UIDL")
	}
	st, err := c.status()
	if err != nil {
		return nil, c.wrap("STAT", err)
	}
	var count int
	var total int64
	if _, err := fmt.Sscanf(st, "+OK %d %d", &count, &total); err != nil || count < 0 || count > maxMessages {
		return nil, c.wrap("STAT", fmt.Errorf("%w: bad reply %q", errProtocol, clip([]byte(st))))
	}
	if !s.pipelining {
		c.send("LIST")
	}
	size := make(map[int]int64, count)
	var order []int
	err = s.listing("LIST", count, func(id int, value string) error {
		n, err := strconv.ParseInt(value, 10, 64)
		if err != nil || n < 0 {
			return fmt.Errorf("%w: bad size %q", errProtocol, clip([]byte(value)))
		}
		size[id] = n
		order = append(order, id)
		return nil
	})
	if err != nil {
		return nil, c.wrap("LIST", err)
	}
	if !s.pipelining {
		c.send("UIDL")
	}
	out := make([]entry, 0, len(order))
	seen := make(map[string]bool, len(order))
	err = s.listing("UIDL", count, func(id int, uid string) error {
		if len(uid) > 70 {
			return fmt.Errorf("%w: a UIDL of %d characters", errProtocol, len(uid))
		}
		if seen[uid] { // a broken server repeating a UIDL
			return nil
		}
		seen[uid] = true
		out = append(out, entry{id: id, uid: uid, size: size[id]})
		return nil
	})
	var se *serverError
	if errors.As(err, &se) {
		return s.digestUIDs(order, size) // -ERR: no UIDL on this server
	}
	if err != nil {
		return nil, c.wrap("UIDL", err)
	}
	return out, nil
}

// listing reads the reply to LIST or UIDL (without argument): at most
// count lines "id value" with ids from 1 to count, each once.
func (s *session) listing(verb string, count int, fn func(id int, value string) error) error {
	if _, err := s.c.status(); err != nil {
		return err
	}
	seen := make(map[int]bool, count)
	return s.c.multiline(count, func(line []byte) error {
		idText, value, ok := strings.Cut(strings.TrimSpace(string(line)), " ")
		id, err := strconv.Atoi(idText)
		value = strings.TrimSpace(value)
		if !ok || err != nil || id < 1 || id > count || seen[id] || value == "" {
			return fmt.Errorf("%w: bad %s line %q", errProtocol, verb, clip(line))
		}
		seen[id] = true
		return fn(id, value)
	})
}

// digestUIDs names messages by a digest of their header (TOP n 0), for
// servers without UIDL. Identical headers get "#2", "#3"… suffixes.
func (s *session) digestUIDs(ids []int, size map[int]int64) ([]entry, error) {
	c := s.c
	out := make([]entry, 0, len(ids))
	count := make(map[string]int)
	for _, id := range ids {
		if _, err := c.cmd("TOP " + strconv.Itoa(id) + " 0"); err != nil {
			return nil, c.wrap("TOP", err)
		}
		h := sha256.New()
		err := c.multiline(maxHeaderLines, func(line []byte) error {
			h.Write(line)
			h.Write([]byte("\r\n"))
			return nil
		})
		if err != nil {
			return nil, c.wrap("TOP", err)
		}
		uid := "sha256:" + hex.EncodeToString(h.Sum(nil)[:16])
		count[uid]++
		if n := count[uid]; n > 1 {
			uid += "#" + strconv.Itoa(n)
		}
		out = append(out, entry{id: id, uid: uid, size: size[id], digest: true})
	}
	return out, nil
}

// maxHeaderLines bounds the lines of a TOP n 0 reply.
const maxHeaderLines = 1 << 16

// Policy says which messages a sync deletes on the server, and when it
// asks for what was stored to be made durable. Deletions are committed by
// the QUIT that ends the sync; a sync cut off before it deletes nothing.
type Policy struct {
	// DeleteStored deletes each message once Store returned nil for it.
	DeleteStored bool
	// DeleteKnown, if not nil, is asked about each message State.Known
	// already knows; true sends DELE for it. Messages named by a header
	// digest (servers without UIDL) are never asked: a digest is too weak
	// to delete by.
	DeleteKnown func(uid string) bool
	// StoreCommits says that the caller makes what Store accepted
	// durable on its own while the download goes on (committing in the
	// background): SyncPolicy then calls req.Commit only on its ways out
	// (before QUIT, or when it stops), not from time to time during the
	// download, which it would hold up.
	StoreCommits bool
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

// Pipelining bounds. window is how many RETRs may await their replies
// (RFC 2449 PIPELINING); maxInFlight bounds all commands sent ahead,
// the DELEs included.
const (
	window      = 32
	maxInFlight = 256
)

// When SyncRequest.Commit is set, a sync calls it (besides before QUIT)
// once commitEvery passed since the last call or commitBytes were stored,
// so that stored mail shows up during a long download and a crash costs
// little work. The first call comes sooner, firstCommit after the sync
// started, so that the first messages show up at once.
const (
	commitEvery = time.Second
	commitBytes = 64 << 20
	firstCommit = 150 * time.Millisecond
)

// Sync downloads every message of INBOX that req.State.Known does not
// know into req.Store, oldest first, and deletes messages on the server
// as Options.LeaveOnServer says (see SyncPolicy).
func (f *Fetcher) Sync(ctx context.Context, req protocols.SyncRequest) (protocols.SyncResult, error) {
	return f.SyncPolicy(ctx, req, f.defaultPolicy())
}

// SyncPolicy is Sync with an explicit deletion policy, which replaces
// Options.LeaveOnServer. Each message is streamed to req.Store as it
// arrives (never held whole in memory); Progress.Bytes grows as it does.
// When the server offers PIPELINING, the RETRs (and DELEs) are sent ahead
// of their replies, a bounded number at a time.
//
// DELE takes effect only at the QUIT that ends the session, so the
// messages are made durable once for the session: SyncPolicy calls
// req.Commit (when set) before QUIT, and sends no QUIT unless it returned
// nil. It calls Commit on every other way out too, so that nothing
// downloaded is wasted, and from time to time during a long download.
//
// If Store fails, SyncPolicy stops asking for messages, leaves that one
// on the server, commits the deletions made so far and returns the
// error. If the connection fails or ctx is cancelled, nothing is deleted.
func (f *Fetcher) SyncPolicy(ctx context.Context, req protocols.SyncRequest, p Policy) (res protocols.SyncResult, err error) {
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
	d := &download{f: f, s: s, req: req, policy: p, lastCommit: time.Now().Add(firstCommit - commitEvery)}
	defer func() {
		if s.done {
			return
		}
		// Leaving without QUIT: keep what was stored, delete nothing.
		s.abort()
		if cerr := d.commit(); cerr != nil {
			err = errors.Join(err, cerr)
		}
	}()
	entries, err := s.list()
	if err != nil {
		return res, ctxErr(ctx, err)
	}
	err = d.run(ctx, entries)
	res.Added = d.added
	if err != nil {
		return res, ctxErr(ctx, err)
	}
	if err := d.commit(); err != nil {
		s.abort() // no QUIT: nothing is deleted
		return res, errors.Join(d.storeErr, err)
	}
	if err := s.quit(); err != nil {
		return res, ctxErr(ctx, errors.Join(d.storeErr, err))
	}
	return res, d.storeErr
}

// download is the state of one SyncPolicy.
type download struct {
	f      *Fetcher
	s      *session
	req    protocols.SyncRequest
	policy Policy

	inFlight []command // sent (or buffered), replies not read yet, in order
	retrs    int       // RETRs among them
	added    int
	storeErr error // the Store failure that stopped the download

	uncommitted      int // messages stored since the last Commit
	uncommittedBytes int64
	lastCommit       time.Time

	progress   protocols.Progress
	unreported int
}

// command is a command whose reply is awaited.
type command struct {
	dele bool  // DELE; else RETR
	e    entry // its message
}

func (d *download) send(cmd string, c command) {
	d.s.c.send(cmd + " " + strconv.Itoa(c.e.id))
	d.inFlight = append(d.inFlight, c)
	if !c.dele {
		d.retrs++
	}
}

// room reports whether one more command may be sent before a reply is
// read: always one at a time without PIPELINING.
func (d *download) room(retr bool) bool {
	if !d.s.pipelining {
		return len(d.inFlight) == 0
	}
	return len(d.inFlight) < maxInFlight && (!retr || d.retrs < window)
}

// run deletes what the policy says of the known messages, downloads the
// others and reads every reply it asked for.
func (d *download) run(ctx context.Context, entries []entry) error {
	var todo []entry
	for _, e := range entries {
		if d.req.State.Known == nil || !d.req.State.Known(e.uid) {
			todo = append(todo, e)
		} else if d.policy.DeleteKnown != nil && !e.digest && d.policy.DeleteKnown(e.uid) {
			for !d.room(false) {
				if err := d.reply(ctx); err != nil {
					return err
				}
			}
			d.send("DELE", command{dele: true, e: e})
		}
	}
	d.progress = protocols.Progress{Folder: Inbox, Total: len(todo)}
	d.report()
	if d.s.pipelining {
		d.s.c.lazy = true
		defer func() { d.s.c.lazy = false }()
	}
	next := 0
	for {
		if err := ctx.Err(); err != nil {
			// What is stored is kept (the deferred Commit); nothing is
			// deleted (no QUIT), and the replies in flight are not awaited.
			return err
		}
		// RETRs are sent a batch at a time, once half the window is
		// free, and flushed at once: one write (and one read on the
		// server) for many commands, while the server still has the
		// other half to answer.
		if !d.s.pipelining || d.retrs <= window/2 {
			sent := false
			for d.storeErr == nil && next < len(todo) && d.room(true) {
				d.send("RETR", command{e: todo[next]})
				next++
				sent = true
			}
			if sent && d.s.pipelining {
				d.s.c.flush()
			}
		}
		if len(d.inFlight) == 0 {
			break
		}
		if err := d.reply(ctx); err != nil {
			return err
		}
	}
	return nil
}

// reply reads the reply of the oldest command in flight: for a RETR, the
// message goes to Store unless the download is stopping.
func (d *download) reply(ctx context.Context) error {
	c := d.s.c
	cmd := d.inFlight[0]
	d.inFlight = d.inFlight[1:]
	id := strconv.Itoa(cmd.e.id)
	if cmd.dele {
		if _, err := c.status(); err != nil {
			return c.wrap("DELE "+id, err)
		}
		return nil
	}
	d.retrs--
	if _, err := c.status(); err != nil {
		return c.wrap("RETR "+id, err)
	}
	body := c.retrBody(d.f.opts.MaxMessageBytes, d.counted)
	if d.storeErr != nil {
		if err := body.drain(); err != nil {
			return c.wrap("RETR "+id, err)
		}
		return nil
	}
	err := d.req.Store(cmd.e.uid, body)
	if derr := body.drain(); derr != nil {
		// The download itself failed: drop the session, delete nothing.
		return errors.Join(c.wrap("RETR "+id, derr), err)
	}
	if err != nil {
		d.storeErr = fmt.Errorf("pop3: store %s: %w", cmd.e.uid, err)
		return nil
	}
	d.added++
	d.uncommitted++
	d.uncommittedBytes += body.n
	if d.policy.DeleteStored {
		d.send("DELE", command{dele: true, e: cmd.e})
	}
	d.progress.Done++
	d.unreported = 0
	d.report()
	if !d.policy.StoreCommits && (d.uncommittedBytes >= commitBytes || time.Since(d.lastCommit) >= commitEvery) {
		return d.commit()
	}
	return nil
}

// commit calls req.Commit for the messages stored since the last call.
func (d *download) commit() error {
	if d.uncommitted == 0 || d.req.Commit == nil {
		return nil
	}
	if err := d.req.Commit(); err != nil {
		return fmt.Errorf("pop3: commit: %w", err)
	}
	d.uncommitted, d.uncommittedBytes, d.lastCommit = 0, 0, time.Now()
	return nil
}

func (d *download) report() {
	if d.req.Progress != nil {
		d.req.Progress(d.progress)
	}
}

// counted is told of every chunk of a message read.
func (d *download) counted(n int) {
	d.progress.Bytes += int64(n)
	if d.unreported += n; d.unreported >= progressEvery {
		d.unreported = 0
		d.report()
	}
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
			id := strconv.Itoa(e.id)
			if _, err := s.c.cmd("RETR " + id); err != nil {
				s.abort()
				return nil, ctxErr(ctx, s.c.wrap("RETR "+id, err))
			}
			return &sessionBody{dotReader: s.c.retrBody(f.opts.MaxMessageBytes, nil), s: s}, nil
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
	d := &download{f: f, s: s}
	for _, e := range entries {
		if want[e.uid] {
			for !d.room(false) {
				if err := d.reply(ctx); err != nil {
					return ctxErr(ctx, err)
				}
			}
			d.send("DELE", command{dele: true, e: e})
		}
	}
	for len(d.inFlight) > 0 {
		if err := d.reply(ctx); err != nil {
			return ctxErr(ctx, err)
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
