package cache

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// Bulk actions: one queued action on many messages of one folder.
//
// A bulk action is one row of the queue whose Args.Members lists its
// messages; it is done on the server with one command on a UID set. Its
// MessageID and UID are those of its first member. A moved or copied
// member is listed in the target folder under the placeholder UID
// "pending:<action id>.<message id>", which DropSettledPlaceholders
// treats as the action's own placeholder.

// ActionMember is one message of a bulk action, as it was when the action
// was queued.
type ActionMember struct {
	MessageID int64  `json:"id"`
	UID       string `json:"uid"`
	// Had records whether the message had the flag of a flag or unflag
	// action before it.
	Had bool `json:"had,omitempty"`
	// Flags and Date are kept for a copy made by APPEND.
	Flags postamail.Flags `json:"flags,omitempty"`
	Date  time.Time       `json:"date,omitzero"`
}

// Targets returns the messages an action is about: its members, or the
// one message of a single action.
func (a PendingAction) Targets() []ActionMember {
	if len(a.Args.Members) > 0 {
		return a.Args.Members
	}
	return []ActionMember{{MessageID: a.MessageID, UID: a.UID, Had: a.Args.Had, Flags: a.Args.Flags, Date: a.Args.Date}}
}

// UIDs returns the server UIDs of the action's messages, in order.
func (a PendingAction) UIDs() []string {
	t := a.Targets()
	out := make([]string, len(t))
	for i, m := range t {
		out[i] = m.UID
	}
	return out
}

// PlaceholderOf returns the placeholder UID under which a move, delete or
// copy lists the member in the target folder until it is settled.
func (a PendingAction) PlaceholderOf(m ActionMember) string {
	if len(a.Args.Members) == 0 {
		return placeholderUID(a.ID)
	}
	return placeholderUID(a.ID) + "." + strconv.FormatInt(m.MessageID, 10)
}

