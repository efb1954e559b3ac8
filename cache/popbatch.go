package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// POPBatch delivers POP3 messages behind one durability barrier for many
// of them, where DeliverPOP pays two fsyncs and a transaction for each.
// POP3 deletes nothing before the QUIT that ends a session, so a sync
// needs its messages durable once, before QUIT, not one by one:
//
//   - Add writes a message into the Maildir's tmp/ and returns; the file
//     is neither durable nor indexed, and its UIDL is not known yet.
//   - Commit makes every message added before it began durable at once
//     (the files' data, then the renames into cur/ with the directory
//     synced) and indexes them in one write transaction, which looks
//     every UIDL up again. Only after Commit returned nil may the caller
//     let the server delete those messages (send QUIT).
//   - Close drops the temporary files of messages not committed.
//
// A crash before Commit leaves only files in tmp/, which nothing indexes
// (the next BeginPOP of the account removes them): the next sync, whose
// server still holds the messages, downloads them again. A crash during Commit leaves
// files in cur/ that were synced before they were renamed there; their
// names carry the UIDL, and Open indexes them, so the next sync knows
// them. Nothing is lost and nothing is stored twice.
//
// The guarantees of DeliverPOP between processes hold: a UIDL the index
// knows (whoever stored it) is never stored again; Add skips the UIDLs
// the index knew at the batch's first Add, and Commit looks every UIDL
// up again in its transaction.
//
// Add may be called from several goroutines at once, and while a Commit
// runs: a download goes on writing files while the messages before them
// are committed. Commits run one at a time; Close is called once the
// Adds and Commits are done.
type POPBatch struct {
	c       *Cache
	account string

	commitMu sync.Mutex // one Commit at a time

	mu      sync.Mutex // guards what follows
	pending []*popPending
	queued  map[string]bool // UIDLs added and not committed (being written, pending or committing)
	bytes   int64           // size of the pending files
	// known holds the UIDLs the index knew at the first Add, and those
	// committed since; nil before the first Add.
	known map[string]bool
	// landed holds, from the first Add, the files of messages that an
	// earlier delivery of this process put in cur/ without indexing them
	// (Cache.unindexed): Add indexes those files instead of writing
	// again.
	landed map[string]string
	// anon says the Maildir takes unnamed files (anonfile_linux.go),
	// decided at the first Add; open counts those the batch holds, at
	// most limit.
	anon        bool
	open, limit int
}

// popPending is one message of a batch, added but not committed. Its
// data is in a named file in tmp/ (tmp), or in an unnamed file (unnamed,
// fd), until the commit moves or names it in cur/.
type popPending struct {
	uidl    string
	h       postamail.Header
	text    string // body text for the search index
	tmp     string // its file in tmp/ (absolute); "" once in cur/
	unnamed bool   // its data is in the unnamed file fd
	fd      anonFile
	// named says an unnamed file was named in cur/ by a commit that
	// failed before it synced the name: the next one syncs it again.
	named bool
	rel   string // where it goes, relative to DataDir
}

// BeginPOP starts a batch of deliveries to account's Maildir. It removes
// the temporary files that deliveries of processes no longer running left
// in the account's tmp/ folders.
func (c *Cache) BeginPOP(account string) *POPBatch {
	c.removeStaleTemps(account)
	return &POPBatch{c: c, account: account, queued: map[string]bool{}}
}

// removeStaleTemps removes the files that POP3 deliveries (their names
// carry a UIDL) of processes that are gone left in the account's tmp/
// folders. Best effort.
func (c *Cache) removeStaleTemps(account string) {
	for _, f := range LocalFolders() {
		dir := filepath.Join(c.dataDir, folderRel(account, f.Name), "tmp")
		names, _ := readNames(dir)
		for _, name := range names {
			if uidlFromKey(name) == "" {
				continue
			}
			if pid := keyPID(name); pid > 0 && pid != os.Getpid() && !pidAlive(pid) {
				os.Remove(filepath.Join(dir, name))
			}
		}
	}
}

// keyPID returns the process id newKey wrote into key ("...P<pid>Q..."),
// or 0.
func keyPID(key string) int {
	_, rest, ok := strings.Cut(key, "P")
	if !ok {
		return 0
	}
	digits, _, ok := strings.Cut(rest, "Q")
	if !ok {
		return 0
	}
	pid, err := strconv.Atoi(digits)
	if err != nil {
		return 0
	}
	return pid
}

// Pending reports how many messages and bytes were added since the last
// Commit began.
func (b *POPBatch) Pending() (messages int, bytes int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.pending), b.bytes
}

