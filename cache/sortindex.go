package cache

import (
	"fmt"
	"sync"
)

// The listings besides sorted folders whose indexes are made on first
// use (migration 16): threaded, and across folders by date.
const (
	listThreaded    SortKey = "threaded"     // a folder in thread order
	listAccountDate SortKey = "account-date" // an account's messages by date
	listAllDate     SortKey = "all-date"     // every account's messages by date
)

// sortIndexes are the indexes made the first time a listing needs them
// rather than kept up to date by every stored header from the start: a
// cache whose user never sorts by size never pays for a size index. The
// sorts other than date (migration 15): each expression is exactly the
// one orderBy writes, so that SQLite reads a sorted page from the index
// in either direction. Then the listings above (migration 16).
var sortIndexes = map[SortKey]string{
	SortArrival: `CREATE INDEX IF NOT EXISTS messages_sort_arrival ON messages (account, folder, ` + sortArrivalExpr + ` DESC, id DESC)`,
	SortSender:  `CREATE INDEX IF NOT EXISTS messages_sort_sender ON messages (account, folder, ` + sortSenderExpr + `, id)`,
	SortSubject: `CREATE INDEX IF NOT EXISTS messages_sort_subject ON messages (account, folder, subject COLLATE NOCASE, id)`,
	SortSize:    `CREATE INDEX IF NOT EXISTS messages_sort_size ON messages (account, folder, size DESC, id DESC)`,
	SortUnread:  `CREATE INDEX IF NOT EXISTS messages_sort_unread ON messages (account, folder, seen, date DESC, id DESC)`,
	SortFlagged: `CREATE INDEX IF NOT EXISTS messages_sort_flagged ON messages (account, folder, ` + sortFlaggedExpr + ` DESC, date DESC, id DESC)`,

	listThreaded:    `CREATE INDEX IF NOT EXISTS messages_threaded ON messages (account, folder, thread_latest DESC, thread_id DESC, thread_order)`,
	listAccountDate: `CREATE INDEX IF NOT EXISTS messages_by_account_date ON messages (account, date DESC, id DESC)`,
	listAllDate:     `CREATE INDEX IF NOT EXISTS messages_by_date ON messages (date DESC, id DESC)`,
}

// listIndex is the index q's listing reads its page from, among those
// made on first use ("" for a folder by date).
func (q Query) listIndex() SortKey {
	switch {
	case q.Threaded:
		return listThreaded
	case q.Folder == "" && q.Account != "":
		return listAccountDate
	case q.Folder == "":
		return listAllDate
	}
	return q.Sort.Key
}

// sortIndexMade remembers, per cache, the sort indexes this process has
// made or found, so a listing asks SQLite at most once per key.
type sortIndexMade struct {
	mu   sync.Mutex
	made map[SortKey]bool
}

// ensureSortIndex makes the index of sort key k unless it exists. Several
// processes may do it at once: CREATE INDEX IF NOT EXISTS runs in a write
// transaction, so one makes it and the others find it.
func (c *Cache) ensureSortIndex(k SortKey) error {
	stmt, ok := sortIndexes[k]
	if !ok {
		return nil // date: messages_by_folder_date, always there
	}
	c.sortIdx.mu.Lock()
	defer c.sortIdx.mu.Unlock()
	if c.sortIdx.made[k] {
		return nil
	}
	if _, err := c.db.Exec(stmt); err != nil {
		return fmt.Errorf("cache: index for sorting by %s: %w", k, err)
	}
	if c.sortIdx.made == nil {
		c.sortIdx.made = map[SortKey]bool{}
	}
	c.sortIdx.made[k] = true
	return nil
}
