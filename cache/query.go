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

// Query selects messages for List and Count. An empty Account means all
// accounts, an empty Folder all folders. Limit <= 0 means no limit.
//
// Threaded orders List by thread: threads newest first (by their newest
// message), each thread's messages in tree order (depth first, replies
// after what they answer, siblings by date), with Message.Depth for
// indentation. Threads are per account and folder.
type Query struct {
	Account, Folder string
	Limit, Offset   int
	Threaded        bool
	// Sort orders List when not Threaded; the zero value is by date,
	// newest first.
	Sort Sort
}

// where returns the WHERE clause and arguments of q.
func (q Query) where() (string, []any) {
	switch {
	case q.Account != "" && q.Folder != "":
		return ` WHERE account = ? AND folder = ?`, []any{q.Account, q.Folder}
	case q.Account != "":
		return ` WHERE account = ?`, []any{q.Account}
	case q.Folder != "":
		return ` WHERE folder = ?`, []any{q.Folder}
	}
	return "", nil
}

// List returns the messages q selects, newest first (date, then id,
// descending), or in thread order when q.Threaded is set.
func (c *Cache) List(q Query) ([]Message, error) {
	where, args := q.where()
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	order := ` ORDER BY ` + q.Sort.orderBy()
	if err := c.ensureSortIndex(q.listIndex()); err != nil {
		return nil, err
	}
	if q.Threaded {
		if err := c.threadFolders(q); err != nil {
			return nil, err
		}
		order = ` ORDER BY thread_latest DESC, thread_id DESC, thread_order, id`
	}
	s, err := c.stmt(`SELECT ` + messageColumns + ` FROM messages` + where + order + ` LIMIT ? OFFSET ?`)
	if err != nil {
		return nil, fmt.Errorf("cache: list: %w", err)
	}
	rows, err := s.Query(append(args, limit, max(q.Offset, 0))...)
	if err != nil {
		return nil, fmt.Errorf("cache: list: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("cache: list: %w", err)
		}
		out = append(out, m.Message)
	}
	return out, rows.Err()
}

// Count returns how many messages q selects, ignoring Limit and Offset.
func (c *Cache) Count(q Query) (int, error) {
	// From folder_counts (its account and folder columns are those of
	// messages), which every write transaction keeps exact before it
	// commits (foldCounts and the count triggers), instead of counting
	// the rows: the reader counts the folder at every key press, and
	// COUNT(*) over a 100,000-message folder was most of a page-down.
	where, args := q.where()
	s, err := c.stmt(`SELECT coalesce(sum(total), 0) FROM folder_counts` + where)
	if err != nil {
		return 0, fmt.Errorf("cache: count: %w", err)
	}
	var n int
	if err := s.QueryRow(args...).Scan(&n); err != nil {
		return 0, fmt.Errorf("cache: count: %w", err)
	}
	return n, nil
}

// Get returns one message, or ErrNotFound.
func (c *Cache) Get(id int64) (Message, error) {
	s, err := c.getRow(id)
	return s.Message, err
}

func (c *Cache) getRow(id int64) (scanned, error) {
	st, err := c.stmt(`SELECT ` + messageColumns + ` FROM messages WHERE id = ?`)
	if err != nil {
		return scanned{}, fmt.Errorf("cache: get: %w", err)
	}
	s, err := scanMessage(st.QueryRow(id))
	if errors.Is(err, sql.ErrNoRows) {
		return scanned{}, fmt.Errorf("%w: message %d", ErrNotFound, id)
	}
	if err != nil {
		return scanned{}, fmt.Errorf("cache: get: %w", err)
	}
	return s, nil
}

// SetFlags changes a message's flags locally. For POP3 mail the Maildir
// file is renamed too, so the flags the file name can carry (seen,
// answered, flagged, draft, deleted) survive a rebuilt index.
func (c *Cache) SetFlags(id int64, flags postamail.Flags) error {
	c.popMu.Lock()
	defer c.popMu.Unlock()
	s, err := c.getRow(id)
	if err != nil {
		return err
	}
	rel := filepath.FromSlash(s.maildirPath)
	if rel != "" {
		key, _ := splitName(filepath.Base(rel))
		rel = filepath.Join(filepath.Dir(rel), fileName(key, flags))
	}
	update := func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE messages SET flags = ?, seen = ?, maildir_path = ? WHERE id = ?`,
			encodeFlags(flags), flags.Has(postamail.FlagSeen), filepath.ToSlash(rel), id)
		return err
	}
	if rel == "" {
		if err := c.inTx(update); err != nil {
			return fmt.Errorf("cache: set flags: %w", err)
		}
		return nil
	}
	return c.renameAndUpdate(s, rel, update)
}

// OpenBody opens the raw message: the Maildir file of a POP3 message, or
// the body cache file of an IMAP message. It returns ErrNoBody when the
// raw bytes are not stored locally (fetch them and call PutBody). Opening
// an IMAP body makes it the most recently read (last to be evicted).
func (c *Cache) OpenBody(id int64) (io.ReadCloser, error) {
	s, err := c.getRow(id)
	if err != nil {
		return nil, err
	}
	if s.maildirPath != "" {
		path, err := c.maildirFile(s.maildirPath)
		if err != nil {
			return nil, err
		}
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("cache: open maildir file: %w", err)
		}
		return f, nil
	}
	if !s.HasBody {
		return nil, ErrNoBody
	}
	f, err := os.Open(bodyPath(c.dir, id))
	if errors.Is(err, os.ErrNotExist) {
		if st, err := c.stmt(`UPDATE messages SET has_body = 0 WHERE id = ?`); err == nil {
			st.Exec(id)
		}
		return nil, ErrNoBody
	}
	if err != nil {
		return nil, fmt.Errorf("cache: open body: %w", err)
	}
	c.touchBody(id)
	return f, nil
}

// PutBody stores the raw bytes of an IMAP message in the body cache: a
// temporary file is written and fsynced, then renamed into place (0600).
// Least recently read bodies are then evicted beyond Options.BodyCacheBytes.
func (c *Cache) PutBody(id int64, r io.Reader) error {
	s, err := c.getRow(id)
	if err != nil {
		return err
	}
	if s.maildirPath != "" {
		return fmt.Errorf("cache: put body: message %d is a POP3 message, its Maildir file is its body", id)
	}
	dst := bodyPath(c.dir, id)
	n, err := writeDurable(bodiesDir(c.dir), dst, r)
	if err != nil {
		return fmt.Errorf("cache: put body: %w", err)
	}
	st, err := c.stmt(`UPDATE messages SET has_body = 1, body_bytes = ?, last_read = ? WHERE id = ?`)
	if err != nil {
		return fmt.Errorf("cache: put body: %w", err)
	}
	res, err := st.Exec(n, c.now().UnixNano(), id)
	if err != nil {
		return fmt.Errorf("cache: put body: %w", err)
	}
	if rows, _ := res.RowsAffected(); rows == 0 { // removed meanwhile
		os.Remove(dst)
		return fmt.Errorf("%w: message %d", ErrNotFound, id)
	}
	return c.evictBodies(id, n)
}
