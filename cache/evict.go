package cache

import (
	"fmt"
	"os"
)

// DefaultBodyCacheBytes is the IMAP body cache limit when
// Options.BodyCacheBytes is 0.
const DefaultBodyCacheBytes int64 = 512 << 20

// The IMAP body cache is bounded: after PutBody, while the bodies stored
// add up to more than the limit, the least recently read ones are dropped
// (their rows stay; the next read fetches the body again). last_read is set
// by PutBody and OpenBody. POP3 Maildir files are the only copy of their
// mail and are never evicted: the query below only sees rows without a
// Maildir path.

// bodyLimit returns the configured limit; <= 0 after defaulting means none.
func bodyLimit(opt int64) int64 {
	if opt == 0 {
		return DefaultBodyCacheBytes
	}
	return opt
}

// BodyCacheBytes returns the bytes the IMAP body cache holds now.
func (c *Cache) BodyCacheBytes() (int64, error) {
	c.bodyMu.Lock()
	defer c.bodyMu.Unlock()
	total, err := c.countBodyBytes()
	if err != nil {
		return 0, err
	}
	c.bodyTotal, c.bodyTotalKnown = total, true
	return total, nil
}

// countBodyBytes sums the stored IMAP bodies, measuring on disk those whose
// size is not recorded (bodies stored before sizes were). Under bodyMu.
func (c *Cache) countBodyBytes() (int64, error) {
	rows, err := c.db.Query(`SELECT id FROM messages WHERE has_body = 1 AND maildir_path = '' AND body_bytes = 0`)
	if err != nil {
		return 0, fmt.Errorf("cache: body cache size: %w", err)
	}
	var unknown []int64
	for rows.Next() {
		var id int64
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return 0, fmt.Errorf("cache: body cache size: %w", err)
		}
		unknown = append(unknown, id)
	}
	rows.Close()
	for _, id := range unknown {
		if fi, err := os.Stat(bodyPath(c.dir, id)); err == nil && fi.Size() > 0 {
			c.db.Exec(`UPDATE messages SET body_bytes = ? WHERE id = ?`, fi.Size(), id)
		}
	}
	var total int64
	err = c.db.QueryRow(`SELECT COALESCE(SUM(body_bytes), 0) FROM messages WHERE has_body = 1 AND maildir_path = ''`).Scan(&total)
	if err != nil {
		return 0, fmt.Errorf("cache: body cache size: %w", err)
	}
	return total, nil
}

// evictBodies runs after PutBody stored added bytes for message keep: it
// drops least recently read bodies (never keep's) until the cache fits.
func (c *Cache) evictBodies(keep, added int64) error {
	if c.bodyLimit <= 0 {
		return nil
	}
	c.bodyMu.Lock()
	defer c.bodyMu.Unlock()
	c.bodyTotal += added
	if c.bodyTotalKnown && c.bodyTotal <= c.bodyLimit {
		return nil
	}
	// The running total only grows between counts (bodies removed
	// elsewhere are not subtracted), so count exactly before evicting.
	total, err := c.countBodyBytes()
	if err != nil {
		return err
	}
	c.bodyTotal, c.bodyTotalKnown = total, true
	for c.bodyTotal > c.bodyLimit {
		victims, err := c.oldestBodies(keep, 64)
		if err != nil {
			return err
		}
		if len(victims) == 0 {
			return nil // only keep is left: one body larger than the limit stays
		}
		for _, v := range victims {
			res, err := c.db.Exec(`UPDATE messages SET has_body = 0, body_bytes = 0 WHERE id = ? AND has_body = 1 AND maildir_path = ''`, v.id)
			if err != nil {
				return fmt.Errorf("cache: evict body: %w", err)
			}
			if n, _ := res.RowsAffected(); n == 0 {
				continue
			}
			os.Remove(bodyPath(c.dir, v.id))
			c.bodyTotal -= v.bytes
			if c.bodyTotal <= c.bodyLimit {
				break
			}
		}
	}
	return nil
}

type cachedBody struct{ id, bytes int64 }

// oldestBodies returns up to n stored IMAP bodies, least recently read first.
func (c *Cache) oldestBodies(keep int64, n int) ([]cachedBody, error) {
	rows, err := c.db.Query(`SELECT id, body_bytes FROM messages INDEXED BY messages_cached_bodies
		WHERE has_body = 1 AND maildir_path = '' AND id != ? ORDER BY last_read, id LIMIT ?`, keep, n)
	if err != nil {
		return nil, fmt.Errorf("cache: evict body: %w", err)
	}
	defer rows.Close()
	var out []cachedBody
	for rows.Next() {
		var b cachedBody
		if err := rows.Scan(&b.id, &b.bytes); err != nil {
			return nil, fmt.Errorf("cache: evict body: %w", err)
		}
		out = append(out, b)
	}
	return out, rows.Err()
}

// touchBody records that an IMAP body was read now.
func (c *Cache) touchBody(id int64) {
	if st, err := c.stmt(`UPDATE messages SET last_read = ? WHERE id = ?`); err == nil {
		st.Exec(c.now().UnixNano(), id)
	}
}