// Add writes the message r with UIDL uidl into the Maildir's tmp/,
// without syncing it: it is stored only once a Commit that began after
// Add returned has returned nil. The message lands in Inbox unless
// h.Folder names another local folder; text, if not empty, is its body
// text for the search index. A zero h.Size is replaced by the number of
// bytes written.
//
// If the index knew uidl at the batch's first Add, or it was added to
// this batch before, Add returns ErrAlreadyDelivered without reading r.
func (b *POPBatch) Add(uidl string, h postamail.Header, text string, r io.Reader) error {
	if uidl == "" || len(uidl) > 100 {
		return fmt.Errorf("cache: deliver: invalid UIDL %q", uidl)
	}
	if err := b.start(); err != nil {
		return err
	}
	b.mu.Lock()
	if b.queued[uidl] || b.known[uidl] {
		b.mu.Unlock()
		return ErrAlreadyDelivered
	}
	b.queued[uidl] = true
	landed, unindexed := b.landed[uidl]
	b.mu.Unlock()
	c := b.c
	h.UID = uidl
	if unindexed {
		// An earlier delivery put the file in cur/ but failed to index
		// it: index that file.
		h.Folder = folderFromRel(landed)
		b.queue(&popPending{uidl: uidl, h: h, text: text, rel: landed}, 0)
		return nil
	}
	folder, ok := localFolder(h.Folder)
	if !ok {
		folder = FolderInbox
	}
	h.Folder = folder
	key := c.newKey(uidl)
	dir := folderRel(b.account, folder)
	p := &popPending{uidl: uidl, text: text, rel: filepath.Join(dir, "cur", fileName(key, h.Flags))}
	tmpDir := filepath.Join(c.dataDir, dir, "tmp")
	var n int64
	var err error
	unnamed := b.holdUnnamed()
	if unnamed {
		p.fd, n, err = createAnon(tmpDir, r)
		p.unnamed = err == nil
	} else {
		p.tmp, n, err = writeUnsynced(tmpDir, key, r)
	}
	if err != nil {
		b.mu.Lock()
		delete(b.queued, uidl)
		if unnamed {
			b.open--
		}
		b.mu.Unlock()
		return fmt.Errorf("cache: deliver: %w", err)
	}
	if h.Size == 0 {
		h.Size = n
	}
	p.h = h
	b.queue(p, n)
	return nil
}

// holdUnnamed reports whether the next message goes into an unnamed
// file, and counts it open if so: the Maildir takes them and the batch
// holds fewer than its limit.
func (b *POPBatch) holdUnnamed() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	if !b.anon || b.open >= b.limit {
		return false
	}
	b.open++
	return true
}

// closeUnnamed closes the unnamed files of ps that are still open.
func (b *POPBatch) closeUnnamed(ps ...*popPending) {
	b.mu.Lock()
	b.open -= closeFiles(ps)
	b.mu.Unlock()
}

// closeFiles closes the unnamed files of ps that are still open and
// returns how many it closed (for POPBatch.open; the caller holds b.mu).
func closeFiles(ps []*popPending) int {
	closed := 0
	for _, p := range ps {
		if p.unnamed {
			p.fd.close()
			p.unnamed = false
			closed++
		}
	}
	return closed
}

// start reads, at the first Add, the UIDLs the index knows and the files
// of this process that landed unindexed, and creates the Maildirs.
func (b *POPBatch) start() error {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.known != nil {
		return nil
	}
	c := b.c
	s, err := c.stmt(`SELECT uidl FROM pop_uidls WHERE account = ?`)
	if err != nil {
		return fmt.Errorf("cache: deliver: %w", err)
	}
	known, err := collectSet(s, b.account)
	if err != nil {
		return fmt.Errorf("cache: deliver: %w", err)
	}
	c.popMu.Lock()
	defer c.popMu.Unlock()
	if err := c.ensureMaildirs(b.account); err != nil {
		return err
	}
	b.landed = maps.Clone(c.unindexed[b.account])
	b.limit = anonLimit()
	b.anon = b.limit > 0 && anonSupported(filepath.Join(c.dataDir, folderRel(b.account, FolderInbox), "tmp"))
	b.known = make(map[string]bool, len(known))
	for u := range known {
		if _, ok := b.landed[u]; !ok {
			b.known[u] = true
		}
	}
	return nil
}

func (b *POPBatch) queue(p *popPending, size int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.pending = append(b.pending, p)
	b.bytes += size
}

