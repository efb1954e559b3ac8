package cache

import (
	"bytes"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
)

// OutboxItem is a composed message waiting to be sent. It stays in the
// outbox until the server accepted it (OutboxDone).
type OutboxItem struct {
	ID        int64
	Account   string
	From      string
	To        []string
	Created   time.Time
	Attempts  int
	LastError string

	// NextAttempt is when an automatic retry may run (zero: at once).
	NextAttempt time.Time
	// Permanent means the server refused the message for good (a 5xx
	// reply): it is kept, but only retried on explicit request.
	Permanent bool

	// SendingPID is the process that claimed the item to send it
	// (OutboxClaim), 0 if none; the claim may have run out by
	// SendingUntil, or its process may be gone.
	SendingPID   int
	SendingUntil time.Time

	// SendAt is when the message may be sent (send later, undo send);
	// zero means at once. Until then nobody claims it.
	SendAt time.Time
	// Held means the message was taken back (undo send, edit) and is
	// being reopened in a composer: nobody sends it.
	Held bool
}

// Due reports whether the item may be sent at now: not held, its send
// time come, and any retry backoff elapsed. A permanently refused item
// is due only on explicit request, which Due does not judge.
func (it OutboxItem) Due(now time.Time) bool {
	return !it.Held && !now.Before(it.SendAt) && !now.Before(it.NextAttempt)
}

// OutboxNotDueError is returned by OutboxClaim for an item that nobody
// may send now: it is held (taken back into a composer), or its send
// time has not come.
type OutboxNotDueError struct {
	ID     int64
	Held   bool
	PID    int // the process holding it, when Held
	SendAt time.Time
}

func (e *OutboxNotDueError) Error() string {
	if e.Held {
		return fmt.Sprintf("outbox item %d is taken back for editing by posta (pid %d)", e.ID, e.PID)
	}
	return fmt.Sprintf("outbox item %d is to be sent at %s", e.ID, e.SendAt.Local().Format("2006-01-02 15:04:05"))
}

// OutboxClaimTTL is how long an OutboxClaim lasts: long enough for one
// SMTP submission, short enough that a message claimed by a process that
// hung is sent by another one later. A claim whose process is gone is
// void at once.
const OutboxClaimTTL = 10 * time.Minute

// OutboxClaimedError is returned by OutboxClaim when another live
// process (or another goroutine of this one) is sending the item.
type OutboxClaimedError struct {
	ID    int64
	PID   int       // the process sending it
	Until time.Time // when its claim runs out
	Self  bool      // the claim is this process's
}

func (e *OutboxClaimedError) Error() string {
	if e.Self {
		return fmt.Sprintf("outbox item %d is already being sent", e.ID)
	}
	return fmt.Sprintf("outbox item %d is being sent by another posta process (pid %d)", e.ID, e.PID)
}

// outboxMeta is the sidecar file written next to the raw message, from
// which Open restores an item whose row was lost (crash, damaged index).
type outboxMeta struct {
	Account string    `json:"account"`
	From    string    `json:"from"`
	To      []string  `json:"to"`
	Created time.Time `json:"created"`
	// SendAt is the item's send time (Unix seconds, 0: at once), so that
	// an item restored from its files is not sent before its time.
	SendAt int64 `json:"send_at,omitempty"`
}

// OutboxAdd saves a composed message before it is sent. raw and its
// metadata are written durably (files and directory fsynced) before the row
// is committed and OutboxAdd returns.
func (c *Cache) OutboxAdd(account, from string, to []string, raw []byte) (OutboxItem, error) {
	return c.OutboxAddAt(account, from, to, raw, time.Time{})
}

// OutboxAddAt is OutboxAdd for a message that may not be sent before
// sendAt (send later, undo send); a zero sendAt means at once. The time
// is kept to the second, rounded up, so a message is never sent early.
func (c *Cache) OutboxAddAt(account, from string, to []string, raw []byte, sendAt time.Time) (OutboxItem, error) {
	return c.OutboxAddDraft(account, from, to, raw, nil, sendAt)
}

