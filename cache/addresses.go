package cache

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"
	"unicode"

	postamail "github.com/posta-mail/posta/mail"
)

// addressCandidates bounds how many recent messages are read to complete
// one prefix.
const addressCandidates = 500

// Addresses completes an address: people whose name or address has a
// word starting with prefix, from the From, To and Cc of cached mail,
// the most frequent first. It uses the full-text index, so it stays fast
// on large mailboxes.
func (c *Cache) Addresses(prefix string, limit int) ([]postamail.Address, error) {
	word := completionWord(prefix)
	if word == "" {
		return nil, nil
	}
	if err := c.catchUpFTS(); err != nil {
		return nil, fmt.Errorf("cache: addresses: %w", err)
	}
	s, err := c.stmt(`SELECT m.from_json, m.to_json, m.cc_json FROM messages_fts
		JOIN messages m ON m.id = messages_fts.rowid
		WHERE messages_fts MATCH ? ORDER BY m.date DESC LIMIT ?`)
	if err != nil {
		return nil, fmt.Errorf("cache: addresses: %w", err)
	}
	// The word is letters and digits only, so quoting it is enough to
	// keep FTS5 syntax out.
	rows, err := s.Query(`{from_text to_text cc_text} : "`+word+`"*`, addressCandidates)
	if err != nil {
		return nil, fmt.Errorf("cache: addresses: %w", err)
	}
	defer rows.Close()
	type seen struct {
		addr  postamail.Address
		count int
	}
	byAddr := map[string]*seen{}
	for rows.Next() {
		var cols [3]string
		if err := rows.Scan(&cols[0], &cols[1], &cols[2]); err != nil {
			return nil, fmt.Errorf("cache: addresses: %w", err)
		}
		for _, col := range cols {
			var list []postamail.Address
			if json.Unmarshal([]byte(col), &list) != nil {
				continue
			}
			for _, a := range list {
				if a.Addr == "" || !matchesWord(a, word) {
					continue
				}
				key := strings.ToLower(a.Addr)
				if s, ok := byAddr[key]; ok {
					s.count++
					if s.addr.Name == "" {
						s.addr.Name = a.Name
					}
					continue
				}
				byAddr[key] = &seen{addr: a, count: 1}
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	all := make([]*seen, 0, len(byAddr))
	for _, s := range byAddr {
		all = append(all, s)
	}
	sort.Slice(all, func(i, j int) bool {
		if all[i].count != all[j].count {
			return all[i].count > all[j].count
		}
		return all[i].addr.Addr < all[j].addr.Addr
	})
	out := make([]postamail.Address, 0, min(limit, len(all)))
	for _, s := range all {
		if limit > 0 && len(out) == limit {
			break
		}
		out = append(out, s.addr)
	}
	return out, nil
}

// completionWord keeps the first run of letters and digits of prefix,
// lower-cased: what the FTS tokenizer would make of it.
func completionWord(prefix string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(strings.TrimSpace(prefix)) {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			break
		}
		b.WriteRune(r)
	}
	return b.String()
}

// matchesWord reports whether a word of the name or the address starts
// with word (FTS found the message; this finds the address in it).
func matchesWord(a postamail.Address, word string) bool {
	split := func(r rune) bool { return !unicode.IsLetter(r) && !unicode.IsDigit(r) }
	for _, w := range strings.FieldsFunc(strings.ToLower(a.Name+" "+a.Addr), split) {
		if strings.HasPrefix(w, word) {
			return true
		}
	}
	return false
}
