package main

import (
	"fmt"
	"time"

	"github.com/posta-mail/posta/cache"
)

// searchLimit is the bound the TUI puts on one search's results.
const searchLimit = 5000

// searchTimes runs query against the synced cache runs times.
func searchTimes(cacheDir, dataDir, query string, runs int) (samples, int, error) {
	c, err := cache.Open(cache.Options{Dir: cacheDir, DataDir: dataDir})
	if err != nil {
		return nil, 0, err
	}
	defer c.Close()
	hits := 0
	s, err := repeat(runs, func() (time.Duration, error) {
		start := time.Now()
		ms, err := c.Search(cache.SearchQuery{Text: query, Limit: searchLimit})
		d := time.Since(start)
		hits = len(ms)
		if err == nil && hits == 0 {
			err = fmt.Errorf("search %q found nothing", query)
		}
		return d, err
	})
	return s, hits, err
}
