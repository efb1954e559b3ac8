package cache

import (
	"fmt"
	"time"
)

// POPStoredTimes returns, for each UIDL delivered for account by
// DeliverPOP, when its local copy was stored (fsynced and indexed). A
// UIDL written to disk but not yet indexed is absent, so a deletion
// policy built on this map never deletes on the server a message the
// index does not hold. UIDLs delivered before the cache recorded times
// count from the upgrade.
func (c *Cache) POPStoredTimes(account string) (map[string]time.Time, error) {
	s, err := c.stmt(`SELECT uidl, stored_at FROM pop_uidls WHERE account = ?`)
	if err != nil {
		return nil, fmt.Errorf("cache: pop stored times: %w", err)
	}
	rows, err := s.Query(account)
	if err != nil {
		return nil, fmt.Errorf("cache: pop stored times: %w", err)
	}
	defer rows.Close()
	out := map[string]time.Time{}
	for rows.Next() {
		var uidl string
		var at int64
		if err := rows.Scan(&uidl, &at); err != nil {
			return nil, fmt.Errorf("cache: pop stored times: %w", err)
		}
		out[uidl] = time.Unix(at, 0)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("cache: pop stored times: %w", err)
	}
	return out, nil
}
