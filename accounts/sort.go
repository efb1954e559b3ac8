package accounts

import "github.com/posta-mail/posta/cache"

// Sort is the order of a folder listing (see cache.Sort); the zero value
// is by date, newest first.
type Sort = cache.Sort

// SortKey is what a folder is sorted by.
type SortKey = cache.SortKey

// SortKeys lists the sort keys in the order the reader cycles through them.
var SortKeys = cache.SortKeys

// ListSorted is List in the order s.
func (a *Account) ListSorted(folder string, s Sort, limit, offset int) ([]Message, error) {
	return a.cache.List(cache.Query{Account: a.Name(), Folder: folder, Limit: limit, Offset: offset, Sort: s})
}

// FolderSort returns the sort remembered for a folder (the zero Sort when
// none was chosen).
func (a *Account) FolderSort(folder string) (Sort, error) {
	return a.cache.FolderSort(a.Name(), folder)
}

// SetFolderSort remembers the sort of a folder, in the cache: every posta
// process then lists the folder so.
func (a *Account) SetFolderSort(folder string, s Sort) error {
	return a.cache.SetFolderSort(a.Name(), folder, s)
}
