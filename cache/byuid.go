package cache

import (
	"encoding/json"
	"fmt"
	"strings"
)

// MessagesByUID returns the cached messages of a folder with the given
// UIDs (those the cache does not know are skipped), in no set order.
func (c *Cache) MessagesByUID(account, folder string, uids []string) ([]Message, error) {
	var out []Message
	for len(uids) > 0 {
		n := min(len(uids), 500) // stay far below SQLite's parameter limit
		batch := uids[:n]
		uids = uids[n:]
		args := []any{account, folder}
		for _, u := range batch {
			args = append(args, u)
		}
		q := `SELECT ` + messageColumns + ` FROM messages WHERE account = ? AND folder = ? AND uid IN (?` +
			strings.Repeat(",?", len(batch)-1) + `)`
		rows, err := c.db.Query(q, args...)
		if err != nil {
			return nil, fmt.Errorf("cache: messages by uid: %w", err)
		}
		for rows.Next() {
			m, err := scanMessage(rows)
			if err != nil {
				rows.Close()
				return nil, fmt.Errorf("cache: messages by uid: %w", err)
			}
			out = append(out, m.Message)
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
	}
	return out, nil
}

// MessagesByID returns the messages with the given ids in that order
// (ids the cache does not know are skipped).
func (c *Cache) MessagesByID(ids []int64) ([]Message, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := c.db.Query(`SELECT `+messageColumns+` FROM messages WHERE id IN (SELECT value FROM json_each(?))`, string(list))
	if err != nil {
		return nil, fmt.Errorf("cache: messages by id: %w", err)
	}
	defer rows.Close()
	byID := make(map[int64]Message, len(ids))
	for rows.Next() {
		m, err := scanMessage(rows)
		if err != nil {
			return nil, fmt.Errorf("cache: messages by id: %w", err)
		}
		byID[m.ID] = m.Message
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	out := make([]Message, 0, len(ids))
	for _, id := range ids {
		if m, ok := byID[id]; ok {
			out = append(out, m)
		}
	}
	return out, nil
}

// SortByDate orders message ids newest first, as every listing is (ids
// the cache does not know are dropped).
func (c *Cache) SortByDate(ids []int64) ([]int64, error) {
	list, err := json.Marshal(ids)
	if err != nil {
		return nil, err
	}
	rows, err := c.db.Query(`SELECT id FROM messages WHERE id IN (SELECT value FROM json_each(?)) ORDER BY date DESC, id DESC`, string(list))
	if err != nil {
		return nil, fmt.Errorf("cache: sort by date: %w", err)
	}
	defer rows.Close()
	out := make([]int64, 0, len(ids))
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			return nil, err
		}
		out = append(out, id)
	}
	return out, rows.Err()
}
