package cache

import (
	"database/sql"
	"fmt"
)

// SettlePlaceholder gives the row a move or delete action left in its
// target folder under the placeholder UID the UID the server gave the
// message there (UIDPLUS COPYUID, or found right after the move), so it
// can be acted on at once instead of after the next sync. A row already
// listed under that UID wins: the placeholder then stays for
// DropSettledPlaceholders. Other kinds of action are ignored.
func (c *Cache) SettlePlaceholder(a PendingAction, uid string) error {
	if len(a.Args.Members) > 0 {
		return c.SettleBulk(a, map[string]string{a.UID: uid})
	}
	if a.Kind != ActionMove && a.Kind != ActionDelete || uid == "" || IsPlaceholderUID(uid) {
		return nil
	}
	err := c.inTx(func(tx *sql.Tx) error {
		_, err := tx.Exec(`UPDATE OR IGNORE messages SET uid = ? WHERE account = ? AND folder = ? AND uid = ?`,
			uid, a.Account, a.Args.Dest, placeholderUID(a.ID))
		return err
	})
	if err != nil {
		return fmt.Errorf("cache: settle placeholder: %w", err)
	}
	return nil
}