// OutboxAddDraft is OutboxAddAt keeping beside the message the draft it
// was made from (a saved draft's text, see OutboxDraft), for a message
// whose own text cannot be edited back (signed or encrypted); nil keeps
// none. The draft leaves with the message.
func (c *Cache) OutboxAddDraft(account, from string, to []string, raw, draft []byte, sendAt time.Time) (OutboxItem, error) {
	created := c.now().UTC().Truncate(time.Second)
	at := unixCeil(sendAt)
	name := fmt.Sprintf("%d-%s", created.UnixNano(), randomHex(6))
	dir := outboxDir(c.dataDir)
	if _, err := writeDurable(dir, filepath.Join(dir, name+".eml"), bytes.NewReader(raw)); err != nil {
		return OutboxItem{}, fmt.Errorf("cache: outbox add: %w", err)
	}
	if draft != nil {
		if _, err := writeDurable(dir, filepath.Join(dir, name+".draft"), bytes.NewReader(draft)); err != nil {
			os.Remove(filepath.Join(dir, name+".eml"))
			return OutboxItem{}, fmt.Errorf("cache: outbox add: %w", err)
		}
	}
	m := outboxMeta{Account: account, From: from, To: to, Created: created, SendAt: at}
	meta, err := json.Marshal(m)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("cache: outbox add: %w", err)
	}
	if _, err := writeDurable(dir, filepath.Join(dir, name+".json"), bytes.NewReader(meta)); err != nil {
		return OutboxItem{}, fmt.Errorf("cache: outbox add: %w", err)
	}
	id, err := insertOutboxRow(c.db, name, m)
	if err != nil {
		// Not saved as far as the caller knows: do not let Open bring it back.
		os.Remove(filepath.Join(dir, name+".json"))
		os.Remove(filepath.Join(dir, name+".eml"))
		os.Remove(filepath.Join(dir, name+".draft"))
		return OutboxItem{}, fmt.Errorf("cache: outbox add: %w", err)
	}
	it := OutboxItem{ID: id, Account: account, From: from, To: to, Created: created}
	if at != 0 {
		it.SendAt = time.Unix(at, 0).UTC()
	}
	return it, nil
}

// unixCeil is t in Unix seconds, rounded up; 0 for the zero time.
func unixCeil(t time.Time) int64 {
	if t.IsZero() {
		return 0
	}
	s := t.Unix()
	if t.Nanosecond() > 0 {
		s++
	}
	return s
}

type execer interface {
	Exec(query string, args ...any) (sql.Result, error)
}

type queryExecer interface {
	execer
	QueryRow(query string, args ...any) *sql.Row
}

// insertOutboxRow adds the row of the outbox files name, or returns the
// id of the row they have (another process's Open may have restored it
// from the files meanwhile).
func insertOutboxRow(db queryExecer, name string, m outboxMeta) (int64, error) {
	to, err := json.Marshal(m.To)
	if err != nil {
		return 0, err
	}
	res, err := db.Exec(`INSERT INTO outbox (account, from_addr, to_json, created, file, send_at) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (file) DO NOTHING`,
		m.Account, m.From, string(to), m.Created.Unix(), name, m.SendAt)
	if err != nil {
		return 0, err
	}
	if n, _ := res.RowsAffected(); n == 1 {
		return res.LastInsertId()
	}
	var id int64
	err = db.QueryRow(`SELECT id FROM outbox WHERE file = ?`, name).Scan(&id)
	return id, err
}

// Outbox lists the items waiting to be sent, oldest first; "" means all accounts.
func (c *Cache) Outbox(account string) ([]OutboxItem, error) {
	s, err := c.stmt(`SELECT ` + outboxColumns + ` FROM outbox WHERE ? = '' OR account = ? ORDER BY created, id`)
	if err != nil {
		return nil, fmt.Errorf("cache: outbox: %w", err)
	}
	rows, err := s.Query(account, account)
	if err != nil {
		return nil, fmt.Errorf("cache: outbox: %w", err)
	}
	defer rows.Close()
	var out []OutboxItem
	for rows.Next() {
		it, err := scanOutboxItem(rows)
		if err != nil {
			return nil, fmt.Errorf("cache: outbox: %w", err)
		}
		out = append(out, it)
	}
	return out, rows.Err()
}

const outboxColumns = `id, account, from_addr, to_json, created, attempts, last_error, next_attempt, permanent,
	claim_pid, claim_expires, send_at, held`

