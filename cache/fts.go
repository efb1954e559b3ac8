package cache

import (
	"context"
	"database/sql"
	"fmt"
)

// Full-text indexing is deferred (migration 15): storing a header does
// not index it. The messages with an id above fts_state.indexed_upto are
// not in messages_fts yet; indexPending indexes them in batches and moves
// the mark. Ids only grow (AUTOINCREMENT) and writers take turns, so
// every message a batch sees below its top id is complete. Every
// full-text query catches up first (catchUpFTS), so a search never
// misses a stored message; the reader catches up when a sync ends
// (IndexPending), so a search rarely waits. Body text that comes before
// its message is indexed waits in fts_bodies; a POP3 message without
// such text gets its body text from its Maildir file then (fts_files.go).

// ftsBatch bounds how many queued messages one transaction indexes, so
// that another process waiting to write (the reader, a `posta sync` from
// cron) waits for one batch, not the whole queue.
const ftsBatch = 5000

// addressText is the SQL text indexed for an address list column (JSON
// [{name, addr}]): names and addresses, separated by spaces. It is the
// expression the insert trigger of migration 3 used.
func addressText(col string) string {
	return `(SELECT group_concat(coalesce(json_extract(value, '$.name'), '') || ' ' || coalesce(json_extract(value, '$.addr'), ''), ' ')
			FROM json_each(CASE WHEN json_valid(` + col + `) THEN ` + col + ` END))`
}

// IndexPending indexes every queued message for full-text search and
// returns how many it indexed. The reader calls it when a sync ends;
// searches call it themselves.
func (c *Cache) IndexPending() (int, error) {
	return c.IndexPendingContext(context.Background())
}

// IndexPendingContext is IndexPending, stopping between (or within) its
// batches when ctx ends; what is not indexed then stays for later.
func (c *Cache) IndexPendingContext(ctx context.Context) (int, error) {
	total := 0
	for {
		if err := ctx.Err(); err != nil {
			return total, err
		}
		n, more, err := c.indexPendingBatch(ctx)
		total += n
		if err != nil {
			return total, fmt.Errorf("cache: index for search: %w", err)
		}
		if !more {
			return total, nil
		}
	}
}

// indexPendingBatch indexes up to ftsBatch messages above the mark,
// oldest first, in one transaction, and says whether more may be left.
// The body text of the batch's Maildir files is read before that
// transaction (see fts_files.go); messages stored meanwhile, or after the
// files that filled fileTextBudget, are left for the next batch.
func (c *Cache) indexPendingBatch(ctx context.Context) (n int, more bool, err error) {
	var readUpto int64
	var readHi sql.NullInt64
	err = c.db.QueryRowContext(ctx, `SELECT indexed_upto, (SELECT max(id) FROM (SELECT id FROM messages WHERE id > indexed_upto ORDER BY id LIMIT ?)) FROM fts_state`,
		ftsBatch).Scan(&readUpto, &readHi)
	if err != nil || !readHi.Valid {
		return 0, false, err
	}
	texts, read, err := c.fileTexts(ctx, readUpto, readHi.Int64)
	if err != nil {
		return 0, false, err
	}
	readHi.Int64 = read
	err = c.inTxContext(ctx, func(tx *sql.Tx) error {
		var upto int64
		if err := tx.QueryRow(`SELECT indexed_upto FROM fts_state`).Scan(&upto); err != nil {
			return err
		}
		var hi sql.NullInt64
		err := tx.QueryRow(`SELECT max(id), count(*) FROM (SELECT id FROM messages WHERE id > ? ORDER BY id LIMIT ?)`, upto, ftsBatch).Scan(&hi, &n)
		if err != nil || !hi.Valid {
			return err
		}
		more = n == ftsBatch
		if hi.Int64 > readHi.Int64 {
			// Stored since the files were read, or past the text
			// budget (fileTextBudget): for the next batch.
			more = true
			hi = readHi
			if err := tx.QueryRow(`SELECT count(*) FROM messages WHERE id > ? AND id <= ?`, upto, hi.Int64).Scan(&n); err != nil || n == 0 {
				return err // another process indexed the batch meanwhile
			}
		}
		if len(texts) > 0 { // else no file to read: candidates only go
			if err := c.queueFileTexts(ctx, tx, upto, hi.Int64, texts); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`INSERT INTO messages_fts (rowid, subject, from_text, to_text, cc_text, body)
			SELECT m.id, m.subject, `+addressText("m.from_json")+`, `+addressText("m.to_json")+`, `+addressText("m.cc_json")+`,
				coalesce((SELECT body FROM fts_bodies WHERE fts_bodies.id = m.id), '')
			FROM messages m WHERE m.id > ? AND m.id <= ?`, upto, hi.Int64); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM fts_bodies WHERE id <= ?`, hi.Int64); err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE fts_state SET indexed_upto = ?`, hi.Int64)
		return err
	})
	if err != nil {
		n, more = 0, false
	}
	return n, more, err
}

// catchUpFTS indexes what is not indexed yet before a full-text query
// (one read of the mark and of the newest id when all is indexed).
func (c *Cache) catchUpFTS() error {
	st, err := c.stmt(`SELECT EXISTS (SELECT 1 FROM messages WHERE id > (SELECT indexed_upto FROM fts_state))`)
	if err != nil {
		return err
	}
	var pending bool
	if err := st.QueryRow().Scan(&pending); err != nil {
		return err
	}
	if !pending {
		return nil
	}
	_, err = c.IndexPending()
	return err
}

// setBodyText stores the body text of message id for search: in
// messages_fts when the message is indexed, else in fts_bodies until it
// is. It returns ErrNotFound for an unknown message. It runs in a write
// transaction, so the mark cannot pass the message meanwhile.
func (c *Cache) setBodyText(id int64, text string) error {
	return c.inTx(func(tx *sql.Tx) error {
		var upto int64
		var exists bool
		if err := tx.QueryRow(`SELECT indexed_upto, EXISTS (SELECT 1 FROM messages WHERE id = ?) FROM fts_state`, id).Scan(&upto, &exists); err != nil {
			return err
		}
		if !exists {
			return fmt.Errorf("%w: message %d", ErrNotFound, id)
		}
		q := `UPDATE messages_fts SET body = ? WHERE rowid = ?`
		if id > upto {
			q = `INSERT OR REPLACE INTO fts_bodies (body, id) VALUES (?, ?)`
		}
		_, err := tx.Exec(q, text, id)
		return err
	})
}
