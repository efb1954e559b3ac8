package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"
)

// AutocryptPeer is what an account knows of a correspondent from the
// Autocrypt: headers of their mail (Autocrypt Level 1, "peer state").
type AutocryptPeer struct {
	Addr          string    // lower case
	LastSeen      time.Time // the newest message from the address
	AutocryptTS   time.Time // the newest message that carried a header
	KeyData       []byte    // the OpenPGP key of that header (binary)
	PreferEncrypt string    // "mutual" or ""
}

// NoteAutocrypt updates the peer state of addr in account from a message
// of date: with keydata (a valid Autocrypt header) the key and
// preference are replaced when the message is newer than the last one
// that carried a header; without, only last_seen moves, and only for a
// peer already known. Dates in the future count as now, as the
// specification says.
func (c *Cache) NoteAutocrypt(account, addr string, date time.Time, keydata []byte, prefer string) error {
	addr = strings.ToLower(strings.TrimSpace(addr))
	if addr == "" {
		return nil
	}
	if now := time.Now(); date.After(now) {
		date = now
	}
	if prefer != "mutual" {
		prefer = ""
	}
	var (
		s   *sql.Stmt
		err error
	)
	if len(keydata) == 0 {
		s, err = c.stmt(`UPDATE autocrypt_peers SET last_seen = MAX(last_seen, ?) WHERE account = ? AND addr = ?`)
		if err == nil {
			_, err = s.Exec(date.Unix(), account, addr)
		}
	} else {
		s, err = c.stmt(`INSERT INTO autocrypt_peers (account, addr, last_seen, autocrypt_ts, keydata, prefer_encrypt)
			VALUES (?, ?, ?, ?, ?, ?)
			ON CONFLICT (account, addr) DO UPDATE SET
			keydata = CASE WHEN excluded.autocrypt_ts > autocrypt_peers.autocrypt_ts THEN excluded.keydata ELSE autocrypt_peers.keydata END,
			prefer_encrypt = CASE WHEN excluded.autocrypt_ts > autocrypt_peers.autocrypt_ts THEN excluded.prefer_encrypt ELSE autocrypt_peers.prefer_encrypt END,
			autocrypt_ts = MAX(autocrypt_peers.autocrypt_ts, excluded.autocrypt_ts),
			last_seen = MAX(autocrypt_peers.last_seen, excluded.last_seen)`)
		if err == nil {
			_, err = s.Exec(account, addr, date.Unix(), date.Unix(), keydata, prefer)
		}
	}
	if err != nil {
		return fmt.Errorf("cache: autocrypt peer: %w", err)
	}
	return nil
}

// AutocryptPeerOf returns account's peer state for addr; ok is false
// when no Autocrypt header from it was seen.
func (c *Cache) AutocryptPeerOf(account, addr string) (p AutocryptPeer, ok bool, err error) {
	s, err := c.stmt(`SELECT addr, last_seen, autocrypt_ts, keydata, prefer_encrypt FROM autocrypt_peers WHERE account = ? AND addr = ?`)
	if err != nil {
		return p, false, fmt.Errorf("cache: autocrypt peer: %w", err)
	}
	p, err = scanPeer(s.QueryRow(account, strings.ToLower(strings.TrimSpace(addr))))
	if errors.Is(err, sql.ErrNoRows) {
		return p, false, nil
	}
	if err != nil {
		return p, false, fmt.Errorf("cache: autocrypt peer: %w", err)
	}
	return p, len(p.KeyData) > 0, nil
}

// AutocryptPeers lists account's peers, by address.
func (c *Cache) AutocryptPeers(account string) ([]AutocryptPeer, error) {
	s, err := c.stmt(`SELECT addr, last_seen, autocrypt_ts, keydata, prefer_encrypt FROM autocrypt_peers WHERE account = ? ORDER BY addr`)
	if err != nil {
		return nil, fmt.Errorf("cache: autocrypt peers: %w", err)
	}
	rows, err := s.Query(account)
	if err != nil {
		return nil, fmt.Errorf("cache: autocrypt peers: %w", err)
	}
	defer rows.Close()
	var out []AutocryptPeer
	for rows.Next() {
		p, err := scanPeer(rows)
		if err != nil {
			return nil, fmt.Errorf("cache: autocrypt peers: %w", err)
		}
		out = append(out, p)
	}
	return out, rows.Err()
}

func scanPeer(r interface{ Scan(...any) error }) (AutocryptPeer, error) {
	var p AutocryptPeer
	var seen, ts int64
	err := r.Scan(&p.Addr, &seen, &ts, &p.KeyData, &p.PreferEncrypt)
	p.LastSeen, p.AutocryptTS = time.Unix(seen, 0), time.Unix(ts, 0)
	return p, err
}
