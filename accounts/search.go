package accounts

import (
	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
)

// Search looks through the local index of every account with posta's
// query syntax (see cache.SearchQuery); it never touches the network.
func (s *Set) Search(query string, limit int) ([]Message, error) {
	return s.Cache.Search(cache.SearchQuery{Text: query, Limit: limit})
}

// Addresses completes a name or address from the mail in the cache, the
// most frequent correspondents first.
func (s *Set) Addresses(prefix string, limit int) ([]mail.Address, error) {
	return s.Cache.Addresses(prefix, limit)
}
