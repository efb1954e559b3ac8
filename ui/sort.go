package ui

import (
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/keymap"
)

// Sorting a folder: o cycles through the sort keys, O reverses the
// order. Each folder keeps its sort, in the cache (accounts.SetFolderSort).
// Thread order, search results and the merged inboxes are not sorted.

// folderSort returns the sort of the folder on screen.
func (m *Model) folderSort() accounts.Sort {
	if len(m.folders) == 0 {
		return accounts.Sort{}
	}
	s, err := m.account().FolderSort(m.folderName())
	if err != nil {
		return accounts.Sort{}
	}
	return s
}

// sortKey handles o and O; ok is false for any other key.
func (m Model) sortKey(msg tea.KeyMsg) (tea.Model, bool) {
	next := m.keys.is(msg, keymap.Index, "sort")
	if !next && !m.keys.is(msg, keymap.Index, "sort_reverse") {
		return m, false
	}
	if m.search != nil || m.unified || m.threaded || len(m.folders) == 0 {
		m.setInfo("Only a folder in date order can be sorted (t: leave thread order)")
		return m, true
	}
	s := m.folderSort()
	if next {
		s.Key = nextSortKey(s.Key)
	} else {
		s.Reverse = !s.Reverse
	}
	if err := m.account().SetFolderSort(m.folderName(), s); err != nil {
		m.setError(err)
		return m, true
	}
	m.index.reload(m.listing())
	m.setInfo("Sorted by " + s.String())
	return m, true
}

// nextSortKey returns the key after k in accounts.SortKeys.
func nextSortKey(k accounts.SortKey) accounts.SortKey {
	if k == "" {
		k = accounts.SortKeys[0]
	}
	for i, x := range accounts.SortKeys {
		if x == k {
			return accounts.SortKeys[(i+1)%len(accounts.SortKeys)]
		}
	}
	return accounts.SortKeys[0]
}
