package cache

import (
	"context"
	"database/sql"
	"fmt"
	"hash/fnv"
	"slices"
	"strings"
)

// Threads are computed per (account, folder) and incrementally: a new
// message has thread_id 0 until threadPending runs, when a threaded
// listing of its folder is asked for (threadFolders). threadPending finds the threads the new messages may
// join through thread_keys (a hash of every message id a thread contains or
// refers to, and of its root's base subject), re-runs the JWZ algorithm (jwz.go) over
// those threads plus the new messages, and writes back only rows whose
// thread, depth, order or newest date changed. A thread's id is the
// smallest row id among its messages.
//
// Deleting a message does not re-thread the rest of its thread: its
// replies keep their depth until the thread is touched again.

// bulkKeyLoad is the number of new messages above which threadPending
// first checks whether the folder has any thread to join at all.
const bulkKeyLoad = 2000

// threadPending threads the messages of account/folder that have none yet.
func threadPending(tx *sql.Tx, account, folder string) error {
	pending, err := loadThreadMsgs(tx, `SELECT id, message_id, in_reply_to, refs, subject, date,
		thread_id, thread_depth, thread_order, thread_latest
		FROM messages INDEXED BY messages_by_thread WHERE thread_id = 0 AND account = ? AND folder = ?`, account, folder)
	if err != nil || len(pending) == 0 {
		return err
	}
	candidates, err := candidateThreads(tx, account, folder, pending)
	if err != nil {
		return err
	}
	msgs := pending
	if len(candidates) > 0 {
		load, err := tx.Prepare(`SELECT id, message_id, in_reply_to, refs, subject, date,
			thread_id, thread_depth, thread_order, thread_latest
			FROM messages INDEXED BY messages_by_thread WHERE thread_id = ? AND account = ? AND folder = ?`)
		if err != nil {
			return err
		}
		defer load.Close()
		for _, tid := range candidates {
			more, err := scanThreadMsgs(load.Query(tid, account, folder))
			if err != nil {
				return err
			}
			msgs = append(msgs, more...)
		}
	}
	// Oldest first, so that of two messages with one Message-ID the older
	// keeps it, whatever order rows were loaded in.
	slices.SortStableFunc(msgs, func(a, b *threadMsg) int {
		if a.date != b.date {
			return cmpInt(a.date, b.date)
		}
		return cmpInt(a.rowID, b.rowID)
	})
	return writeThreads(tx, account, folder, computeThreads(msgs))
}

// candidateThreads returns the existing threads of the folder that share a
// key with one of msgs.
func candidateThreads(tx *sql.Tx, account, folder string, msgs []*threadMsg) ([]int64, error) {
	if len(msgs) > bulkKeyLoad {
		// A big batch is usually a first sync: nothing to join yet.
		var n int
		err := tx.QueryRow(`SELECT COUNT(*) FROM (SELECT 1 FROM messages
			WHERE account = ? AND folder = ? AND thread_id != 0 LIMIT 1)`, account, folder).Scan(&n)
		if err != nil || n == 0 {
			return nil, err
		}
	}
	find, err := tx.Prepare(`SELECT thread_id FROM thread_keys WHERE hash = ?`)
	if err != nil {
		return nil, err
	}
	defer find.Close()
	found := map[int64]bool{}
	lookup := func(k string) error {
		if k == "" {
			return nil
		}
		rows, err := find.Query(keyHash(account, folder, k))
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var tid int64
			if err := rows.Scan(&tid); err != nil {
				return err
			}
			found[tid] = true
		}
		return rows.Err()
	}
	for _, m := range msgs {
		keys := append([]string{m.messageID}, m.refs...)
		if base, _ := baseSubject(m.subject); base != "" {
			keys = append(keys, "s:"+base)
		}
		for _, k := range keys {
			if err := lookup(k); err != nil {
				return nil, err
			}
		}
	}
	out := make([]int64, 0, len(found))
	for tid := range found {
		if tid != 0 {
			out = append(out, tid)
		}
	}
	slices.Sort(out)
	return out, nil
}

// keyHash is the thread_keys key of a message id or "s:" subject in a
// folder. A collision only makes threadPending look at one more thread.
func keyHash(account, folder, key string) int64 {
	h := fnv.New64a()
	h.Write([]byte(account))
	h.Write([]byte{0})
	h.Write([]byte(folder))
	h.Write([]byte{0})
	h.Write([]byte(key))
	return int64(h.Sum64())
}

// writeThreads stores computed threads: changed rows are updated and the
// threads' keys added. Keys of threads merged away stay behind; they
// only make later lookups consider a thread id that no longer has rows.
func writeThreads(tx *sql.Tx, account, folder string, threads []thread) error {
	// Many rows per statement: per-statement overhead dominates otherwise.
	updates := &batchWriter{tx: tx, cols: 5,
		head: `UPDATE messages SET thread_id = v.column2, thread_depth = v.column3, thread_order = v.column4,
			thread_latest = v.column5 FROM (VALUES `,
		tail: `) AS v WHERE messages.id = v.column1`}
	keys := &batchWriter{tx: tx, cols: 2, head: `INSERT OR IGNORE INTO thread_keys (hash, thread_id) VALUES `}
	for _, t := range threads {
		if len(t.rows) == 0 {
			continue
		}
		tid, latest := t.rows[0].msg.rowID, t.rows[0].msg.date
		for _, p := range t.rows {
			tid, latest = min(tid, p.msg.rowID), max(latest, p.msg.date)
		}
		for _, p := range t.rows {
			m := p.msg
			if m.oldThread == tid && m.oldDepth == p.depth && m.oldOrder == p.order && m.oldLatest == latest {
				continue
			}
			if err := updates.add(m.rowID, tid, p.depth, p.order, latest); err != nil {
				return err
			}
		}
		for _, k := range t.keys {
			if err := keys.add(keyHash(account, folder, k), tid); err != nil {
				return err
			}
		}
	}
	if err := updates.flush(); err != nil {
		return err
	}
	return keys.flush()
}

