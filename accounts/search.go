package accounts

import "github.com/posta-mail/posta/cache"

// Search looks through the local index of every account with posta's
// query syntax (see cache.SearchQuery); it never touches the network.
func (s *Set) Search(query string, limit int) ([]Message, error) {
	return s.Cache.Search(cache.SearchQuery{Text: query, Limit: limit})
}
