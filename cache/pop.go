package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	postamail "github.com/posta-mail/posta/mail"
)

// DeliverPOP stores a message fetched over POP3 in the account's Maildir
// and indexes it. The message lands in Inbox unless h.Folder names another
// local folder. When DeliverPOP returns nil the message is durable: its file
// was fsynced, renamed into cur/, the directory fsynced, and the index row
// with the UIDL committed. Only then may the caller DELE it on the server.
//
// DeliverPOP is idempotent: for a UIDL delivered before it returns the
// stored message without reading r (or ErrAlreadyDelivered if that message
// is gone from the index). h.UID is set to uidl; a zero h.Size is replaced
// by the number of bytes written.
//
// That holds between processes too: two processes syncing one account
// may both download a message. The file is written to tmp/ first; the
// rename into cur/ and the row are done in one write transaction that
// first looks the UIDL up again, so the process that comes second finds
// it, removes its own temporary copy (never the stored one) and returns
// the stored message.
func (c *Cache) DeliverPOP(account, uidl string, h postamail.Header, r io.Reader) (Message, error) {
	if uidl == "" || len(uidl) > 100 {
		return Message{}, fmt.Errorf("cache: deliver: invalid UIDL %q", uidl)
	}
	c.popMu.Lock()
	defer c.popMu.Unlock()
	if m, known, err := c.deliveredMessage(account, uidl); err != nil || known {
		return m, err
	}
	if path, ok := c.unindexed[account][uidl]; ok {
		// An earlier call wrote the file but failed to index it: index that file.
		return c.commitDelivered(account, uidl, "", path, h)
	}
	if err := c.ensureMaildirs(account); err != nil {
		return Message{}, err
	}
	folder, ok := localFolder(h.Folder)
	if !ok {
		folder = FolderInbox
	}
	h.Folder = folder
	key := c.newKey(uidl)
	dir := folderRel(account, folder)
	tmp, n, err := writeTemp(filepath.Join(c.dataDir, dir, "tmp"), key, r)
	if err != nil {
		return Message{}, fmt.Errorf("cache: deliver: %w", err)
	}
	if h.Size == 0 {
		h.Size = n
	}
	return c.commitDelivered(account, uidl, tmp, filepath.Join(dir, "cur", fileName(key, h.Flags)), h)
}

// commitDelivered moves a delivered file from tmp (an absolute path; ""
// if it is in place already) to rel (relative to DataDir) and commits its
// index row, in one write transaction that first checks that the UIDL is
// still unknown. If another process delivered the UIDL meanwhile, this
// copy is removed (unless a row indexes it) and the stored message is
// returned. If the row cannot be committed after the file landed, the
// file is remembered so a retry indexes it instead of writing a
// duplicate; Open would index it too. c.popMu is held.
func (c *Cache) commitDelivered(account, uidl, tmp, rel string, h postamail.Header) (Message, error) {
	h.UID = uidl
	h.Folder = folderFromRel(rel)
	dst := filepath.Join(c.dataDir, rel)
	landed := tmp == "" // the file is at dst
	var (
		stored    Message
		storedErr error // ErrAlreadyDelivered: the UIDL is known, its message gone
		dup       bool  // another delivery of the UIDL won
		id        int64
	)
	err := c.inTx(func(tx *sql.Tx) error {
		prev, known, err := deliveredIn(tx, account, uidl)
		if err != nil {
			return err
		}
		if known && (prev == nil || prev.maildirPath != filepath.ToSlash(rel)) {
			dup = true
			if prev != nil {
				stored = prev.Message
			} else {
				storedErr = ErrAlreadyDelivered
			}
			if landed {
				// This copy is in cur/: remove it unless a row indexes it.
				var n int
				if err := tx.QueryRow(`SELECT COUNT(*) FROM messages WHERE maildir_path = ?`, filepath.ToSlash(rel)).Scan(&n); err != nil {
					return err
				}
				if n == 0 {
					if err := os.Remove(dst); err != nil && !errors.Is(err, os.ErrNotExist) {
						return err
					}
					syncDir(filepath.Dir(dst))
				}
			}
			return nil
		}
		if known { // this very file: indexed by another process's Open
			stored = prev.Message
			dup = true
			return nil
		}
		if !landed {
			if err := os.Rename(tmp, dst); err != nil {
				return err
			}
			landed = true
			if err := syncDir(filepath.Dir(dst)); err != nil {
				return err
			}
		}
		if err := ensureLocalFolders(tx, account); err != nil {
			return err
		}
		// Threaded lazily, like PutHeaders (see threadFolders).
		id, err = insertPOPRow(tx, account, rel, h)
		return err
	})
	if err != nil {
		if !landed {
			os.Remove(tmp)
			return Message{}, fmt.Errorf("cache: deliver: %w", err)
		}
		if c.unindexed == nil {
			c.unindexed = map[string]map[string]string{}
		}
		if c.unindexed[account] == nil {
			c.unindexed[account] = map[string]string{}
		}
		c.unindexed[account][uidl] = rel
		return Message{}, fmt.Errorf("cache: deliver: index: %w", err)
	}
	delete(c.unindexed[account], uidl)
	if dup {
		if !landed {
			os.Remove(tmp)
		}
		return stored, storedErr
	}
	return Message{ID: id, Account: account, Header: h, HasBody: true}, nil
}

