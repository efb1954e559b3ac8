package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AccountState is what the last sync of an account did.
type AccountState struct {
	LastSync  time.Time // when the last sync ended; zero if never
	LastOK    time.Time // when a sync last succeeded; zero if never
	LastError string    // the last sync's error, "" if it succeeded
	// ServerCaps is what the fetch server announced at the last login
	// (IMAP CAPABILITY, POP3 CAPA), nil if never recorded.
	ServerCaps []string
}

// RecordServerCaps keeps what account's fetch server announced at its
// last login.
func (c *Cache) RecordServerCaps(account string, caps []string) error {
	s, err := c.stmt(`INSERT INTO account_state (account, server_caps) VALUES (?, ?)
		ON CONFLICT (account) DO UPDATE SET server_caps = excluded.server_caps`)
	if err == nil {
		_, err = s.Exec(account, strings.Join(caps, " "))
	}
	if err != nil {
		return fmt.Errorf("cache: record server capabilities: %w", err)
	}
	return nil
}

// RecordSync stores the outcome of a sync of account that ended at when.
// syncErr is kept as text; the caller makes sure it holds no secret.
func (c *Cache) RecordSync(account string, when time.Time, syncErr error) error {
	msg := ""
	if syncErr != nil {
		msg = syncErr.Error()
	}
	s, err := c.stmt(`INSERT INTO account_state (account, last_sync, last_ok, last_error) VALUES (?, ?, CASE WHEN ? = '' THEN ? ELSE 0 END, ?)
		ON CONFLICT (account) DO UPDATE SET last_sync = excluded.last_sync, last_error = excluded.last_error,
		last_ok = CASE WHEN excluded.last_error = '' THEN excluded.last_sync ELSE account_state.last_ok END`)
	if err != nil {
		return fmt.Errorf("cache: record sync: %w", err)
	}
	if _, err := s.Exec(account, when.Unix(), msg, when.Unix(), msg); err != nil {
		return fmt.Errorf("cache: record sync: %w", err)
	}
	return nil
}

// AccountState returns the outcome of account's last sync.
func (c *Cache) AccountState(account string) (AccountState, error) {
	s, err := c.stmt(`SELECT last_sync, last_ok, last_error, server_caps FROM account_state WHERE account = ?`)
	if err != nil {
		return AccountState{}, fmt.Errorf("cache: account state: %w", err)
	}
	var last, ok int64
	var st AccountState
	var caps string
	err = s.QueryRow(account).Scan(&last, &ok, &st.LastError, &caps)
	st.ServerCaps = strings.Fields(caps)
	if errors.Is(err, sql.ErrNoRows) {
		return AccountState{}, nil
	}
	if err != nil {
		return AccountState{}, fmt.Errorf("cache: account state: %w", err)
	}
	if last > 0 {
		st.LastSync = time.Unix(last, 0)
	}
	if ok > 0 {
		st.LastOK = time.Unix(ok, 0)
	}
	return st, nil
}