func scanOutboxItem(row interface{ Scan(...any) error }) (OutboxItem, error) {
	var it OutboxItem
	var to string
	var created, next, claimExpires, sendAt int64
	if err := row.Scan(&it.ID, &it.Account, &it.From, &to, &created, &it.Attempts, &it.LastError,
		&next, &it.Permanent, &it.SendingPID, &claimExpires, &sendAt, &it.Held); err != nil {
		return OutboxItem{}, err
	}
	json.Unmarshal([]byte(to), &it.To) // our own encoding
	it.Created = time.Unix(created, 0).UTC()
	if next != 0 {
		it.NextAttempt = time.Unix(next, 0).UTC()
	}
	if claimExpires != 0 {
		it.SendingUntil = time.UnixMilli(claimExpires).UTC()
	}
	if sendAt != 0 {
		it.SendAt = time.Unix(sendAt, 0).UTC()
	}
	return it, nil
}

// OutboxClaim claims an outbox item for sending by this process for ttl
// (OutboxClaimTTL when ttl <= 0), so that no other process, and no other
// goroutine of this one, sends it meanwhile. It returns the item as it is
// now. The claim is one UPDATE that only succeeds if the item is not
// claimed, its claim ran out, or the claiming process is gone.
//
// A claimed item must end in OutboxDone (sent), OutboxRetryLater or
// OutboxFail (not sent; they release the claim) or OutboxRelease. The
// error is a *OutboxClaimedError if someone else is sending the item, a
// *OutboxNotDueError if it is held or its send time has not come (the
// same UPDATE checks both, so a message taken back is never claimed), and
// wraps ErrNotFound if it left the outbox (sent by another process).
func (c *Cache) OutboxClaim(id int64, ttl time.Duration) (OutboxItem, error) {
	if ttl <= 0 {
		ttl = OutboxClaimTTL
	}
	now := c.now()
	claim := func(extra string, args ...any) (bool, error) {
		res, err := c.db.Exec(`UPDATE outbox SET claimed_by = ?, claim_pid = ?, claim_host = ?, claim_expires = ?
			WHERE id = ? AND held = 0 AND send_at <= ? AND (claimed_by = '' OR claim_expires <= ?`+extra+`)`,
			append([]any{c.token, c.pid, c.host, now.Add(ttl).UnixMilli(), id, now.Unix(), now.UnixMilli()}, args...)...)
		if err != nil {
			return false, fmt.Errorf("cache: outbox claim: %w", err)
		}
		n, _ := res.RowsAffected()
		return n == 1, nil
	}
	ok, err := claim("")
	if err != nil {
		return OutboxItem{}, err
	}
	if !ok {
		var by, host string
		var pid int
		var until, sendAt int64
		var held bool
		err := c.db.QueryRow(`SELECT claimed_by, claim_pid, claim_host, claim_expires, send_at, held FROM outbox WHERE id = ?`, id).
			Scan(&by, &pid, &host, &until, &sendAt, &held)
		if errors.Is(err, sql.ErrNoRows) {
			return OutboxItem{}, fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
		}
		if err != nil {
			return OutboxItem{}, fmt.Errorf("cache: outbox claim: %w", err)
		}
		if held || sendAt > now.Unix() {
			e := &OutboxNotDueError{ID: id, Held: held, PID: pid}
			if sendAt != 0 {
				e.SendAt = time.Unix(sendAt, 0).UTC()
			}
			return OutboxItem{}, e
		}
		if by != "" && !c.processAlive(pid, host) {
			// The claimer is gone: take the claim over from exactly it.
			if ok, err = claim(` OR claimed_by = ?`, by); err != nil {
				return OutboxItem{}, err
			}
		}
		if !ok {
			return OutboxItem{}, &OutboxClaimedError{ID: id, PID: pid, Until: time.UnixMilli(until),
				Self: pid == c.pid && host == c.host}
		}
	}
	it, err := scanOutboxItem(c.db.QueryRow(`SELECT `+outboxColumns+` FROM outbox WHERE id = ?`, id))
	if errors.Is(err, sql.ErrNoRows) {
		return OutboxItem{}, fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
	}
	if err != nil {
		return OutboxItem{}, fmt.Errorf("cache: outbox claim: %w", err)
	}
	return it, nil
}

// OutboxRelease gives up this process's claim on an item without
// recording an attempt (nothing was sent).
func (c *Cache) OutboxRelease(id int64) error {
	_, err := c.db.Exec(`UPDATE outbox SET claimed_by = '', claim_pid = 0, claim_host = '', claim_expires = 0
		WHERE id = ? AND claimed_by = ?`, id, c.token)
	if err != nil {
		return fmt.Errorf("cache: outbox release: %w", err)
	}
	return nil
}

