package ui

import (
	"fmt"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

// listing is what the index shows: a folder of one account, or the
// results of a search. Both read only the local cache.
type listing interface {
	count() (int, error)
	page(limit, offset int) ([]accounts.Message, error)
	title() string
}

// folderListing is one folder of one account, read page by page.
type folderListing struct {
	a        *accounts.Account
	folder   string
	threaded bool
	sort     accounts.Sort // the folder's order when not threaded (sort.go)
}

func (l folderListing) count() (int, error) { return l.a.Count(l.folder) }

func (l folderListing) page(limit, offset int) ([]accounts.Message, error) {
	if l.threaded {
		return l.a.ListThreads(l.folder, limit, offset)
	}
	return l.a.ListSorted(l.folder, l.sort, limit, offset)
}

func (l folderListing) title() string {
	t := sanitize.Line(l.a.Name()) + " · " + sanitize.Line(l.folder)
	if l.threaded {
		t += " · threads"
	} else if l.sort != (accounts.Sort{}) {
		t += " · by " + l.sort.String()
	}
	return t
}

// searchListing holds the results of one search across all accounts:
// their ids only, newest first; rows are read a screen at a time.
type searchListing struct {
	set   *accounts.Set
	query string
	ids   []int64
}

// searchLimit bounds how many results a search keeps.
const searchLimit = 5000

func (l *searchListing) count() (int, error) { return len(l.ids), nil }

func (l *searchListing) page(limit, offset int) ([]accounts.Message, error) {
	if offset >= len(l.ids) {
		return nil, nil
	}
	return l.set.MessagesByID(l.ids[offset:min(offset+limit, len(l.ids))])
}

func (l *searchListing) title() string {
	return fmt.Sprintf("search: %s", sanitize.Line(l.query))
}

// unifiedListing merges the inboxes of every account by date.
type unifiedListing struct{ set *accounts.Set }

func (l unifiedListing) count() (int, error) { return l.set.UnifiedCount() }

func (l unifiedListing) page(limit, offset int) ([]accounts.Message, error) {
	return l.set.UnifiedInbox(limit, offset)
}

func (l unifiedListing) title() string { return "All inboxes" }
