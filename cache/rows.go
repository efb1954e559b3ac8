package cache

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// Message is one indexed message.
type Message struct {
	ID               int64  // stable row id: what `posta read ID` takes
	Account          string // account name as given by the caller
	postamail.Header        // UID, Folder, Subject, From, ..., Flags, Size, HasAttachment
	HasBody          bool   // raw bytes available locally

	// ThreadID groups the messages of one thread within a folder (0: not
	// threaded yet). Depth is the indentation of the message in its
	// thread: 0 for a thread's first message, 1 for a reply to it, ...
	ThreadID int64
	Depth    int
}

// messageColumns is the column list scanMessage expects.
const messageColumns = `id, account, folder, uid, message_id, in_reply_to, refs, subject,
	from_json, to_json, cc_json, date, flags, size, has_attachment, has_body, maildir_path,
	thread_id, thread_depth, security`

// scanned is a Message plus the columns callers do not see.
type scanned struct {
	Message
	maildirPath string
}

type rowScanner interface{ Scan(dest ...any) error }

func scanMessage(r rowScanner) (scanned, error) {
	var (
		s                         scanned
		refs, from, to, cc, flags string
		date                      int64
	)
	m := &s.Message
	err := r.Scan(&m.ID, &m.Account, &m.Folder, &m.UID, &m.MessageID, &m.InReplyTo, &refs,
		&m.Subject, &from, &to, &cc, &date, &flags, &m.Size, &m.HasAttachment, &m.HasBody, &s.maildirPath,
		&m.ThreadID, &m.Depth, &m.Security)
	if err != nil {
		return s, err
	}
	m.References = decodeJSON[[]string](refs)
	m.From = decodeJSON[[]postamail.Address](from)
	m.To = decodeJSON[[]postamail.Address](to)
	m.Cc = decodeJSON[[]postamail.Address](cc)
	m.Date = time.Unix(date, 0).UTC()
	m.Flags = decodeFlags(flags)
	return s, nil
}

// headerArgs are the header columns in the order of headerColumns.
const headerColumns = `message_id, in_reply_to, refs, subject, from_json, to_json, cc_json,
	date, flags, seen, size, has_attachment, security`

func headerArgs(h postamail.Header) []any { return appendHeaderArgs(nil, &h) }

// appendHeaderArgs appends the values of headerArgs to args: a multi-row
// INSERT fills one slice for all its rows.
func appendHeaderArgs(args []any, h *postamail.Header) []any {
	b := h.Bounded() // the index keeps a bounded form; the message keeps every byte
	return append(args, b.MessageID, b.InReplyTo, encodeStrings(b.References), b.Subject,
		encodeAddresses(b.From), encodeAddresses(b.To), encodeAddresses(b.Cc), b.Date.Unix(),
		encodeFlags(b.Flags), b.Flags.Has(postamail.FlagSeen), b.Size, b.HasAttachment, int64(b.Security))
}

func decodeJSON[T any](s string) T {
	var v T
	if s != "" {
		json.Unmarshal([]byte(s), &v) // our own encoding; a bad row decodes as empty
	}
	return v
}

func encodeFlags(f postamail.Flags) string {
	if len(f) == 1 { // most headers: \Seen or nothing; no copy
		if x := string(f[0]); x != "" && !strings.ContainsAny(x, " \t\r\n") {
			return x
		}
		return ""
	}
	var b strings.Builder
	for _, x := range f {
		if x != "" && !strings.ContainsAny(string(x), " \t\r\n") {
			if b.Len() > 0 {
				b.WriteByte(' ')
			}
			b.WriteString(string(x))
		}
	}
	return b.String()
}

func decodeFlags(s string) postamail.Flags {
	fields := strings.Fields(s)
	if len(fields) == 0 {
		return nil
	}
	f := make(postamail.Flags, len(fields))
	for i, x := range fields {
		f[i] = postamail.Flag(x)
	}
	return f
}