// QueueBulkAction is QueueAction for several messages of one folder of one
// account: one queued action, applied to the index in one transaction.
// One id is an ordinary QueueAction. a.MessageID is ignored.
func (c *Cache) QueueBulkAction(a PendingAction, ids []int64) (PendingAction, error) {
	switch len(ids) {
	case 0:
		return a, errors.New("cache: queue action: no messages")
	case 1:
		a.MessageID = ids[0]
		return c.QueueAction(a)
	}
	rows := make([]scanned, 0, len(ids))
	seen := map[int64]bool{}
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		s, err := c.queueableRow(id)
		if err != nil {
			return a, err
		}
		if len(rows) > 0 && (s.Account != rows[0].Account || s.Folder != rows[0].Folder) {
			return a, fmt.Errorf("cache: queue action: messages %d and %d are in different folders", rows[0].ID, s.ID)
		}
		rows = append(rows, s)
	}
	if len(rows) == 1 {
		a.MessageID = rows[0].ID
		return c.QueueAction(a)
	}
	a.Account, a.Folder, a.UID, a.MessageID = rows[0].Account, rows[0].Folder, rows[0].UID, rows[0].ID
	a.Created = c.now().UTC().Truncate(time.Second)
	a.Args.Members = make([]ActionMember, len(rows))
	for i, s := range rows {
		m := ActionMember{MessageID: s.ID, UID: s.UID}
		switch a.Kind {
		case ActionFlag, ActionUnflag:
			m.Had = s.Flags.Has(a.Args.Flag)
		case ActionCopy:
			m.Flags, m.Date = s.Flags, s.Date
		}
		a.Args.Members[i] = m
	}
	switch a.Kind {
	case ActionFlag, ActionUnflag:
		if a.Args.Flag == "" {
			return a, errors.New("cache: queue action: no flag given")
		}
	case ActionMove, ActionCopy, ActionDelete:
		if a.Args.Dest == "" {
			return a, errors.New("cache: queue action: no target folder given")
		}
	case ActionExpunge:
	default:
		return a, fmt.Errorf("cache: queue action: unknown kind %q", a.Kind)
	}
	args, err := json.Marshal(a.Args)
	if err != nil {
		return a, fmt.Errorf("cache: queue action: %w", err)
	}
	var bodies []int64
	err = c.inTx(func(tx *sql.Tx) error {
		res, err := tx.Exec(`INSERT INTO pending_actions (account, kind, msg_row, folder, uid, args, created)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.Account, string(a.Kind), a.MessageID, a.Folder, a.UID, string(args), a.Created.Unix())
		if err != nil {
			return err
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		for i, s := range rows {
			m := a.Args.Members[i]
			ph := a.PlaceholderOf(m)
			switch a.Kind {
			case ActionFlag, ActionUnflag:
				err = setRowFlag(tx, s.ID, s.Flags, a.Args.Flag, a.Kind == ActionFlag)
			case ActionMove, ActionDelete:
				_, err = tx.Exec(`UPDATE messages SET folder = ?, uid = ? WHERE id = ?`, a.Args.Dest, ph, s.ID)
			case ActionCopy:
				_, err = tx.Exec(`INSERT INTO messages (account, folder, uid, `+headerColumns+`)
					SELECT account, ?, ?, `+headerColumns+` FROM messages WHERE id = ?`, a.Args.Dest, ph, s.ID)
			case ActionExpunge:
				_, err = tx.Exec(`DELETE FROM messages WHERE id = ?`, s.ID)
				if s.HasBody {
					bodies = append(bodies, s.ID)
				}
			}
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("cache: queue action: %w", err)
	}
	c.removeBodies(bodies)
	return a, nil
}

// revertMember undoes the local effect of one member of an action.
func revertMember(tx *sql.Tx, a PendingAction, m ActionMember) (bodies []int64, err error) {
	ph := a.PlaceholderOf(m)
	switch a.Kind {
	case ActionFlag, ActionUnflag:
		var flags string
		err := tx.QueryRow(`SELECT flags FROM messages WHERE id = ?`, m.MessageID).Scan(&flags)
		if errors.Is(err, sql.ErrNoRows) {
			return nil, nil
		}
		if err != nil {
			return nil, err
		}
		return nil, setRowFlag(tx, m.MessageID, decodeFlags(flags), a.Args.Flag, m.Had)
	case ActionMove, ActionDelete:
		if _, err := tx.Exec(`UPDATE OR IGNORE messages SET folder = ?, uid = ? WHERE account = ? AND uid = ?`,
			a.Folder, m.UID, a.Account, ph); err != nil {
			return nil, err
		}
		fallthrough
	case ActionCopy:
		_, ids, err := deletePlaceholders(tx, `account = ? AND uid = ?`, a.Account, ph)
		return ids, err
	}
	return nil, nil
}

// dropBulk is DropAction for a bulk action.
func (c *Cache) dropBulk(a PendingAction) error {
	var bodies []int64
	err := c.inTx(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`DELETE FROM pending_actions WHERE id = ?`, a.ID); err != nil {
			return err
		}
		for _, m := range a.Args.Members {
			ids, err := revertMember(tx, a, m)
			if err != nil {
				return err
			}
			bodies = append(bodies, ids...)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: drop action: %w", err)
	}
	c.removeBodies(bodies)
	return nil
}

// DropMembers takes the members whose UID is in uids out of a bulk action
// (their message is gone from the server) and reverts their local effect.
// It returns the action as it stays queued; when no member is left the
// action is dropped and the returned action has no members. For a single
// action it is DropAction.
func (c *Cache) DropMembers(a PendingAction, uids map[string]bool) (PendingAction, error) {
	if len(a.Args.Members) == 0 {
		if uids[a.UID] {
			return PendingAction{}, c.DropAction(a)
		}
		return a, nil
	}
	var keep, drop []ActionMember
	for _, m := range a.Args.Members {
		if uids[m.UID] {
			drop = append(drop, m)
		} else {
			keep = append(keep, m)
		}
	}
	if len(drop) == 0 {
		return a, nil
	}
	if len(keep) == 0 {
		return PendingAction{}, c.dropBulk(a)
	}
	rest := a
	rest.Args.Members = keep
	rest.MessageID, rest.UID = keep[0].MessageID, keep[0].UID
	args, err := json.Marshal(rest.Args)
	if err != nil {
		return a, fmt.Errorf("cache: drop members: %w", err)
	}
	var bodies []int64
	err = c.inTx(func(tx *sql.Tx) error {
		if _, err := tx.Exec(`UPDATE pending_actions SET args = ?, msg_row = ?, uid = ? WHERE id = ?`,
			string(args), rest.MessageID, rest.UID, a.ID); err != nil {
			return err
		}
		for _, m := range drop {
			ids, err := revertMember(tx, a, m)
			if err != nil {
				return err
			}
			bodies = append(bodies, ids...)
		}
		return nil
	})
	if err != nil {
		return a, fmt.Errorf("cache: drop members: %w", err)
	}
	c.removeBodies(bodies)
	return rest, nil
}

// SettleBulk is SettlePlaceholder for the members of a move or delete:
// placed maps a member's UID in the source folder to its UID in the
// target folder. Members missing from placed are settled by the next sync.
func (c *Cache) SettleBulk(a PendingAction, placed map[string]string) error {
	if a.Kind != ActionMove && a.Kind != ActionDelete {
		return nil
	}
	err := c.inTx(func(tx *sql.Tx) error {
		for _, m := range a.Targets() {
			uid := placed[m.UID]
			if uid == "" || IsPlaceholderUID(uid) {
				continue
			}
			if _, err := tx.Exec(`UPDATE OR IGNORE messages SET uid = ? WHERE account = ? AND folder = ? AND uid = ?`,
				uid, a.Account, a.Args.Dest, a.PlaceholderOf(m)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("cache: settle placeholder: %w", err)
	}
	return nil
}

// PendingAction returns one queued action by its id, or ErrNotFound when
// it has left the queue.
func (c *Cache) PendingAction(account string, id int64) (PendingAction, error) {
	acts, err := c.PendingActions(account)
	if err != nil {
		return PendingAction{}, err
	}
	for _, a := range acts {
		if a.ID == id {
			return a, nil
		}
	}
	return PendingAction{}, fmt.Errorf("%w: pending action %d", ErrNotFound, id)
}
