package cache

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"time"
)

// Taking a message back from the outbox (undo send, editing or
// cancelling scheduled mail) races with every process that may send it.
// OutboxHold settles the race in one UPDATE, as OutboxClaim does: it
// succeeds only while nobody is sending the item, and once it did, no
// claim succeeds (OutboxClaim requires held = 0). Either the message is
// taken back or it is sent, never both.

// OutboxHold takes an item back from the outbox: it is marked held, and
// no process sends it until OutboxUnhold; the caller then reads it
// (OutboxOpen) and removes it (OutboxDone) once it is safe elsewhere (a
// composer's draft file), or gives it back with OutboxUnhold. The error
// wraps ErrNotFound if the item left the outbox (it was sent), is a
// *OutboxClaimedError if a live process is sending it right now, and a
// *OutboxNotDueError with Held set if it is already held.
func (c *Cache) OutboxHold(id int64) (OutboxItem, error) {
	now := c.now()
	hold := func(extra string, args ...any) (bool, error) {
		res, err := c.db.Exec(`UPDATE outbox SET held = 1
			WHERE id = ? AND held = 0 AND (claimed_by = '' OR claim_expires <= ?`+extra+`)`,
			append([]any{id, now.UnixMilli()}, args...)...)
		if err != nil {
			return false, fmt.Errorf("cache: outbox hold: %w", err)
		}
		n, _ := res.RowsAffected()
		return n == 1, nil
	}
	ok, err := hold("")
	if err != nil {
		return OutboxItem{}, err
	}
	if !ok {
		var by, host string
		var pid int
		var until int64
		var held bool
		err := c.db.QueryRow(`SELECT claimed_by, claim_pid, claim_host, claim_expires, held FROM outbox WHERE id = ?`, id).
			Scan(&by, &pid, &host, &until, &held)
		if errors.Is(err, sql.ErrNoRows) {
			return OutboxItem{}, fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
		}
		if err != nil {
			return OutboxItem{}, fmt.Errorf("cache: outbox hold: %w", err)
		}
		if held {
			return OutboxItem{}, &OutboxNotDueError{ID: id, Held: true}
		}
		if by != "" && !c.processAlive(pid, host) {
			// The sender is gone before the server accepted the message
			// (it would have left the outbox): take it from exactly it.
			if ok, err = hold(` OR claimed_by = ?`, by); err != nil {
				return OutboxItem{}, err
			}
		}
		if !ok {
			return OutboxItem{}, &OutboxClaimedError{ID: id, PID: pid, Until: time.UnixMilli(until),
				Self: pid == c.pid && host == c.host}
		}
	}
	// A dead sender's claim goes with the hold: it must not keep the item
	// claimed once it is given back.
	if _, err := c.db.Exec(`UPDATE outbox SET claimed_by = '', claim_pid = 0, claim_host = '', claim_expires = 0
		WHERE id = ? AND held = 1`, id); err != nil {
		return OutboxItem{}, fmt.Errorf("cache: outbox hold: %w", err)
	}
	it, err := scanOutboxItem(c.db.QueryRow(`SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if err != nil {
		return OutboxItem{}, fmt.Errorf("cache: outbox hold: %w", err)
	}
	return it, nil
}

// OutboxUnhold gives a held item back to the outbox: it is sent when it
// is due, as before OutboxHold.
func (c *Cache) OutboxUnhold(id int64) error {
	res, err := c.db.Exec(`UPDATE outbox SET held = 0 WHERE id = ?`, id)
	if err != nil {
		return fmt.Errorf("cache: outbox unhold: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
	}
	return nil
}

// OutboxCancel removes an item from the outbox without sending it, if
// nobody is sending it now (errors as OutboxHold's; a held item is
// cancelled too: it was taken back, and is cancelled by its holder's
// choice or by the user's).
func (c *Cache) OutboxCancel(id int64) error {
	_, err := c.OutboxHold(id)
	var notDue *OutboxNotDueError
	if err != nil && !(errors.As(err, &notDue) && notDue.Held) {
		return err
	}
	return c.OutboxDone(id)
}

// OutboxReschedule sets when an item may be sent (zero: at once). It
// fails with a *OutboxClaimedError when a process is sending the item
// now, and wraps ErrNotFound when it left the outbox. The item's
// metadata file gets the new time too, so that an item restored from its
// files is not sent before it.
func (c *Cache) OutboxReschedule(id int64, sendAt time.Time) error {
	at := unixCeil(sendAt)
	now := c.now()
	res, err := c.db.Exec(`UPDATE outbox SET send_at = ? WHERE id = ? AND (claimed_by = '' OR claim_expires <= ?)`,
		at, id, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("cache: outbox reschedule: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var pid int
		var host string
		var until int64
		err := c.db.QueryRow(`SELECT claim_pid, claim_host, claim_expires FROM outbox WHERE id = ?`, id).Scan(&pid, &host, &until)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("cache: outbox reschedule: %w", err)
		}
		return &OutboxClaimedError{ID: id, PID: pid, Until: time.UnixMilli(until), Self: pid == c.pid && host == c.host}
	}
	base, err := c.outboxFile(id)
	if err != nil {
		return err
	}
	b, err := os.ReadFile(base + ".json")
	if err != nil {
		return fmt.Errorf("cache: outbox reschedule: %w", err)
	}
	var m outboxMeta
	if err := json.Unmarshal(b, &m); err != nil {
		return fmt.Errorf("cache: outbox reschedule: %s: %w", base+".json", err)
	}
	m.SendAt = at
	if b, err = json.Marshal(m); err != nil {
		return fmt.Errorf("cache: outbox reschedule: %w", err)
	}
	if _, err := writeDurable(outboxDir(c.dataDir), base+".json", bytes.NewReader(b)); err != nil {
		return fmt.Errorf("cache: outbox reschedule: %w", err)
	}
	return nil
}

// OutboxItem returns one item of the outbox; the error wraps ErrNotFound
// when it is not (or no longer) there.
func (c *Cache) OutboxItem(id int64) (OutboxItem, error) {
	it, err := scanOutboxItem(c.db.QueryRow(`SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxItem{}, fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
	}
	if err != nil {
		return OutboxItem{}, fmt.Errorf("cache: outbox: %w", err)
	}
	return it, nil
}