// stmt returns a prepared statement for query, preparing it once per Cache.
func (c *Cache) stmt(query string) (*sql.Stmt, error) {
	c.stmtMu.Lock()
	defer c.stmtMu.Unlock()
	if s, ok := c.stmts[query]; ok {
		return s, nil
	}
	s, err := c.db.Prepare(query)
	if err != nil {
		return nil, err
	}
	if c.stmts == nil {
		c.stmts = map[string]*sql.Stmt{}
	}
	c.stmts[query] = s
	return s, nil
}

// inTx runs fn in one write transaction.
func (c *Cache) inTx(fn func(tx *sql.Tx) error) error {
	return c.inTxContext(context.Background(), fn)
}

// inTxContext is inTx bound to ctx: when ctx ends, the statement running
// finishes, the transaction is rolled back and the next statement fails
// (database/sql), so work that can wait (Tidy) does not hold up a quit.
func (c *Cache) inTxContext(ctx context.Context, fn func(tx *sql.Tx) error) error {
	tx, err := c.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := fn(tx); err != nil {
		tx.Rollback()
		return err
	}
	if err := c.foldCounts(tx); err != nil {
		tx.Rollback()
		return err
	}
	return tx.Commit()
}

// foldCounts adds the messages inserted since the last fold (ids above
// count_state.counted_upto) to folder_counts, each in the state it has
// now, and moves the mark past them. Every write transaction ends with
// it (inTxContext), so the counts are exact whenever a transaction
// commits; a transaction that inserted nothing pays one lookup (foldScan
// finds no row above the mark).
//
// The new rows nearly always belong to one folder (a batch of a sync):
// foldScan counts them and tells whether they do in one pass, and one
// upsert adds them. Only rows of several folders are counted again
// grouped by folder, which makes SQLite sort them: sorting every batch
// was half of what folding cost a first sync (CPU profile of posta sync,
// 10,000 headers in batches of 500).
func (c *Cache) foldCounts(tx *sql.Tx) error {
	s, err := c.stmt(foldScan)
	if err != nil {
		return fmt.Errorf("count new messages: %w", err)
	}
	var (
		n, unread, upto int64
		acc, folder     [2]sql.NullString
	)
	err = tx.Stmt(s).QueryRow().Scan(&n, &unread, &upto, &acc[0], &acc[1], &folder[0], &folder[1])
	if err != nil {
		return fmt.Errorf("count new messages: %w", err)
	}
	if n == 0 {
		return nil
	}
	exec := func(query string, args ...any) error {
		s, err := c.stmt(query)
		if err == nil {
			_, err = tx.Stmt(s).Exec(args...)
		}
		if err != nil {
			return fmt.Errorf("count new messages: %w", err)
		}
		return nil
	}
	if acc[0] == acc[1] && folder[0] == folder[1] {
		err = exec(foldOne, acc[0].String, folder[0].String, n, unread)
	} else {
		err = exec(foldGrouped)
	}
	if err != nil {
		return err
	}
	return exec(foldMark, upto)
}

// The statements of foldCounts: foldScan reads the rows above the mark
// once (NOT INDEXED: a range of ids, not a scan of an index); foldOne
// adds them when they are of one folder, foldGrouped when not; foldMark
// moves the mark.
const (
	foldScan = `SELECT count(*), coalesce(sum(seen = 0), 0), coalesce(max(id), 0),
		min(account), max(account), min(folder), max(folder)
		FROM messages NOT INDEXED WHERE id > (SELECT counted_upto FROM count_state)`
	foldOne     = `INSERT INTO folder_counts (account, folder, total, unread) VALUES (?, ?, ?, ?)` + foldAdd
	foldGrouped = `INSERT INTO folder_counts (account, folder, total, unread)
		SELECT account, folder, count(*), sum(seen = 0) FROM messages NOT INDEXED
		WHERE id > (SELECT counted_upto FROM count_state) GROUP BY account, folder` + foldAdd
	foldAdd  = ` ON CONFLICT (account, folder) DO UPDATE SET total = total + excluded.total, unread = unread + excluded.unread`
	foldMark = `UPDATE count_state SET counted_upto = ?1 WHERE ?1 > counted_upto`
)
