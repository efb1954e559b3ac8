package cache

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// ActionKind is what a queued message action does on the server.
type ActionKind string

// The kinds of queued actions.
const (
	ActionFlag    ActionKind = "flag"    // add Args.Flag
	ActionUnflag  ActionKind = "unflag"  // remove Args.Flag
	ActionMove    ActionKind = "move"    // move to Args.Dest
	ActionCopy    ActionKind = "copy"    // copy to Args.Dest
	ActionDelete  ActionKind = "delete"  // move to the Trash folder Args.Dest
	ActionExpunge ActionKind = "expunge" // \Deleted + UID EXPUNGE where it is
)

// ErrPendingMessage is returned by QueueAction for a message that is itself
// the placeholder of a queued move or copy: its server UID is not known
// until the queue has been replayed and the folder synced.
var ErrPendingMessage = errors.New("cache: message waits for a queued move or copy; sync first")

// placeholderPrefix starts the UID of a row that a queued move or copy
// put in its target folder: "pending:<action id>".
const placeholderPrefix = "pending:"

// placeholderEnd follows every UID that begins with placeholderPrefix,
// and no other: the prefix with its last byte one higher.
var placeholderEnd = placeholderPrefix[:len(placeholderPrefix)-1] + string(placeholderPrefix[len(placeholderPrefix)-1]+1)

// IsPlaceholderUID reports whether uid is the stand-in UID of a message
// moved or copied locally whose server UID is not known yet.
func IsPlaceholderUID(uid string) bool { return strings.HasPrefix(uid, placeholderPrefix) }

func placeholderUID(actionID int64) string {
	return placeholderPrefix + strconv.FormatInt(actionID, 10)
}

// ActionArgs are the kind-specific arguments of an action (stored as JSON).
type ActionArgs struct {
	Flag postamail.Flag `json:"flag,omitempty"` // flag, unflag
	Dest string         `json:"dest,omitempty"` // move, copy, delete
	// Had records whether the message had Flag before a flag or unflag
	// action, so that dropping the action restores the local state.
	Had bool `json:"had,omitempty"`
	// Flags and Date are the message's flags and date when a copy was
	// queued, for servers where the copy is made by APPEND.
	Flags postamail.Flags `json:"flags,omitempty"`
	Date  time.Time       `json:"date,omitzero"`
	// Members lists the messages of a bulk action (QueueBulkAction),
	// all in Folder; empty for an action on one message.
	Members []ActionMember `json:"members,omitempty"`
}

// PendingAction is a message action waiting in the queue to be done on
// an IMAP server. Folder and UID name the message on the server as it
// was when the action was queued.
type PendingAction struct {
	ID        int64
	Account   string
	Kind      ActionKind
	MessageID int64 // index row id of the message when the action was queued
	Folder    string
	UID       string
	Args      ActionArgs
	Created   time.Time
	Attempts  int
	LastError string
}

// QueueAction records an action for an IMAP message (a.MessageID; Account,
// Folder and UID are taken from the index) and applies it to the index at
// once, in the same transaction, so every screen shows its effect:
//
//   - flag, unflag: the message's flags change.
//   - move, delete: the message's row goes to Args.Dest under the
//     placeholder UID "pending:<action id>" (row id and cached body kept).
//   - copy: a new row is added in Args.Dest under the placeholder UID.
//   - expunge: the row and its body file are removed.
//
// Placeholders are settled by DropSettledPlaceholders once their action
// has left the queue: the folder's next sync then brings the message
// under its real UID, so nothing is listed twice. DropAction reverts the
// local effect of an action that could not be done.
func (c *Cache) QueueAction(a PendingAction) (PendingAction, error) {
	s, err := c.queueableRow(a.MessageID)
	if err != nil {
		return a, err
	}
	a.Account, a.Folder, a.UID = s.Account, s.Folder, s.UID
	a.Created = c.now().UTC().Truncate(time.Second)
	switch a.Kind {
	case ActionFlag, ActionUnflag:
		if a.Args.Flag == "" {
			return a, errors.New("cache: queue action: no flag given")
		}
		a.Args.Had = s.Flags.Has(a.Args.Flag)
	case ActionMove, ActionCopy, ActionDelete:
		if a.Args.Dest == "" {
			return a, errors.New("cache: queue action: no target folder given")
		}
		if a.Kind == ActionCopy {
			a.Args.Flags, a.Args.Date = s.Flags, s.Date
		}
	case ActionExpunge:
	default:
		return a, fmt.Errorf("cache: queue action: unknown kind %q", a.Kind)
	}
	args, err := json.Marshal(a.Args)
	if err != nil {
		return a, fmt.Errorf("cache: queue action: %w", err)
	}
	err = c.inTx(func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO pending_actions (account, kind, msg_row, folder, uid, args, created)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Account, string(a.Kind), a.MessageID, a.Folder, a.UID, string(args), a.Created.Unix())
		if err != nil {
			return err
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		return applyAction(tx, a, s.Flags)
	})
	if err != nil {
		return a, fmt.Errorf("cache: queue action: %w", err)
	}
	if a.Kind == ActionExpunge && s.HasBody {
		c.removeBodies([]int64{a.MessageID})
	}
	return a, nil
}

