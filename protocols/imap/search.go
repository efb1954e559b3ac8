package imap

import (
	"context"
	"fmt"

	"github.com/emersion/go-imap/v2"
)

// SearchText asks the server for the messages of folder whose text
// (headers and body) contains every term: UID SEARCH TEXT. It finds mail
// whose body posta has not downloaded, which the local index cannot.
func (f *Fetcher) SearchText(ctx context.Context, folder string, terms []string) ([]string, error) {
	c, end, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	if err := f.selectFolder(c, folder, true); err != nil {
		return nil, end(err)
	}
	data, err := c.UIDSearch(&imap.SearchCriteria{Text: terms}, nil).Wait()
	if err != nil {
		return nil, end(fmt.Errorf("imap: search %s: %w", folder, err))
	}
	uids, err := searchUIDs(data, maxFolderUIDs)
	if err != nil {
		return nil, end(fmt.Errorf("imap: search %s: %w", folder, err))
	}
	out := make([]string, 0, len(uids))
	for _, u := range uids {
		out = append(out, formatUID(u))
	}
	return out, end(nil)
}