// deliveredIn looks uidl up in tx: whether it is known, and its message
// if one is indexed.
func deliveredIn(tx *sql.Tx, account, uidl string) (*scanned, bool, error) {
	return (&popTx{tx: tx}).delivered(account, uidl)
}

// insertPOPRow inserts a Maildir message row and marks its UIDL known. A
// UID clash (the same UIDL twice in one folder, which posta never writes)
// indexes the file under its Maildir path instead, so no file goes unindexed.
func insertPOPRow(tx *sql.Tx, account, rel string, h postamail.Header) (int64, error) {
	return (&popTx{tx: tx}).insert(account, rel, h)
}

// popTx runs the statements of POP3 deliveries in a write transaction.
// With c set it runs the cache's prepared statements (see Cache.stmt) in
// the transaction: a batch runs each thousands of times, and preparing
// them anew every time cost a third of its commit.
type popTx struct {
	tx    *sql.Tx
	c     *Cache
	stmts map[string]*sql.Stmt
}

func (p *popTx) prepared(q string) *sql.Stmt {
	if p.c == nil {
		return nil
	}
	if s, ok := p.stmts[q]; ok {
		return s
	}
	s, err := p.c.stmt(q)
	if err != nil {
		return nil // the plain call below reports the error
	}
	if p.stmts == nil {
		p.stmts = map[string]*sql.Stmt{}
	}
	p.stmts[q] = p.tx.Stmt(s)
	return p.stmts[q]
}

func (p *popTx) exec(q string, args ...any) (sql.Result, error) {
	if s := p.prepared(q); s != nil {
		return s.Exec(args...)
	}
	return p.tx.Exec(q, args...)
}

func (p *popTx) queryRow(q string, args ...any) *sql.Row {
	if s := p.prepared(q); s != nil {
		return s.QueryRow(args...)
	}
	return p.tx.QueryRow(q, args...)
}

// delivered looks uidl up: whether it is known, and its message if one
// is indexed.
func (p *popTx) delivered(account, uidl string) (*scanned, bool, error) {
	var n int
	if err := p.queryRow(`SELECT COUNT(*) FROM pop_uidls WHERE account = ? AND uidl = ?`, account, uidl).Scan(&n); err != nil {
		return nil, false, err
	}
	if n == 0 {
		return nil, false, nil
	}
	s, err := scanMessage(p.queryRow(`SELECT `+messageColumns+` FROM messages
		WHERE account = ? AND uid = ? AND maildir_path != '' LIMIT 1`, account, uidl))
	if errors.Is(err, sql.ErrNoRows) {
		return nil, true, nil
	}
	if err != nil {
		return nil, true, err
	}
	return &s, true, nil
}

