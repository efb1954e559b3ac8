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

// OutboxHold takes an item back from the outbox: it is marked held by
// this process, and no process sends it until OutboxUnhold; the caller
// then reads it (OutboxOpen) and removes it (OutboxDone) once it is safe
// elsewhere (a composer's draft file), or gives it back with
// OutboxUnhold. A hold is recorded like a claim (this process, without
// a time limit): an item held by a process that is gone can be taken
// back again by another (it stays held meanwhile: it was taken back
// to be changed, so it is not sent). The error wraps ErrNotFound if the
// item left the outbox (it was sent), is a *OutboxClaimedError if a live
// process is sending it right now, and a *OutboxNotDueError with Held set
// if a live process holds it.
func (c *Cache) OutboxHold(id int64) (OutboxItem, error) {
	now := c.now()
	hold := func(cond string, args ...any) (bool, error) {
		res, err := c.db.Exec(`UPDATE outbox SET held = 1, claimed_by = ?, claim_pid = ?, claim_host = ?, claim_expires = ?
			WHERE id = ? AND `+cond,
			append([]any{c.token, c.pid, c.host, now.Add(outboxHoldTTL).UnixMilli(), id}, args...)...)
		if err != nil {
			return false, fmt.Errorf("cache: outbox hold: %w", err)
		}
		n, _ := res.RowsAffected()
		return n == 1, nil
	}
	ok, err := hold(`held = 0 AND (claimed_by = '' OR claim_expires <= ?)`, now.UnixMilli())
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
		if by == "" || !c.processAlive(pid, host) {
			// The sender is gone before the server accepted the message
			// (it would have left the outbox), or the process that held
			// it is: take it over from exactly it.
			if ok, err = hold(`held = ? AND claimed_by = ?`, held, by); err != nil {
				return OutboxItem{}, err
			}
		}
		if !ok && held {
			return OutboxItem{}, &OutboxNotDueError{ID: id, Held: true, PID: pid}
		}
		if !ok {
			return OutboxItem{}, &OutboxClaimedError{ID: id, PID: pid, Until: time.UnixMilli(until),
				Self: pid == c.pid && host == c.host}
		}
	}
	it, err := scanOutboxItem(c.db.QueryRow(`SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if err != nil {
		return OutboxItem{}, fmt.Errorf("cache: outbox hold: %w", err)
	}
	return it, nil
}

// outboxHoldTTL is how long a hold is recorded for: while its process
// lives it holds (a user may keep a message open in the composer for
// long); a hold of a process that is gone is void at once anyway.
const outboxHoldTTL = 10 * 365 * 24 * time.Hour

// OutboxUnhold gives a held item back to the outbox: it is sent when it
// is due, as before OutboxHold.
func (c *Cache) OutboxUnhold(id int64) error {
	res, err := c.db.Exec(`UPDATE outbox SET held = 0, claimed_by = '', claim_pid = 0, claim_host = '', claim_expires = 0
		WHERE id = ? AND held = 1`, id)
	if err != nil {
		return fmt.Errorf("cache: outbox unhold: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		if _, err := c.OutboxItem(id); err != nil {
			return err
		}
	}
	return nil
}

// OutboxCancel removes an item from the outbox without sending it, if
// nobody is sending or holding it now (errors as OutboxHold's; an item
// this process holds is cancelled too).
func (c *Cache) OutboxCancel(id int64) error {
	_, err := c.OutboxHold(id)
	var notDue *OutboxNotDueError
	if errors.As(err, &notDue) && notDue.Held && notDue.PID == c.pid {
		if it, ierr := c.OutboxItem(id); ierr == nil && it.Held && it.SendingPID == c.pid {
			err = nil // held by this process (a composer of ours): its choice
		}
	}
	if err != nil {
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
	res, err := c.db.Exec(`UPDATE outbox SET send_at = ? WHERE id = ? AND held = 0 AND (claimed_by = '' OR claim_expires <= ?)`,
		at, id, now.UnixMilli())
	if err != nil {
		return fmt.Errorf("cache: outbox reschedule: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		var pid int
		var host string
		var until int64
		var held bool
		err := c.db.QueryRow(`SELECT claim_pid, claim_host, claim_expires, held FROM outbox WHERE id = ?`, id).Scan(&pid, &host, &until, &held)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
		}
		if err != nil {
			return fmt.Errorf("cache: outbox reschedule: %w", err)
		}
		if held {
			return &OutboxNotDueError{ID: id, Held: true, PID: pid}
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

// OutboxDraft returns the draft kept beside an outbox item
// (OutboxAddDraft); the error wraps ErrNotFound when none was kept.
func (c *Cache) OutboxDraft(id int64) ([]byte, error) {
	base, err := c.outboxFile(id)
	if err != nil {
		return nil, err
	}
	b, err := os.ReadFile(base + ".draft")
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w: no draft kept for outbox item %d", ErrNotFound, id)
	}
	if err != nil {
		return nil, fmt.Errorf("cache: outbox draft: %w", err)
	}
	return b, nil
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