// Commit makes every message added before it began durable and indexed,
// and returns the new messages (those another process stored meanwhile
// are not among them; their files are removed). Adds may go on meanwhile;
// their messages wait for the next Commit. On error nothing may be
// deleted on the server; the messages stay pending, and those whose files
// reached cur/ are known to the cache (KnownUIDLs) and indexed by the
// next Commit, delivery of their UIDL or Open.
func (b *POPBatch) Commit() ([]Message, error) {
	b.commitMu.Lock()
	defer b.commitMu.Unlock()
	b.mu.Lock()
	pending, size := b.pending, b.bytes
	b.pending, b.bytes = nil, 0
	b.mu.Unlock()
	if len(pending) == 0 {
		return nil, nil
	}
	out, err := b.commit(pending)
	b.mu.Lock()
	defer b.mu.Unlock()
	if err != nil {
		b.pending = append(pending, b.pending...)
		b.bytes += size
		return nil, fmt.Errorf("cache: deliver: %w", err)
	}
	for _, p := range pending {
		delete(b.queued, p.uidl)
		b.known[p.uidl] = true
	}
	return out, nil
}

// commit syncs, moves and indexes the files of pending. The file system
// work runs on a goroutine of its own while the transaction inserts the
// rows: one syncfs (mostly waiting for the disk), then the renames into
// cur/ and the directories' fsync. The transaction commits only once the
// files are durable in cur/, so the index never names a file that a crash
// could lose.
func (b *POPBatch) commit(pending []*popPending) ([]Message, error) {
	c := b.c
	var (
		tmps []string
		fds  []anonFile
	)
	for _, p := range pending {
		if p.tmp != "" {
			tmps = append(tmps, p.tmp)
		} else if p.unnamed {
			fds = append(fds, p.fd)
		}
	}
	synced := make(chan error, 1)
	go func() { synced <- syncData(tmps, fds) }()
	c.popMu.Lock()
	defer c.popMu.Unlock()
	var (
		out   []Message
		dups  []*popPending // stored by another process meanwhile
		moved []*popPending // renamed into cur/ by this commit
	)
	err := c.inTx(func(tx *sql.Tx) error {
		if err := ensureLocalFolders(tx, b.account); err != nil {
			return err
		}
		q := &popTx{tx: tx, c: c}
		known, err := knownUIDLs(c, tx, b.account, pending)
		if err != nil {
			return err
		}
		var fresh []*popPending
		for _, p := range pending {
			if known[p.uidl] {
				prev, _, err := q.delivered(b.account, p.uidl)
				if err != nil {
					return err
				}
				if prev == nil || prev.maildirPath != filepath.ToSlash(p.rel) {
					dups = append(dups, p)
				}
				continue // else: this very file, indexed by another process's Open
			}
			fresh = append(fresh, p)
		}
		files := make(chan error, 1)
		go func() {
			if err := <-synced; err != nil {
				files <- err
				return
			}
			var err error
			moved, err = b.moveIn(fresh)
			files <- err
		}()
		ids, err := insertPOPRows(tx, q, b.account, fresh)
		if ferr := <-files; err == nil {
			err = ferr
		}
		if err != nil {
			return err
		}
		for i, p := range fresh {
			out = append(out, Message{ID: ids[i], Account: b.account, Header: p.h, HasBody: true})
		}
		return nil
	})
	// Files that reached cur/ are known (KnownUIDLs) even if the
	// transaction failed: the next Commit, delivery or Open indexes them.
	for _, p := range moved {
		b.remember(p)
	}
	if err != nil {
		return nil, err
	}
	for _, p := range dups {
		b.removeCopy(p)
	}
	for _, p := range pending {
		delete(c.unindexed[b.account], p.uidl)
	}
	return out, nil
}

// moveIn renames the files of ps that are still in tmp/ into cur/, names
// the unnamed ones there, and makes the new names durable: the
// directories' fsync, and for files that were unnamed their link count
// too (a file named by a Commit that failed before this sync is synced
// again). It returns the messages it moved or named, also when it fails.
func (b *POPBatch) moveIn(ps []*popPending) ([]*popPending, error) {
	var (
		moved []*popPending
		named []string // files named in cur/, their link count not synced
	)
	dirs := map[string]bool{}
	for _, p := range ps {
		dst := filepath.Join(b.c.dataDir, p.rel)
		switch {
		case p.tmp != "":
			if err := renameFile(p.tmp, dst); err != nil {
				return moved, err
			}
			p.tmp = ""
			moved = append(moved, p)
		case p.unnamed:
			if err := p.fd.link(dst); err != nil {
				return moved, err
			}
			b.closeUnnamed(p)
			p.named = true
			moved = append(moved, p)
		}
		if p.named {
			named = append(named, dst)
		}
		dirs[filepath.Dir(dst)] = true
	}
	if err := syncFiles(named); err != nil {
		return moved, err
	}
	for d := range dirs {
		if err := syncDir(d); err != nil {
			return moved, err
		}
	}
	for _, p := range ps {
		p.named = false
	}
	return moved, nil
}