// insert is insertPOPRow.
func (p *popTx) insert(account, rel string, h postamail.Header) (int64, error) {
	rel = filepath.ToSlash(rel)
	if h.UID == "" {
		h.UID = "maildir:" + filepath.Base(rel)
	} else if _, err := p.exec(`INSERT OR IGNORE INTO pop_uidls (account, uidl, stored_at) VALUES (?, ?, unixepoch())`, account, h.UID); err != nil {
		return 0, err
	}
	insert := `INSERT INTO messages (account, folder, uid, maildir_path, has_body, ` + headerColumns + `)
		VALUES (?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	args := append([]any{account, h.Folder, h.UID, rel}, headerArgs(h)...)
	res, err := p.exec(insert+` ON CONFLICT (account, folder, uid) DO NOTHING`, args...)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		args[2] = "maildir:" + filepath.Base(rel)
		if res, err = p.exec(insert, args...); err != nil {
			return 0, err
		}
	}
	return res.LastInsertId()
}

// deliveredMessage reports whether uidl was delivered before, with its message.
func (c *Cache) deliveredMessage(account, uidl string) (Message, bool, error) {
	known, err := c.stmt(`SELECT COUNT(*) FROM pop_uidls WHERE account = ? AND uidl = ?`)
	if err != nil {
		return Message{}, false, err
	}
	var n int
	if err := known.QueryRow(account, uidl).Scan(&n); err != nil {
		return Message{}, false, fmt.Errorf("cache: deliver: %w", err)
	}
	if n == 0 {
		return Message{}, false, nil
	}
	find, err := c.stmt(`SELECT ` + messageColumns + ` FROM messages WHERE account = ? AND uid = ? AND maildir_path != '' LIMIT 1`)
	if err != nil {
		return Message{}, true, err
	}
	s, err := scanMessage(find.QueryRow(account, uidl))
	if errors.Is(err, sql.ErrNoRows) {
		return Message{}, true, ErrAlreadyDelivered
	}
	return s.Message, true, err
}

// KnownUIDLs returns the UIDLs delivered for an account, including those of
// messages deleted locally since: they must not be fetched again.
func (c *Cache) KnownUIDLs(account string) (map[string]struct{}, error) {
	s, err := c.stmt(`SELECT uidl FROM pop_uidls WHERE account = ?`)
	if err != nil {
		return nil, fmt.Errorf("cache: known uidls: %w", err)
	}
	set, err := collectSet(s, account)
	if err != nil {
		return nil, fmt.Errorf("cache: known uidls: %w", err)
	}
	c.popMu.Lock()
	for uidl := range c.unindexed[account] {
		set[uidl] = struct{}{}
	}
	c.popMu.Unlock()
	return set, nil
}

// MovePOP moves a POP3 message to another local folder (Inbox, Sent,
// Drafts, Archive, Trash): its Maildir file is renamed into the folder's
// cur/ and both directories are fsynced before the index is updated.
func (c *Cache) MovePOP(id int64, folder string) error {
	dst, ok := localFolder(folder)
	if !ok {
		return fmt.Errorf("%w: %q", ErrUnknownFolder, folder)
	}
	c.popMu.Lock()
	defer c.popMu.Unlock()
	s, err := c.getRow(id)
	if err != nil {
		return err
	}
	if s.maildirPath == "" {
		return ErrNotPOP
	}
	if s.Folder == dst {
		return nil
	}
	if err := c.ensureMaildirs(s.Account); err != nil {
		return err
	}
	rel := filepath.Join(folderRel(s.Account, dst), "cur", filepath.Base(filepath.FromSlash(s.maildirPath)))
	return c.renameAndUpdate(s, rel, func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE messages SET folder = ?, maildir_path = ? WHERE id = ?`, dst, filepath.ToSlash(rel), id)
		return err
	})
}

// renameAndUpdate renames a message's Maildir file to rel (relative to
// DataDir), fsyncs the directories involved and runs update, all in one
// write transaction; if the transaction fails the rename is undone. The
// rename happens under the write lock, so no other process sees the
// file and the row disagree except across a crash, which Open repairs
// (it matches files to rows by Maildir key).
func (c *Cache) renameAndUpdate(s scanned, rel string, update func(tx *sql.Tx) error) error {
	src, err := c.maildirFile(s.maildirPath)
	if err != nil {
		return err
	}
	dst := filepath.Join(c.dataDir, rel)
	renamed := false
	err = c.inTx(func(tx *sql.Tx) error {
		if src != dst {
			if err := os.Rename(src, dst); err != nil {
				return &renameError{err}
			}
			renamed = true
			for _, d := range uniqueDirs(filepath.Dir(dst), filepath.Dir(src)) {
				if err := syncDir(d); err != nil {
					return err
				}
			}
		}
		return update(tx)
	})
	if err != nil {
		if renamed {
			os.Rename(dst, src)
		}
		var re *renameError
		if errors.As(err, &re) {
			return fmt.Errorf("cache: maildir rename: %w", re.err)
		}
		return fmt.Errorf("cache: update index: %w", err)
	}
	return nil
}

type renameError struct{ err error }

func (e *renameError) Error() string { return e.err.Error() }
func (e *renameError) Unwrap() error { return e.err }

func uniqueDirs(a, b string) []string {
	if a == b {
		return []string{a}
	}
	return []string{a, b}
}
