package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"math/bits"
	"strings"

	postamail "github.com/posta-mail/posta/mail"
)

// PutHeaders inserts or updates IMAP headers by (account, folder, UID), all
// in one transaction. An update keeps the row id and the stored body.
func (c *Cache) PutHeaders(account string, hs []postamail.Header) error {
	rows, err := PrepareHeaders(account, hs)
	if err != nil {
		return err
	}
	return c.PutHeaderRows(rows)
}

// HeaderRows are headers made ready to store (PrepareHeaders): their
// column values, grouped by statement. Making them is most of storing a
// header outside SQLite (encoding addresses, flags and references, and
// boxing every value), and needs no database: a sync makes them on the
// goroutines that decode its batches, so that the one goroutine that
// writes does only the writing.
type HeaderRows struct {
	stmts []headerStmt
}

// headerStmt is the arguments of one INSERT of rows headers of one
// folder: the account and the folder (bound once, ?1 and ?2), then
// headerRowCols values a row.
type headerStmt struct {
	rows int
	args []any
}

// headerRowCols is how many values a row of a headers INSERT binds after
// the account and the folder: the UID and headerColumns.
const headerRowCols = 14

// headerRowOftenEmpty are the values of a row (after the account and the
// folder) that are most often empty: In-Reply-To, References, Cc and the
// flags. PrepareHeaders binds an empty one as NULL, which
// headerRowValues turns back into an empty text: the driver copies every
// text value it binds into memory of its own and unbinds it after the
// statement, a NULL costs neither.
var headerRowOftenEmpty = [...]int{2, 3, 7, 9}

// headerRowValues are the values of a row of a headers INSERT, in the
// order of headerColumns after the UID: a parameter each, in coalesce
// for those of headerRowOftenEmpty.
var headerRowValues = func() string {
	vals := make([]string, headerRowCols)
	for i := range vals {
		vals[i] = "?"
	}
	for _, k := range headerRowOftenEmpty {
		vals[k] = "coalesce(?, '')"
	}
	return strings.Join(vals, ", ")
}()

// PrepareHeaders makes hs ready to store in account's index. Every header
// needs a UID and a Folder. The rows are the callee's: hs may change
// after it returns.
func PrepareHeaders(account string, hs []postamail.Header) (*HeaderRows, error) {
	for i := range hs {
		if hs[i].UID == "" || hs[i].Folder == "" {
			return nil, errors.New("cache: put headers: header without UID or Folder")
		}
	}
	r := &HeaderRows{}
	for start := 0; start < len(hs); {
		h := &hs[start]
		// A run of headers of one folder (a sync's batch is one run).
		end := start + 1
		for end < len(hs) && hs[end].Folder == h.Folder {
			end++
		}
		for n := 0; start < end; start += n {
			n = partRows(end - start)
			args := make([]any, 0, 2+n*headerRowCols)
			args = append(args, account, h.Folder)
			for i := range n {
				row := &hs[start+i]
				args = append(args, row.UID)
				args = appendHeaderArgs(args, row)
				for _, k := range headerRowOftenEmpty {
					if args[len(args)-headerRowCols+k] == "" {
						args[len(args)-headerRowCols+k] = nil
					}
				}
			}
			r.stmts = append(r.stmts, headerStmt{rows: n, args: args})
		}
	}
	return r, nil
}

// PutHeaderRows stores rows made by PrepareHeaders, all in one
// transaction, as PutHeaders does.
func (c *Cache) PutHeaderRows(rows ...*HeaderRows) error {
	return c.putHeaderRows(headersUpsert, headersUpsertTail, rows)
}

// PutNewHeaderRows stores rows made by PrepareHeaders for a folder whose
// index held none of their UIDs when the caller began (a first sync, or
// one after the folder was reset): a row of one of them that another
// process stored meanwhile, from the same server, is left as it is
// rather than updated. Such an INSERT cannot stop halfway through a
// statement, so SQLite keeps no statement journal for it (a copy of each
// page a statement changes, in case it must be undone): storing 10,000
// headers in batches of 500 took about 9% less CPU time
// (BenchmarkPutHeaders10kIn500s against BenchmarkPutNewHeaders10kIn500s).
func (c *Cache) PutNewHeaderRows(rows ...*HeaderRows) error {
	return c.putHeaderRows(headersInsert, "", rows)
}

