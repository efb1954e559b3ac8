package cache

import (
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