// syncData makes the data of the named files paths and the unnamed files
// fds durable: one syncfs for many, an fsync each for a few.
func syncData(paths []string, fds []anonFile) error {
	if len(fds) > 0 && len(paths)+len(fds) > syncOneByOne {
		return fds[0].syncFS()
	}
	for _, f := range fds {
		if err := f.sync(); err != nil {
			return err
		}
	}
	return syncFiles(paths) // a few with fds, or any number without
}

// knownUIDLs returns which UIDLs of pending the index knows, asking for
// up to rowsPerStatement of them at a time (partRows).
func knownUIDLs(c *Cache, tx *sql.Tx, account string, pending []*popPending) (map[string]bool, error) {
	known := map[string]bool{}
	sel := newMultiRow(tx, `SELECT uidl FROM pop_uidls WHERE account = ? AND uidl IN `, 1, ``)
	sel.keep = c
	defer sel.close()
	args := make([]any, 0, min(len(pending), rowsPerStatement)+1)
	for start, n := 0, 0; start < len(pending); start += n {
		n = partRows(len(pending) - start)
		args = append(args[:0], account)
		for _, p := range pending[start : start+n] {
			args = append(args, p.uidl)
		}
		s, err := sel.stmtIn(n)
		if err != nil {
			return nil, err
		}
		rows, err := s.Query(args...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var u string
			if err := rows.Scan(&u); err != nil {
				rows.Close()
				return nil, err
			}
			known[u] = true
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return nil, err
		}
	}
	return known, nil
}

// insertPOPRows indexes the files of ps (in cur/, UIDLs not known yet) and
// returns their row ids in order: the UIDLs, the rows and their body text
// for search up to rowsPerStatement at a time (see rowsPerStatement and
// partRows). A row whose UID clashes is inserted alone by q.insert, as
// insertPOPRow does.
func insertPOPRows(tx *sql.Tx, q *popTx, account string, ps []*popPending) ([]int64, error) {
	uidls := newMultiRow(tx, `INSERT OR IGNORE INTO pop_uidls (account, uidl, stored_at) VALUES `, 3, ``)
	rows := newMultiRow(tx, `INSERT INTO messages (account, folder, uid, maildir_path, has_body, `+headerColumns+`) VALUES `,
		18, ` ON CONFLICT (account, folder, uid) DO NOTHING`)
	bodies := newMultiRow(tx, `WITH b(id, body) AS (VALUES `, 2,
		`) INSERT OR REPLACE INTO fts_bodies (id, body) SELECT id, body FROM b WHERE body != ''`)
	for _, m := range []*multiRow{uidls, rows, bodies} {
		m.keep = q.c
		defer m.close()
	}
	ids := make([]int64, len(ps))
	most := min(len(ps), rowsPerStatement) // rows of the biggest part
	uargs, margs, bargs := make([]any, 0, 3*most), make([]any, 0, 18*most), make([]any, 0, 2*most)
	stored := time.Now().Unix() // when these UIDLs are stored (POPStoredTimes)
	for start, n := 0, 0; start < len(ps); start += n {
		n = partRows(len(ps) - start)
		part := ps[start : start+n]
		uargs, margs = uargs[:0], margs[:0]
		for _, p := range part {
			uargs = append(uargs, account, p.uidl, stored)
			margs = append(margs, account, p.h.Folder, p.uidl, filepath.ToSlash(p.rel), 1)
			margs = appendHeaderArgs(margs, &p.h)
		}
		s, err := uidls.stmt(n)
		if err != nil {
			return nil, err
		}
		if _, err := s.Exec(uargs...); err != nil {
			return nil, err
		}
		if s, err = rows.stmt(n); err != nil {
			return nil, err
		}
		res, err := s.Exec(margs...)
		if err != nil {
			return nil, err
		}
		got, err := insertedIDs(tx, res, account, part)
		if err != nil {
			return nil, err
		}
		for i, p := range part {
			id := got[i]
			if id == 0 { // a UID clash
				if id, err = q.insert(account, p.rel, p.h); err != nil {
					return nil, err
				}
			}
			ids[start+i] = id
		}
		// The body text of the part's messages, in parts of partRows
		// rows too.
		bargs = bargs[:0]
		for i, p := range part {
			if p.text != "" {
				bargs = append(bargs, ids[start+i], bodyIndexText(p.text))
			}
		}
		for b, k := 0, 0; b < len(bargs)/2; b += k {
			k = partRows(len(bargs)/2 - b)
			if s, err = bodies.stmt(k); err != nil {
				return nil, err
			}
			if _, err := s.Exec(bargs[2*b : 2*(b+k)]...); err != nil {
				return nil, err
			}
		}
	}
	return ids, nil
}