func (c *Cache) outboxFile(id int64) (string, error) {
	s, err := c.stmt(`SELECT file FROM outbox WHERE id = ?`)
	if err != nil {
		return "", fmt.Errorf("cache: outbox: %w", err)
	}
	var name string
	err = s.QueryRow(id).Scan(&name)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
	}
	if err != nil {
		return "", fmt.Errorf("cache: outbox: %w", err)
	}
	return filepath.Join(outboxDir(c.dataDir), name), nil
}

// OutboxOpen opens the raw message of an outbox item.
func (c *Cache) OutboxOpen(id int64) (io.ReadCloser, error) {
	base, err := c.outboxFile(id)
	if err != nil {
		return nil, err
	}
	f, err := os.Open(base + ".eml")
	if err != nil {
		return nil, fmt.Errorf("cache: outbox open: %w", err)
	}
	return f, nil
}

// OutboxFail records a failed send attempt: attempts++ and the error
// text; the item may be retried at once.
func (c *Cache) OutboxFail(id int64, sendErr error) error {
	return c.OutboxRetryLater(id, sendErr, time.Time{}, false)
}

// OutboxRetryLater records a failed send attempt (attempts++, the error
// text), when an automatic retry may run next, and whether the failure is
// permanent (then no automatic retry runs at all). It releases this
// process's claim on the item (OutboxClaim).
func (c *Cache) OutboxRetryLater(id int64, sendErr error, next time.Time, permanent bool) error {
	text := ""
	if sendErr != nil {
		text = sendErr.Error()
	}
	var nextUnix int64
	if !next.IsZero() {
		nextUnix = next.Unix()
	}
	// The right-hand sides see the row as it was: claimed_by is the old
	// claimer in every iif.
	s, err := c.stmt(`UPDATE outbox SET attempts = attempts + 1, last_error = ?1, next_attempt = ?2, permanent = ?3,
		claimed_by = iif(claimed_by = ?4, '', claimed_by), claim_pid = iif(claimed_by = ?4, 0, claim_pid),
		claim_host = iif(claimed_by = ?4, '', claim_host), claim_expires = iif(claimed_by = ?4, 0, claim_expires)
		WHERE id = ?5`)
	if err != nil {
		return fmt.Errorf("cache: outbox fail: %w", err)
	}
	res, err := s.Exec(text, nextUnix, permanent, c.token, id)
	if err != nil {
		return fmt.Errorf("cache: outbox fail: %w", err)
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return fmt.Errorf("%w: outbox item %d", ErrNotFound, id)
	}
	return nil
}

// OutboxDone removes an item once the server accepted it. The metadata
// file goes first, so that a crash midway can never bring the item back
// from the files (which would send it twice).
func (c *Cache) OutboxDone(id int64) error {
	base, err := c.outboxFile(id)
	if err != nil {
		return err
	}
	if err := os.Remove(base + ".json"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cache: outbox done: %w", err)
	}
	if err := syncDir(filepath.Dir(base)); err != nil {
		return err
	}
	if _, err := c.db.Exec(`DELETE FROM outbox WHERE id = ?`, id); err != nil {
		return fmt.Errorf("cache: outbox done: %w", err)
	}
	if err := os.Remove(base + ".eml"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cache: outbox done: %w", err)
	}
	if err := os.Remove(base + ".draft"); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("cache: outbox done: %w", err)
	}
	return nil
}

// reconcileOutbox restores rows for outbox files whose row is missing.
func (c *Cache) reconcileOutbox() error {
	names, err := readNames(outboxDir(c.dataDir))
	if err != nil {
		return err
	}
	return c.inTx(func(tx *sql.Tx) error {
		for _, n := range names {
			name, ok := strings.CutSuffix(n, ".json")
			if !ok {
				continue
			}
			base := filepath.Join(outboxDir(c.dataDir), name)
			if _, err := os.Stat(base + ".eml"); err != nil {
				continue
			}
			var exists int
			if err := tx.QueryRow(`SELECT COUNT(*) FROM outbox WHERE file = ?`, name).Scan(&exists); err != nil {
				return err
			}
			if exists > 0 {
				continue
			}
			b, err := os.ReadFile(base + ".json")
			if err != nil {
				return err
			}
			var m outboxMeta
			if json.Unmarshal(b, &m) != nil {
				continue
			}
			if _, err := insertOutboxRow(tx, name, m); err != nil {
				return err
			}
		}
		return nil
	})
}
