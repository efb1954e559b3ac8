package cache

import (
	"database/sql"
	"errors"
	"fmt"

	postamail "github.com/posta-mail/posta/mail"
)

// PutHeaders inserts or updates IMAP headers by (account, folder, UID), all
// in one transaction. An update keeps the row id and the stored body.
func (c *Cache) PutHeaders(account string, hs []postamail.Header) error {
	for _, h := range hs {
		if h.UID == "" || h.Folder == "" {
			return errors.New("cache: put headers: header without UID or Folder")
		}
	}
	err := c.inTx(func(tx *sql.Tx) error {
		s, err := tx.Prepare(`INSERT INTO messages (account, folder, uid, ` + headerColumns + `)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, folder, uid) DO UPDATE SET
				message_id = excluded.message_id, in_reply_to = excluded.in_reply_to, refs = excluded.refs,
				subject = excluded.subject, from_json = excluded.from_json, to_json = excluded.to_json,
				cc_json = excluded.cc_json, date = excluded.date, flags = excluded.flags,
				seen = excluded.seen, size = excluded.size, has_attachment = excluded.has_attachment,
				security = excluded.security`)
		if err != nil {
			return err
		}
		defer s.Close()
		for _, h := range hs {
			args := append([]any{account, h.Folder, h.UID}, headerArgs(h)...)
			if _, err := s.Exec(args...); err != nil {
				return err
			}
		}
		// Threads are computed when a threaded listing asks for them
		// (threadFolders), not here: a first sync stores headers in many
		// batches, and threading each batch rewrote the threads it joined
		// again and again (quadratic in big folders).
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: put headers: %w", err)
	}
	return nil
}

// KnownUIDs returns the UIDs indexed for a folder.
func (c *Cache) KnownUIDs(account, folder string) (map[string]struct{}, error) {
	s, err := c.stmt(`SELECT uid FROM messages WHERE account = ? AND folder = ?`)
	if err != nil {
		return nil, fmt.Errorf("cache: known uids: %w", err)
	}
	return collectSet(s, account, folder)
}

// UpdateFlags sets the flags of the given UIDs of a folder (as reported by
// the server), in one transaction. Unknown UIDs are ignored.
func (c *Cache) UpdateFlags(account, folder string, flags map[string]postamail.Flags) error {
	err := c.inTx(func(tx *sql.Tx) error {
		// A resync reports every message's flags; read what the index has
		// in one pass and write only the rows whose flags changed (one
		// UPDATE per row was most of an unchanged resync of a big folder).
		current := make(map[string]string, len(flags))
		rows, err := tx.Query(`SELECT uid, flags FROM messages WHERE account = ? AND folder = ?`, account, folder)
		if err != nil {
			return err
		}
		for rows.Next() {
			var uid, f string
			if err := rows.Scan(&uid, &f); err != nil {
				rows.Close()
				return err
			}
			current[uid] = f
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		var s *sql.Stmt
		for uid, f := range flags {
			enc := encodeFlags(f)
			if old, ok := current[uid]; !ok || old == enc {
				continue
			}
			if s == nil {
				if s, err = tx.Prepare(`UPDATE messages SET flags = ?, seen = ? WHERE account = ? AND folder = ? AND uid = ?`); err != nil {
					return err
				}
				defer s.Close()
			}
			if _, err := s.Exec(enc, f.Has(postamail.FlagSeen), account, folder, uid); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: update flags: %w", err)
	}
	return nil
}

// RemoveUIDs drops IMAP messages (expunged on the server) and their body
// files. POP3 messages are never removed here.
func (c *Cache) RemoveUIDs(account, folder string, uids []string) error {
	var bodies []int64
	err := c.inTx(func(tx *sql.Tx) error {
		find, err := tx.Prepare(`SELECT id, has_body FROM messages WHERE account = ? AND folder = ? AND uid = ? AND maildir_path = ''`)
		if err != nil {
			return err
		}
		defer find.Close()
		del, err := tx.Prepare(`DELETE FROM messages WHERE id = ?`)
		if err != nil {
			return err
		}
		defer del.Close()
		for _, uid := range uids {
			var id int64
			var hasBody bool
			err := find.QueryRow(account, folder, uid).Scan(&id, &hasBody)
			if errors.Is(err, sql.ErrNoRows) {
				continue
			}
			if err != nil {
				return err
			}
			if _, err := del.Exec(id); err != nil {
				return err
			}
			if hasBody {
				bodies = append(bodies, id)
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: remove uids: %w", err)
	}
	c.removeBodies(bodies)
	return nil
}

func collectSet(s *sql.Stmt, args ...any) (map[string]struct{}, error) {
	rows, err := s.Query(args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]struct{}{}
	for rows.Next() {
		var v string
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out[v] = struct{}{}
	}
	return out, rows.Err()
}
