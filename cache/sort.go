package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
)

// SortKey is what a folder's messages are ordered by.
type SortKey string

// The sort keys. Each has a natural direction, which Sort.Reverse flips
// as a whole: date and arrival newest first, sender and subject A to Z,
// size largest first, unread and flagged those first (then newest first).
const (
	SortDate    SortKey = "date"
	SortArrival SortKey = "arrival" // the server's order (IMAP UID)
	SortSender  SortKey = "sender"  // the first sender's name, else address
	SortSubject SortKey = "subject"
	SortSize    SortKey = "size"
	SortUnread  SortKey = "unread"
	SortFlagged SortKey = "flagged"
)

// SortKeys lists the sort keys in the order a key cycles through them.
var SortKeys = []SortKey{SortDate, SortArrival, SortSender, SortSubject, SortSize, SortUnread, SortFlagged}

// Sort is the order of a folder listing. The zero value is by date,
// newest first.
type Sort struct {
	Key     SortKey
	Reverse bool
}

// The sort expressions. Each is indexed with (account, folder) in front
// (see the migration that creates messages_sort_*), so the page of a
// sorted 100,000-message folder is read from an index, in either
// direction; they must be written exactly as in the index.
const (
	sortArrivalExpr = `CAST(uid AS INTEGER)`
	sortSenderExpr  = `lower(CASE WHEN json_valid(from_json) THEN coalesce(json_extract(from_json, '$[0].name'), json_extract(from_json, '$[0].addr'), '') ELSE '' END)`
	sortFlaggedExpr = `(instr(flags, '\Flagged') > 0)`
)

// orderBy returns the ORDER BY terms of s, each "expr ASC|DESC".
func (s Sort) orderBy() string {
	var terms []string
	switch s.Key {
	case SortArrival:
		terms = []string{sortArrivalExpr + " DESC", "id DESC"}
	case SortSender:
		terms = []string{sortSenderExpr + " ASC", "id ASC"}
	case SortSubject:
		terms = []string{"subject COLLATE NOCASE ASC", "id ASC"}
	case SortSize:
		terms = []string{"size DESC", "id DESC"}
	case SortUnread:
		terms = []string{"seen ASC", "date DESC", "id DESC"}
	case SortFlagged:
		terms = []string{sortFlaggedExpr + " DESC", "date DESC", "id DESC"}
	default:
		terms = []string{"date DESC", "id DESC"}
	}
	if s.Reverse {
		for i, t := range terms {
			if base, ok := strings.CutSuffix(t, " DESC"); ok {
				terms[i] = base + " ASC"
			} else {
				terms[i] = strings.TrimSuffix(t, " ASC") + " DESC"
			}
		}
	}
	return strings.Join(terms, ", ")
}

// Valid reports whether s names a known key ("" is date).
func (s Sort) Valid() bool {
	if s.Key == "" {
		return true
	}
	for _, k := range SortKeys {
		if k == s.Key {
			return true
		}
	}
	return false
}

// String names the sort for people: "date", "sender, reversed".
func (s Sort) String() string {
	k := s.Key
	if k == "" {
		k = SortDate
	}
	if s.Reverse {
		return string(k) + ", reversed"
	}
	return string(k)
}

// FolderSort returns the sort remembered for a folder; the zero Sort when
// none was set.
func (c *Cache) FolderSort(account, folder string) (Sort, error) {
	st, err := c.stmt(`SELECT sort_key, reverse FROM folder_sort WHERE account = ? AND folder = ?`)
	if err != nil {
		return Sort{}, fmt.Errorf("cache: folder sort: %w", err)
	}
	var s Sort
	var key string
	err = st.QueryRow(account, folder).Scan(&key, &s.Reverse)
	if errors.Is(err, sql.ErrNoRows) {
		return Sort{}, nil
	}
	if err != nil {
		return Sort{}, fmt.Errorf("cache: folder sort: %w", err)
	}
	s.Key = SortKey(key)
	if !s.Valid() {
		return Sort{}, nil
	}
	return s, nil
}

// SetFolderSort remembers the sort of a folder; the zero Sort forgets it.
func (c *Cache) SetFolderSort(account, folder string, s Sort) error {
	if !s.Valid() {
		return fmt.Errorf("cache: unknown sort %q", s.Key)
	}
	var err error
	if s == (Sort{}) || (s.Key == SortDate && !s.Reverse) {
		_, err = c.db.Exec(`DELETE FROM folder_sort WHERE account = ? AND folder = ?`, account, folder)
	} else {
		_, err = c.db.Exec(`INSERT INTO folder_sort (account, folder, sort_key, reverse) VALUES (?, ?, ?, ?)
			ON CONFLICT (account, folder) DO UPDATE SET sort_key = excluded.sort_key, reverse = excluded.reverse`,
			account, folder, string(s.Key), s.Reverse)
	}
	if err != nil {
		return fmt.Errorf("cache: set folder sort: %w", err)
	}
	return nil
}