// applyAction makes the index show the effect of a just-queued action.
func applyAction(tx *sql.Tx, a PendingAction, flags postamail.Flags) error {
	var err error
	switch a.Kind {
	case ActionFlag, ActionUnflag:
		err = setRowFlag(tx, a.MessageID, flags, a.Args.Flag, a.Kind == ActionFlag)
	case ActionMove, ActionDelete:
		_, err = tx.Exec(`UPDATE messages SET folder = ?, uid = ? WHERE id = ?`, a.Args.Dest, placeholderUID(a.ID), a.MessageID)
	case ActionCopy:
		_, err = tx.Exec(`INSERT INTO messages (account, folder, uid, `+headerColumns+`)
			SELECT account, ?, ?, `+headerColumns+` FROM messages WHERE id = ?`, a.Args.Dest, placeholderUID(a.ID), a.MessageID)
	case ActionExpunge:
		_, err = tx.Exec(`DELETE FROM messages WHERE id = ?`, a.MessageID)
	}
	return err
}

func setRowFlag(tx *sql.Tx, id int64, flags postamail.Flags, flag postamail.Flag, add bool) error {
	if add {
		flags = flags.With(flag)
	} else {
		flags = flags.Without(flag)
	}
	_, err := tx.Exec(`UPDATE messages SET flags = ?, seen = ? WHERE id = ?`, encodeFlags(flags), flags.Has(postamail.FlagSeen), id)
	return err
}

// PendingActions lists the queued actions of an account ("" means all
// accounts) in the order they must be replayed.
func (c *Cache) PendingActions(account string) ([]PendingAction, error) {
	s, err := c.stmt(`SELECT id, account, kind, msg_row, folder, uid, args, created, attempts, last_error
		FROM pending_actions WHERE ? = '' OR account = ? ORDER BY id`)
	if err != nil {
		return nil, fmt.Errorf("cache: pending actions: %w", err)
	}
	rows, err := s.Query(account, account)
	if err != nil {
		return nil, fmt.Errorf("cache: pending actions: %w", err)
	}
	defer rows.Close()
	var out []PendingAction
	for rows.Next() {
		var a PendingAction
		var kind, args string
		var created int64
		if err := rows.Scan(&a.ID, &a.Account, &kind, &a.MessageID, &a.Folder, &a.UID, &args, &created, &a.Attempts, &a.LastError); err != nil {
			return nil, fmt.Errorf("cache: pending actions: %w", err)
		}
		a.Kind = ActionKind(kind)
		json.Unmarshal([]byte(args), &a.Args) // our own encoding; a bad row replays with empty args and is refused
		a.Created = time.Unix(created, 0).UTC()
		out = append(out, a)
	}
	return out, rows.Err()
}

// ActionDone removes an action the server carried out from the queue. A
// placeholder row it made stays listed until DropSettledPlaceholders.
func (c *Cache) ActionDone(id int64) error {
	if _, err := c.db.Exec(`DELETE FROM pending_actions WHERE id = ?`, id); err != nil {
		return fmt.Errorf("cache: action done: %w", err)
	}
	return nil
}

// ActionFailed records a failed attempt (the server could not be
// reached): attempts++ and the error text. The action stays queued.
func (c *Cache) ActionFailed(id int64, actErr error) error {
	text := ""
	if actErr != nil {
		text = actErr.Error()
	}
	res, err := c.db.Exec(`UPDATE pending_actions SET attempts = attempts + 1, last_error = ? WHERE id = ?`, text, id)
	if err != nil {
		return fmt.Errorf("cache: action failed: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: pending action %d", ErrNotFound, id)
	}
	return nil
}