// batchWriter runs head + "(?, ...), (?, ...)" + tail for up to
// batchRows rows at a time.
type batchWriter struct {
	tx         *sql.Tx
	cols       int
	head, tail string
	args       []any
	stmt       *sql.Stmt // prepared for a full batch
}

const batchRows = 200

func (b *batchWriter) add(vals ...any) error {
	b.args = append(b.args, vals...)
	if len(b.args) < batchRows*b.cols {
		return nil
	}
	if b.stmt == nil {
		var err error
		if b.stmt, err = b.tx.Prepare(b.query(batchRows)); err != nil {
			return err
		}
	}
	_, err := b.stmt.Exec(b.args...)
	b.args = b.args[:0]
	return err
}

// flush writes the rows left and releases the statement.
func (b *batchWriter) flush() error {
	if b.stmt != nil {
		defer b.stmt.Close()
	}
	if len(b.args) == 0 {
		return nil
	}
	_, err := b.tx.Exec(b.query(len(b.args)/b.cols), b.args...)
	b.args = nil
	return err
}

func (b *batchWriter) query(rows int) string {
	row := "(?" + strings.Repeat(", ?", b.cols-1) + ")"
	return b.head + row + strings.Repeat(", "+row, rows-1) + b.tail
}

func loadThreadMsgs(tx *sql.Tx, query string, args ...any) ([]*threadMsg, error) {
	return scanThreadMsgs(tx.Query(query, args...))
}

func scanThreadMsgs(rows *sql.Rows, err error) ([]*threadMsg, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []*threadMsg
	for rows.Next() {
		var (
			m             threadMsg
			id, irt, refs string
		)
		if err := rows.Scan(&m.rowID, &id, &irt, &refs, &m.subject, &m.date,
			&m.oldThread, &m.oldDepth, &m.oldOrder, &m.oldLatest); err != nil {
			return nil, err
		}
		m.messageID = normalizeID(id)
		for _, r := range decodeJSON[[]string](refs) {
			if r = normalizeID(r); r != "" {
				m.refs = append(m.refs, r)
			}
		}
		if irt = normalizeID(irt); irt != "" && (len(m.refs) == 0 || m.refs[len(m.refs)-1] != irt) {
			m.refs = append(m.refs, irt)
		}
		out = append(out, &m)
	}
	return out, rows.Err()
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// threadFolders threads every message that has no thread yet, in the
// folders q selects. List calls it before a threaded listing, so rows
// indexed by paths without a threading hook (reconcile, rebuild) are
// threaded too.
func (c *Cache) threadFolders(q Query) error {
	return c.threadFoldersContext(context.Background(), q)
}

func (c *Cache) threadFoldersContext(ctx context.Context, q Query) error {
	probe, args := `SELECT COUNT(*) FROM (SELECT 1 FROM messages WHERE thread_id = 0 LIMIT 1)`, []any(nil)
	if q.Account != "" && q.Folder != "" {
		probe = `SELECT COUNT(*) FROM (SELECT 1 FROM messages INDEXED BY messages_by_thread WHERE thread_id = 0 AND account = ? AND folder = ? LIMIT 1)`
		args = []any{q.Account, q.Folder}
	}
	st, err := c.stmt(probe)
	if err != nil {
		return fmt.Errorf("cache: threads: %w", err)
	}
	var n int
	if err := st.QueryRow(args...).Scan(&n); err != nil {
		return fmt.Errorf("cache: threads: %w", err)
	}
	if n == 0 {
		return nil
	}
	err = c.inTxContext(ctx, func(tx *sql.Tx) error {
		var pairs [][2]string
		if q.Account != "" && q.Folder != "" {
			pairs = [][2]string{{q.Account, q.Folder}}
		} else {
			rows, err := tx.Query(`SELECT DISTINCT account, folder FROM messages WHERE thread_id = 0 AND (? = '' OR account = ?)`, q.Account, q.Account)
			if err != nil {
				return err
			}
			for rows.Next() {
				var p [2]string
				if err := rows.Scan(&p[0], &p[1]); err != nil {
					rows.Close()
					return err
				}
				pairs = append(pairs, p)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return err
			}
		}
		for _, p := range pairs {
			if err := threadPending(tx, p[0], p[1]); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: threads: %w", err)
	}
	return nil
}

// ThreadAccount threads the messages of every folder of account that
// have no thread yet (accounts' Tidy, when the reader is idle); when ctx
// ends, the work is rolled back and left for later.
func (c *Cache) ThreadAccount(ctx context.Context, account string) error {
	return c.threadFoldersContext(ctx, Query{Account: account})
}

// Thread computes the threads of a folder's messages that have none yet.
// A threaded listing does it first (List); a sync leaves it for then or
// for Tidy, so that it stores only what a listing needs.
func (c *Cache) Thread(account, folder string) error {
	return c.threadFolders(Query{Account: account, Folder: folder})
}
