package main

import (
	"fmt"
	"time"

	"github.com/posta-mail/posta/cache"
)

// searchLimit is the bound the TUI puts on one search's results.
const searchLimit = 5000

// screenRows is how many result rows the TUI reads to paint a screen.
const screenRows = 40

// searchTimes runs query against the synced cache runs times, as the TUI
// does: the ids of up to searchLimit results, newest first, then the rows
// of the first screen.
func searchTimes(cacheDir, dataDir, query string, runs int) (samples, int, error) {
	c, err := cache.Open(cache.Options{Dir: cacheDir, DataDir: dataDir})
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	hits := 0
	s, err := repeat(runs, func() (time.Duration, error) {
		start := time.Now()
		ids, err := c.SearchIDs(cache.SearchQuery{Text: query, Limit: searchLimit})
		if err == nil {
			_, err = c.MessagesByID(ids[:min(len(ids), screenRows)])
		}
		d := time.Since(start)
		hits = len(ids)
		if err == nil && hits == 0 {
			err = fmt.Errorf("search %q found nothing", query)
		}
		return d, err
	})
	return s, hits, err
}
