package accounts

import (
	"context"
	"errors"
	"sort"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
)

// Addresses completes a name or address from the mail in the cache, the
// most frequent correspondents first.
func (s *Set) Addresses(prefix string, limit int) ([]mail.Address, error) {
	return s.cache.Addresses(prefix, limit)
}

// SearchServers runs a text query on the IMAP servers too (UID SEARCH
// TEXT in every cached folder), for mail whose body is not in the local
// index. Queries with operators (from:, is:, …) stay local: it returns
// nil for them. account "" means every account. Accounts whose server
// fails are skipped; their errors are joined in the error, which comes
// with whatever the others found.
func (s *Set) SearchServers(ctx context.Context, query, account string) ([]Message, error) {
	terms, ok := cache.TextTerms(query)
	if !ok {
		return nil, nil
	}
	var (
		found []Message
		errs  []error
	)
	for _, a := range s.Accounts {
		if account != "" && a.Name() != account {
			continue
		}
		msgs, err := a.searchServer(ctx, terms)
		if err != nil {
			errs = append(errs, err)
		}
		found = append(found, msgs...)
	}
	return found, errors.Join(errs...)
}

func (a *Account) searchServer(ctx context.Context, terms []string) ([]Message, error) {
	srch := a.fg.opt.searcher
	if srch == nil {
		return nil, nil // POP3: everything is local already
	}
	folders, err := a.cache.Folders(a.Name())
	if err != nil {
		return nil, err
	}
	a.lockFG()
	defer a.fg.mu.Unlock()
	var found []Message
	for _, f := range folders {
		uids, err := srch.SearchText(ctx, f.Name, terms)
		if err != nil {
			return found, explain(a.Name(), a.Kind(), a.cfg.Fetch.ServerConfig, err)
		}
		msgs, err := a.cache.MessagesByUID(a.Name(), f.Name, uids)
		if err != nil {
			return found, err
		}
		found = append(found, msgs...)
	}
	return found, nil
}

// MergeResults adds to local the messages of remote it lacks, newest
// first, as search results are shown.
func MergeResults(local, remote []Message) []Message {
	seen := make(map[int64]bool, len(local))
	for _, m := range local {
		seen[m.ID] = true
	}
	out := append([]Message(nil), local...)
	for _, m := range remote {
		if !seen[m.ID] {
			seen[m.ID] = true
			out = append(out, m)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Date.Equal(out[j].Date) {
			return out[i].Date.After(out[j].Date)
		}
		return out[i].ID > out[j].ID
	})
	return out
}

// ServerSearchable reports whether SearchServers would ask the servers
// about query: plain words and phrases only.
func ServerSearchable(query string) bool {
	_, ok := cache.TextTerms(query)
	return ok
}

// SearchIDs is Search returning only message ids, newest first: a listing
// pages through them with MessagesByID instead of building every row.
func (s *Set) SearchIDs(query string, limit int) ([]int64, error) {
	return s.cache.SearchIDs(cache.SearchQuery{Text: query, Limit: limit})
}

// MessagesByID returns the cached messages with these ids, in order.
func (s *Set) MessagesByID(ids []int64) ([]Message, error) { return s.cache.MessagesByID(ids) }

// MergeIDs adds the ids of remote that local lacks and orders them all
// newest first.
func (s *Set) MergeIDs(local []int64, remote []Message) ([]int64, error) {
	seen := make(map[int64]bool, len(local))
	all := append([]int64(nil), local...)
	for _, id := range local {
		seen[id] = true
	}
	for _, m := range remote {
		if !seen[m.ID] {
			seen[m.ID] = true
			all = append(all, m.ID)
		}
	}
	return s.cache.SortByDate(all)
}
