package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"os"

	postamail "github.com/posta-mail/posta/mail"
)

// FolderMeta is the sync state of one folder.
type FolderMeta struct {
	UIDValidity   uint32
	HighestModSeq uint64
	// Status is the fetcher's summary of the folder's state (STATUS:
	// UIDNEXT, MESSAGES, UNSEEN, ...) when it was last synced whole; ""
	// when unknown. A resync skips the folder while it stays the same.
	Status string
}

// foldersHoldingMessages selects the folders of the account ?1 that hold
// messages, from folder_counts (exact at every commit) rather than from
// the messages, which would read every row of the account.
const foldersHoldingMessages = `SELECT folder FROM folder_counts WHERE account = ?1 AND total > 0`

// PutFolders replaces the account's folder list with folders (in that
// order). Messages of folders that are no longer listed are dropped with
// their body files; folders still present keep their messages and meta.
// POP3 (Maildir) messages are never dropped here.
func (c *Cache) PutFolders(account string, folders []postamail.Folder) error {
	keep := make(map[string]bool, len(folders))
	for _, f := range folders {
		keep[f.Name] = true
	}
	var bodies []int64
	err := c.inTx(func(tx *sql.Tx) error {
		// The folders listed before and those holding messages (reading
		// the messages for them took 30 ms of a resync at 100,000). A
		// folder of POP3 messages only is harmless here:
		// dropFolderMessages leaves Maildir rows.
		existing, err := queryStrings(tx, `SELECT name FROM folders WHERE account = ?1
			UNION `+foldersHoldingMessages, account)
		if err != nil {
			return err
		}
		for _, name := range existing {
			if keep[name] {
				continue
			}
			ids, err := dropFolderMessages(tx, account, name)
			if err != nil {
				return err
			}
			bodies = append(bodies, ids...)
			if _, err := tx.Exec(`DELETE FROM folders WHERE account = ? AND name = ?`, account, name); err != nil {
				return err
			}
		}
		upsert, err := tx.Prepare(`INSERT INTO folders (account, name, delim, role, position) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (account, name) DO UPDATE SET delim = excluded.delim, role = excluded.role, position = excluded.position`)
		if err != nil {
			return err
		}
		defer upsert.Close()
		for i, f := range folders {
			if _, err := upsert.Exec(account, f.Name, f.Delim, string(f.Role), i); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: put folders: %w", err)
	}
	c.removeBodies(bodies)
	return nil
}

// Folders returns the account's folders in the stored order, with Total and
// Unread counted from the index.
func (c *Cache) Folders(account string) ([]postamail.Folder, error) {
	s, err := c.stmt(`SELECT f.name, f.delim, f.role, COALESCE(n.total, 0), COALESCE(n.unread, 0)
		FROM folders f LEFT JOIN folder_counts n ON n.account = f.account AND n.folder = f.name
		WHERE f.account = ? ORDER BY f.position, f.name`)
	if err != nil {
		return nil, fmt.Errorf("cache: folders: %w", err)
	}
	rows, err := s.Query(account)
	if err != nil {
		return nil, fmt.Errorf("cache: folders: %w", err)
	}
	defer rows.Close()
	var out []postamail.Folder
	for rows.Next() {
		var f postamail.Folder
		var role string
		if err := rows.Scan(&f.Name, &f.Delim, &role, &f.Total, &f.Unread); err != nil {
			return nil, fmt.Errorf("cache: folders: %w", err)
		}
		f.Role = postamail.Role(role)
		out = append(out, f)
	}
	return out, rows.Err()
}

// FolderMeta returns the stored sync state of a folder (zero if unknown).
func (c *Cache) FolderMeta(account, folder string) (FolderMeta, error) {
	s, err := c.stmt(`SELECT uidvalidity, highest_modseq, status FROM folders WHERE account = ? AND name = ?`)
	if err != nil {
		return FolderMeta{}, fmt.Errorf("cache: folder meta: %w", err)
	}
	var m FolderMeta
	var modseq int64
	err = s.QueryRow(account, folder).Scan(&m.UIDValidity, &modseq, &m.Status)
	if errors.Is(err, sql.ErrNoRows) {
		return FolderMeta{}, nil
	}
	if err != nil {
		return FolderMeta{}, fmt.Errorf("cache: folder meta: %w", err)
	}
	m.HighestModSeq = uint64(modseq)
	return m, nil
}

// SetFolderMeta stores the sync state of a folder, creating the folder row
// if needed.
func (c *Cache) SetFolderMeta(account, folder string, m FolderMeta) error {
	s, err := c.stmt(`INSERT INTO folders (account, name, uidvalidity, highest_modseq, status, position)
		VALUES (?, ?, ?, ?, ?, (SELECT COUNT(*) FROM folders WHERE account = ?))
		ON CONFLICT (account, name) DO UPDATE SET uidvalidity = excluded.uidvalidity,
			highest_modseq = excluded.highest_modseq, status = excluded.status`)
	if err == nil {
		// SQLite integers are signed 64-bit; mod-sequences fit in 63 bits (RFC 7162).
		_, err = s.Exec(account, folder, m.UIDValidity, int64(m.HighestModSeq&(1<<63-1)), m.Status, account)
	}
	if err != nil {
		return fmt.Errorf("cache: set folder meta: %w", err)
	}
	return nil
}

// ResetFolder drops a folder's IMAP messages and their body files and clears
// its FolderMeta (for a changed UIDVALIDITY); call SetFolderMeta afterwards.
func (c *Cache) ResetFolder(account, folder string) error {
	var bodies []int64
	err := c.inTx(func(tx *sql.Tx) error {
		ids, err := dropFolderMessages(tx, account, folder)
		bodies = ids
		if err != nil {
			return err
		}
		_, err = tx.Exec(`UPDATE folders SET uidvalidity = 0, highest_modseq = 0, status = '' WHERE account = ? AND name = ?`, account, folder)
		return err
	})
	if err != nil {
		return fmt.Errorf("cache: reset folder: %w", err)
	}
	c.removeBodies(bodies)
	return nil
}

// dropFolderMessages deletes the IMAP rows of a folder and returns the ids
// that had a body file.
func dropFolderMessages(tx *sql.Tx, account, folder string) ([]int64, error) {
	ids, err := queryInts(tx, `SELECT id FROM messages WHERE account = ? AND folder = ? AND maildir_path = '' AND has_body = 1`, account, folder)
	if err != nil {
		return nil, err
	}
	_, err = tx.Exec(`DELETE FROM messages WHERE account = ? AND folder = ? AND maildir_path = ''`, account, folder)
	return ids, err
}

// removeBodies deletes IMAP body files. Failures leave harmless orphans:
// row ids are never reused.
func (c *Cache) removeBodies(ids []int64) {
	for _, id := range ids {
		os.Remove(bodyPath(c.dir, id))
	}
}

func queryStrings(tx *sql.Tx, query string, args ...any) ([]string, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, rows.Err()
}

func queryInts(tx *sql.Tx, query string, args ...any) ([]int64, error) {
	rows, err := tx.Query(query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			return nil, err
		}
		out = append(out, n)
	}
	return out, rows.Err()
}
