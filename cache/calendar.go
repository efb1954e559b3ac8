package cache

import (
	"fmt"
	"strings"
	"time"
)

// CalendarEvent is an event of a cached message's calendar part, as
// recorded for finding conflicts between invitations.
type CalendarEvent struct {
	MessageID  int64
	N          int // the event's place among the message's events
	Account    string
	UID        string
	Method     string // REQUEST, CANCEL…
	Summary    string // sanitized by the caller
	Start, End time.Time
	Zone       string // IANA zone for expanding the rule; "" for UTC
	Rule       string // RRULE; "" when it does not recur
}

// RecordCalendar stores the events of message id (replacing what was
// recorded for it) and marks it looked at; events may be empty.
func (c *Cache) RecordCalendar(id int64, events []CalendarEvent) error {
	return retryBusy(func() error {
		tx, err := c.db.Begin()
		if err != nil {
			return err
		}
		defer tx.Rollback()
		if _, err := tx.Exec(`DELETE FROM calendar_events WHERE message_id = ?`, id); err != nil {
			return err
		}
		for _, e := range events {
			if _, err := tx.Exec(`INSERT INTO calendar_events (message_id, n, account, uid, method, summary, start, end_time, zone, rule)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
				id, e.N, e.Account, e.UID, e.Method, e.Summary, e.Start.Unix(), e.End.Unix(), e.Zone, e.Rule); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(`INSERT OR IGNORE INTO calendar_scanned (message_id) VALUES (?)`, id); err != nil {
			return err
		}
		return tx.Commit()
	})
}

// CalendarUnscanned returns up to limit messages of the account, newest
// first, whose body is here and that have not been looked at for
// calendar parts.
func (c *Cache) CalendarUnscanned(account string, limit int) ([]int64, error) {
	if err := c.ensureSortIndex(listAccountDate); err != nil {
		return nil, fmt.Errorf("cache: calendar scan: %w", err)
	}
	rows, err := c.db.Query(`SELECT id FROM messages
		WHERE account = ? AND (has_body = 1 OR maildir_path != '')
		  AND id NOT IN (SELECT message_id FROM calendar_scanned)
		ORDER BY date DESC, id DESC LIMIT ?`, account, limit)
	if err != nil {
		return nil, fmt.Errorf("cache: calendar scan: %w", err)
	}
	defer rows.Close()
	var ids []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		ids = append(ids, id)
	}
	return ids, rows.Err()
}

// CalendarEvents returns the recorded events of an account's messages
// still in the cache, other than those of message except, whose method
// is one of methods (all when none is given).
func (c *Cache) CalendarEvents(account string, except int64, methods ...string) ([]CalendarEvent, error) {
	q := `SELECT e.message_id, e.n, e.account, e.uid, e.method, e.summary, e.start, e.end_time, e.zone, e.rule
		FROM calendar_events e JOIN messages m ON m.id = e.message_id
		WHERE e.account = ? AND e.message_id != ?`
	args := []any{account, except}
	if len(methods) > 0 {
		q += ` AND e.method IN (?` + strings.Repeat(", ?", len(methods)-1) + `)`
		for _, m := range methods {
			args = append(args, m)
		}
	}
	rows, err := c.db.Query(q+` ORDER BY e.start`, args...)
	if err != nil {
		return nil, fmt.Errorf("cache: calendar events: %w", err)
	}
	defer rows.Close()
	var out []CalendarEvent
	for rows.Next() {
		var e CalendarEvent
		var start, end int64
		if err := rows.Scan(&e.MessageID, &e.N, &e.Account, &e.UID, &e.Method, &e.Summary, &start, &end, &e.Zone, &e.Rule); err != nil {
			return nil, err
		}
		e.Start, e.End = time.Unix(start, 0), time.Unix(end, 0)
		out = append(out, e)
	}
	return out, rows.Err()
}