// DropAction removes an action that cannot be done (a conflict or a
// refusal) from the queue and reverts its local effect: a flag change is
// undone, a moved message goes back to its folder and UID (or, if that
// UID was indexed again meanwhile, its placeholder is removed), a copy's
// placeholder is removed. An expunged row is not restored: the folder's
// next sync brings it back if it is still on the server.
func (c *Cache) DropAction(a PendingAction) error {
	if len(a.Args.Members) > 0 {
		return c.dropBulk(a)
	}
	var bodies []int64
	err := c.inTx(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM pending_actions WHERE id = ?`, a.ID); err != nil {
			return err
		}
		ph := placeholderUID(a.ID)
		switch a.Kind {
		case ActionFlag, ActionUnflag:
			var flags string
			err := tx.QueryRow(`SELECT flags FROM messages WHERE id = ?`, a.MessageID).Scan(&flags)
			if errors.Is(err, sql.ErrNoRows) {
				return nil
			}
			if err != nil {
				return err
			}
			return setRowFlag(tx, a.MessageID, decodeFlags(flags), a.Args.Flag, a.Args.Had)
		case ActionMove, ActionDelete:
			if _, err := tx.Exec(`UPDATE OR IGNORE messages SET folder = ?, uid = ? WHERE account = ? AND uid = ?`,
				a.Folder, a.UID, a.Account, ph); err != nil {
				return err
			}
			fallthrough
		case ActionCopy:
			_, ids, err := deletePlaceholders(tx, `account = ? AND uid = ?`, a.Account, ph)
			bodies = ids
			return err
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: drop action: %w", err)
	}
	c.removeBodies(bodies)
	return nil
}

// DropSettledPlaceholders removes the placeholder rows of an account
// whose action has left the queue, and returns how many it removed. Call
// it before syncing folders: the sync then lists the moved or copied
// messages under their real UIDs, once.
func (c *Cache) DropSettledPlaceholders(account string) (int, error) {
	var deleted, bodies []int64
	err := c.inTx(func(tx *sql.Tx) error {
		var err error
		// By folder and a range of UIDs, so that the unique index finds
		// the placeholders: LIKE, with the folder between the account and
		// the UID in that index, read every row of the account (37 ms of a
		// resync at 100,000 messages).
		deleted, bodies, err = deletePlaceholders(tx, `account = ?1
			AND folder IN (`+foldersHoldingMessages+`)
			AND uid >= ?2 AND uid < ?3 AND maildir_path = ''
			AND CAST(substr(uid, ?4) AS INTEGER) NOT IN (SELECT id FROM pending_actions)`,
			account, placeholderPrefix, placeholderEnd, len(placeholderPrefix)+1)
		return err
	})
	if err != nil {
		return 0, fmt.Errorf("cache: drop placeholders: %w", err)
	}
	c.removeBodies(bodies)
	return len(deleted), nil
}

// deletePlaceholders deletes the message rows matching where and returns
// their ids and those of them that had a body file.
func deletePlaceholders(tx *sql.Tx, where string, args ...any) (deleted, bodies []int64, err error) {
	rows, err := tx.Query(`SELECT id, has_body FROM messages WHERE `+where, args...)
	if err != nil {
		return nil, nil, err
	}
	for rows.Next() {
		var id int64
		var hasBody bool
		if err := rows.Scan(&id, &hasBody); err != nil {
			rows.Close()
			return nil, nil, err
		}
		deleted = append(deleted, id)
		if hasBody {
			bodies = append(bodies, id)
		}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	for _, id := range deleted {
		if _, err := tx.Exec(`DELETE FROM messages WHERE id = ?`, id); err != nil {
			return nil, nil, err
		}
	}
	return deleted, bodies, nil
}

// PurgePOP deletes a POP3 message for good: its Maildir file, then its
// index row. Its UIDL stays known, so it is never downloaded again. This
// is the only way posta deletes a Maildir file; use it for messages the
// user deletes from the Trash.
func (c *Cache) PurgePOP(id int64) error {
	c.popMu.Lock()
	defer c.popMu.Unlock()
	s, err := c.getRow(id)
	if err != nil {
		return err
	}
	if s.maildirPath == "" {
		return ErrNotPOP
	}
	path, err := c.maildirFile(s.maildirPath)
	if err != nil {
		return err
	}
	if err := os.Remove(path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cache: purge: %w", err)
	}
	if err := syncDir(filepath.Dir(path)); err != nil {
		return fmt.Errorf("cache: purge: %w", err)
	}
	if _, err := c.db.Exec(`DELETE FROM messages WHERE id = ?`, id); err != nil {
		return fmt.Errorf("cache: purge: %w", err)
	}
	return nil
}

// queueableRow reads message id for a queued server action: an IMAP
// message (not a POP3 one, ErrNotPOP) whose own earlier move has settled
// (not a placeholder, ErrPendingMessage).
func (c *Cache) queueableRow(id int64) (scanned, error) {
	s, err := c.getRow(id)
	if err != nil {
		return s, err
	}
	if s.maildirPath != "" {
		return s, fmt.Errorf("cache: queue action: %w", ErrNotPOP)
	}
	if IsPlaceholderUID(s.UID) {
		return s, ErrPendingMessage
	}
	return s, nil
}
