package cache

import (
	"fmt"
	"strings"
	"time"
)

// maxBodyText bounds the body text IndexBody keeps per message, so one
// huge message cannot bloat the index.
const maxBodyText = 1 << 20

// SearchQuery selects messages for Search.
//
// Text uses posta's query syntax. Every condition must hold:
//
//	word "a phrase"      in the subject, addresses or body (diacritics and case ignored)
//	from:X to:X subject:X X in that field (to: also searches Cc); X may be "quoted"
//	before:YYYY-MM-DD    dated before that day (local time)
//	after:YYYY-MM-DD     dated that day or later (local time)
//	has:attachment       with an attachment
//	is:unread is:read is:flagged
//	folder:NAME account:NAME
//
// Words are matched as whole words, never as FTS5 or SQL syntax: OR, NEAR,
// * and quotes are just text. A word without letters or digits is ignored;
// a query left with no condition at all matches nothing. An unknown key:
// is an error (ErrBadQuery).
//
// Account, if not empty, restricts the search to that account, as
// account:NAME does. Limit <= 0 means no limit.
type SearchQuery struct {
	Text          string
	Account       string
	Limit, Offset int
}

// Search returns the messages q selects, newest first (date, then id,
// descending). Body words are found only in messages whose text was given
// to IndexBody.
func (c *Cache) Search(q SearchQuery) ([]Message, error) {
	where, args, err := searchWhere(q)
	if err != nil || where == "" {
		return nil, err
	}
	if err := c.catchUpFTS(); err != nil {
		return nil, fmt.Errorf("cache: search: %w", err)
	}
	if err := c.ensureSortIndex(listAllDate); err != nil { // results come newest first
		return nil, fmt.Errorf("cache: search: %w", err)
	}
	// Not c.stmt: the statement's shape depends on the query, and the
	// prepared-statement cache must not grow with every query typed.
	// The inner query sorts only (date, id) pairs; whole rows are read for
	// the selected page only.
	rows, err := c.db.Query(`SELECT `+messageColumns+` FROM messages WHERE id IN (SELECT id FROM messages WHERE `+
		where+` ORDER BY date DESC, id DESC LIMIT ? OFFSET ?) ORDER BY date DESC, id DESC`, args...)
	if err != nil {
		return nil, fmt.Errorf("cache: search: %w", err)
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("cache: search: %w", err)
		}
		out = append(out, m.Message)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cache: search: %w", err)
	}
	return out, nil
}

// IndexBody stores the decoded text of message id's body for Search,
// replacing any text indexed before; it returns ErrNotFound for an unknown
// id. The cache cannot decode MIME, so the accounts package calls it with
// message.BodyText's output after storing or fetching a body. Text beyond
// 1 MiB is not indexed.
func (c *Cache) IndexBody(id int64, text string) error {
	if len(text) > maxBodyText {
		text = text[:maxBodyText] // a rune cut in two becomes a space below
	}
	text = strings.ToValidUTF8(text, " ")
	if err := c.setBodyText(id, text); err != nil {
		return fmt.Errorf("cache: index body: %w", err)
	}
	return nil
}

// SearchIDs is Search returning only the ids of the matching messages,
// newest first: what a listing needs to page through the results without
// building every row (see MessagesByID).
func (c *Cache) SearchIDs(q SearchQuery) ([]int64, error) {
	where, args, err := searchWhere(q)
	if err != nil || where == "" {
		return nil, err
	}
	if err := c.catchUpFTS(); err != nil {
		return nil, fmt.Errorf("cache: search: %w", err)
	}
	if err := c.ensureSortIndex(listAllDate); err != nil { // results come newest first
		return nil, fmt.Errorf("cache: search: %w", err)
	}
	rows, err := c.db.Query(`SELECT id FROM messages WHERE `+where+
		` ORDER BY date DESC, id DESC LIMIT ? OFFSET ?`, args...)
	if err != nil {
		return nil, fmt.Errorf("cache: search: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, fmt.Errorf("cache: search: %w", err)
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// searchWhere turns a query into the WHERE clause over messages and its
// arguments, LIMIT and OFFSET last. An empty clause means nothing can
// match (only unsearchable words).
func searchWhere(q SearchQuery) (string, []any, error) {
	plan, err := parseSearch(q.Text, time.Local)
	if err != nil {
		return "", nil, err
	}
	if q.Account != "" {
		plan.addWhere(`account = ?`, q.Account)
	}
	if len(plan.match) == 0 && len(plan.where) == 0 {
		return "", nil, nil
	}
	var (
		conds []string
		args  []any
	)
	if len(plan.match) > 0 {
		conds = append(conds, `id IN (SELECT rowid FROM messages_fts WHERE messages_fts MATCH ?)`)
		args = append(args, strings.Join(plan.match, " AND "))
	}
	conds = append(conds, plan.where...)
	args = append(args, plan.args...)
	limit := q.Limit
	if limit <= 0 {
		limit = -1
	}
	return strings.Join(conds, " AND "), append(args, limit, max(q.Offset, 0)), nil
}