// insertedIDs returns the row ids of the rows of part that the
// multi-row INSERT … ON CONFLICT DO NOTHING whose result is res
// inserted, in order, with 0 for a row it skipped (a UID clash). When it
// inserted every row, which is the rule, their ids are consecutive up to
// its last insert id (AUTOINCREMENT gives each row the next id, and tx
// holds the write lock) and nothing needs to be asked; a skipped row may
// leave a gap, so after a clash each row is looked up by its file.
func insertedIDs(tx *sql.Tx, res sql.Result, account string, part []*popPending) ([]int64, error) {
	n, err := res.RowsAffected()
	if err != nil {
		return nil, err
	}
	ids := make([]int64, len(part))
	if int(n) == len(part) {
		last, err := res.LastInsertId()
		if err != nil {
			return nil, err
		}
		for i := range ids {
			ids[i] = last - n + 1 + int64(i)
		}
		return ids, nil
	}
	for i, p := range part {
		err := tx.QueryRow(`SELECT id FROM messages WHERE account = ? AND folder = ? AND uid = ? AND maildir_path = ?`,
			account, p.h.Folder, p.uidl, filepath.ToSlash(p.rel)).Scan(&ids[i])
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return nil, err
		}
	}
	return ids, nil
}

// remember records a file that reached cur/ before its row was
// committed, so that KnownUIDLs counts it and a failed Commit is not
// followed by a second download of the message. c.popMu is held.
func (b *POPBatch) remember(p *popPending) {
	c := b.c
	if c.unindexed == nil {
		c.unindexed = map[string]map[string]string{}
	}
	if c.unindexed[b.account] == nil {
		c.unindexed[b.account] = map[string]string{}
	}
	c.unindexed[b.account][p.uidl] = p.rel
}

// removeCopy removes the file of a message another process stored first,
// unless a row indexes it. c.popMu is held.
func (b *POPBatch) removeCopy(p *popPending) {
	if p.tmp != "" {
		os.Remove(p.tmp)
		return
	}
	if p.unnamed {
		b.closeUnnamed(p)
		return
	}
	var n int
	if err := b.c.db.QueryRow(`SELECT COUNT(*) FROM messages WHERE maildir_path = ?`, filepath.ToSlash(p.rel)).Scan(&n); err == nil && n == 0 {
		os.Remove(filepath.Join(b.c.dataDir, p.rel))
	}
}

// Close removes the temporary files of the messages added since the last
// Commit; they were never stored. Files that reached cur/ stay (see
// Commit). Close may be called more than once, once no Add or Commit
// runs.
func (b *POPBatch) Close() {
	b.mu.Lock()
	defer b.mu.Unlock()
	for _, p := range b.pending {
		if p.tmp != "" {
			os.Remove(p.tmp)
		}
	}
	b.open -= closeFiles(b.pending) // the kernel frees them
	b.pending, b.bytes = nil, 0
	clear(b.queued)
}

// bodyIndexText is text as IndexBody stores it.
func bodyIndexText(text string) string {
	if len(text) > maxBodyText {
		text = text[:maxBodyText]
	}
	return strings.ToValidUTF8(text, " ")
}

// syncOneByOne is the most files syncFiles fsyncs one by one where it can
// flush a whole file system at once instead.
const syncOneByOne = 8

// fsyncEach fsyncs every file of paths, several at a time: concurrent
// fsyncs share the file system's journal commits.
func fsyncEach(paths []string) error {
	const workers = 8
	work := make(chan string)
	errs := make(chan error, workers)
	for range min(workers, len(paths)) {
		go func() {
			var first error
			for p := range work {
				if first == nil {
					first = fsyncFile(p)
				}
			}
			errs <- first
		}()
	}
	for _, p := range paths {
		work <- p
	}
	close(work)
	var err error
	for range min(workers, len(paths)) {
		if e := <-errs; err == nil {
			err = e
		}
	}
	return err
}

func fsyncFile(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	err = f.Sync()
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
