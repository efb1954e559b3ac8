package imap

import (
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// maxFolderUIDs bounds how many UIDs posta accepts for one folder in a
// SEARCH answer. A UID set is a list of ranges: one range may stand for
// four billion UIDs, so it is counted before it is expanded.
const maxFolderUIDs = 4_000_000

// searchUIDs returns the UIDs of a UID SEARCH answer, in ascending order
// of its ranges, refusing a set of more than limit UIDs. go-imap's
// AllUIDs never ends on a range that reaches 4294967295 (its loop
// counter wraps around) and expands any range whatever its size.
func searchUIDs(data *imap.SearchData, limit int) ([]imap.UID, error) {
	set, ok := data.All.(imap.UIDSet)
	if !ok {
		return nil, nil
	}
	n, err := countUIDs(set, limit)
	if err != nil {
		return nil, err
	}
	uids := make([]imap.UID, 0, n)
	for _, r := range set {
		lo, hi := min(r.Start, r.Stop), max(r.Start, r.Stop)
		for u := uint64(lo); u <= uint64(hi); u++ {
			uids = append(uids, imap.UID(u))
		}
	}
	return uids, nil
}

// countUIDs counts the UIDs in set without expanding it; a dynamic range
// (one that ends in "*") or more than limit UIDs is an error.
func countUIDs(set imap.UIDSet, limit int) (int, error) {
	var n uint64
	for _, r := range set {
		if r.Start == 0 || r.Stop == 0 {
			return 0, fmt.Errorf("the server answered with a UID range ending in \"*\"")
		}
		lo, hi := min(r.Start, r.Stop), max(r.Start, r.Stop)
		n += uint64(hi-lo) + 1
		if n > uint64(limit) {
			return 0, fmt.Errorf("the server listed more than %d messages", limit)
		}
	}
	return int(n), nil
}