// The INSERTs of PutHeaderRows (the header columns of a row that exists
// are updated, its id and body kept) and of PutNewHeaderRows (a row that
// exists is kept as it is).
const (
	headersUpsert     = `INSERT INTO messages (account, folder, uid, ` + headerColumns + `) VALUES `
	headersUpsertTail = `
			ON CONFLICT (account, folder, uid) DO UPDATE SET
				message_id = excluded.message_id, in_reply_to = excluded.in_reply_to, refs = excluded.refs,
				subject = excluded.subject, from_json = excluded.from_json, to_json = excluded.to_json,
				cc_json = excluded.cc_json, date = excluded.date, flags = excluded.flags,
				seen = excluded.seen, size = excluded.size, has_attachment = excluded.has_attachment,
				security = excluded.security`
	headersInsert = `INSERT OR IGNORE INTO messages (account, folder, uid, ` + headerColumns + `) VALUES `
)

// putHeaderRows stores rows with the multi-row INSERT that begins with
// head and ends with tail.
func (c *Cache) putHeaderRows(head, tail string, rows []*HeaderRows) error {
	err := c.inTx(func(tx *sql.Tx) error {
		ins := newMultiRow(tx, head, headerRowCols, tail)
		// The account and the folder are the same for every row of a
		// statement: bound once, not once a row (binding a text value is
		// a copy into SQLite's memory).
		ins.lead = "?1, ?2, "
		ins.row = headerRowValues
		ins.keep = c
		defer ins.close()
		for _, r := range rows {
			for _, st := range r.stmts {
				s, err := ins.stmt(st.rows)
				if err != nil {
					return err
				}
				if _, err := s.Exec(st.args...); err != nil {
					return err
				}
			}
		}
		// Threads are computed when a threaded listing asks for them
		// (threadFolders), not here: a first sync stores headers in many
		// batches, and threading each batch rewrote the threads it joined
		// again and again (quadratic in big folders).
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: put headers: %w", err)
	}
	return nil
}

// rowsPerStatement is how many rows one INSERT into messages carries.
// Every statement on a table with triggers opens a statement journal (a
// copy of each page it changes) and makes FTS5 flush its pending terms to
// disk as a new segment, which later merges rewrite: with a row per
// statement that was most of the cost of storing a header (10,000 headers
// took 1.7 s to insert one by one and 0.65 s 64 at a time, in
// BenchmarkPutHeaders10k).
const rowsPerStatement = 64

// partRows is how many of left rows the next statement carries:
// rowsPerStatement, and for the rest a power of two (52 rows go as 32, 16
// and 4), so that a multiRow prepares at most seven sizes of statement,
// which it can keep across transactions. Preparing the odd-sized last
// statement of every batch anew was as much as a tenth of storing
// headers in batches of 500.
func partRows(left int) int {
	if left >= rowsPerStatement {
		return rowsPerStatement
	}
	return 1 << (bits.Len(uint(left)) - 1)
}

// multiRow prepares "head VALUES (?, …), (?, …) tail" statements of
// cols columns for n rows at a time, within one transaction.
type multiRow struct {
	tx         *sql.Tx
	head, tail string
	cols       int
	// lead, if set, begins every row before its cols placeholders:
	// parameters every row shares, such as "?1, ?2, ".
	lead string
	// row, if set, is a row's values after lead, instead of cols
	// placeholders.
	row   string
	stmts map[int]*sql.Stmt
	// keep, if set, keeps the statements prepared across transactions
	// (Cache.stmt): parsing an INSERT of 64 rows of 16 values for every
	// batch of a sync was a tenth of storing it. Only the sizes partRows
	// gives are kept.
	keep *Cache
}

func newMultiRow(tx *sql.Tx, head string, cols int, tail string) *multiRow {
	return &multiRow{tx: tx, head: head, tail: tail, cols: cols, stmts: map[int]*sql.Stmt{}}
}

// stmt returns the statement for n rows, preparing it the first time.
func (m *multiRow) stmt(n int) (*sql.Stmt, error) {
	if s, ok := m.stmts[n]; ok {
		return s, nil
	}
	values := m.row
	if values == "" {
		values = "?" + strings.Repeat(", ?", m.cols-1)
	}
	row := "(" + m.lead + values + ")"
	var b strings.Builder
	b.WriteString(m.head)
	for i := range n {
		if i > 0 {
			b.WriteString(", ")
		}
		b.WriteString(row)
	}
	b.WriteString(m.tail)
	return m.prepare(n, b.String())
}

// stmtIn returns the statement for an IN list of n values (head ends
// with "IN "), preparing it the first time.
func (m *multiRow) stmtIn(n int) (*sql.Stmt, error) {
	if s, ok := m.stmts[n]; ok {
		return s, nil
	}
	return m.prepare(n, m.head+"(?"+strings.Repeat(", ?", n-1)+")"+m.tail)
}

// prepare prepares query, the statement for n rows or values, in the
// transaction, or takes it from those kept across transactions (keep)
// for the sizes partRows gives, and remembers it.
func (m *multiRow) prepare(n int, query string) (*sql.Stmt, error) {
	var s *sql.Stmt
	if m.keep != nil && partRows(n) == n {
		kept, err := m.keep.stmt(query)
		if err != nil {
			return nil, err
		}
		s = m.tx.Stmt(kept)
	} else {
		var err error
		if s, err = m.tx.Prepare(query); err != nil {
			return nil, err
		}
	}
	m.stmts[n] = s
	return s, nil
}

func (m *multiRow) close() {
	for _, s := range m.stmts {
		s.Close()
	}
}

// KnownUIDs returns the UIDs indexed for a folder.
func (c *Cache) KnownUIDs(account, folder string) (map[string]struct{}, error) {
	s, err := c.stmt(`SELECT uid FROM messages WHERE account = ? AND folder = ?`)
	if err != nil {
		return nil, fmt.Errorf("cache: known uids: %w", err)
	}
	return collectSet(s, account, folder)
}

// UpdateFlags sets the flags of the given UIDs of a folder (as reported by
// the server), in one transaction. Unknown UIDs are ignored.
func (c *Cache) UpdateFlags(account, folder string, flags map[string]postamail.Flags) error {
	err := c.inTx(func(tx *sql.Tx) error {
		// A resync reports every message's flags; read what the index has
		// in one pass and write only the rows whose flags changed (one
		// UPDATE per row was most of an unchanged resync of a big folder).
		current := make(map[string]string, len(flags))
		rows, err := tx.Query(`SELECT uid, flags FROM messages WHERE account = ? AND folder = ?`, account, folder)
		if err != nil {
			return err
		}
		for rows.Next() {
			var uid, f string
			if err := rows.Scan(&uid, &f); err != nil {
				rows.Close()
				return err
			}
			current[uid] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var s *sql.Stmt
		for uid, f := range flags {
			enc := encodeFlags(f)
			if old, ok := current[uid]; !ok || old == enc {
				continue
			}
			if s == nil {
				if s, err = tx.Prepare(`UPDATE messages SET flags = ?, seen = ? WHERE account = ? AND folder = ? AND uid = ?`); err != nil {
					return err
				}
				defer s.Close()
			}
			if _, err := s.Exec(enc, f.Has(postamail.FlagSeen), account, folder, uid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: update flags: %w", err)
	}
	return nil
}

// RemoveUIDs drops IMAP messages (expunged on the server) and their body
// files. POP3 messages are never removed here.
func (c *Cache) RemoveUIDs(account, folder string, uids []string) error {
	var bodies []int64
	err := c.inTx(func(tx *sql.Tx) error {
		find, err := tx.Prepare(`SELECT id, has_body FROM messages WHERE account = ? AND folder = ? AND uid = ? AND maildir_path = ''`)
		if err != nil {
			return err
		}
		defer find.Close()
		del, err := tx.Prepare(`DELETE FROM messages WHERE id = ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, uid := range uids {
			var id int64
			var hasBody bool
			err := find.QueryRow(account, folder, uid).Scan(&id, &hasBody)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := del.Exec(id); err != nil {
				return err
			}
			if hasBody {
				bodies = append(bodies, id)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: remove uids: %w", err)
	}
	c.removeBodies(bodies)
	return nil
}

func collectSet(s *sql.Stmt, args ...any) (map[string]struct{}, error) {
	rows, err := s.Query(args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]struct{}{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = struct{}{}
	}
	return out, rows.Err()
}
