package cache

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"
)

// TestConcurrentMigrations migrates one fresh index from several
// connection pools at once, as several posta processes starting together
// do: each step is applied once, nobody fails ("table folders already
// exists" before the version was read inside the write lock), and all
// end at the latest version.
func TestConcurrentMigrations(t *testing.T) {
	for round := range 5 {
		path := filepath.Join(t.TempDir(), dbName)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				db, err := sql.Open("sqlite", indexDSN(path))
				if err != nil {
					errs[i] = err
					return
				}
				defer db.Close()
				<-start
				errs[i] = migrate(db)
			}()
		}
		close(start)
		wg.Wait()
		for i, err := range errs {
			if err != nil {
				t.Errorf("round %d: pool %d: migrate() error = %v", round, i, err)
			}
		}
		if got := userVersion(t, path); got != schemaVersion() {
			t.Errorf("round %d: user_version = %d, want %d", round, got, schemaVersion())
		}
	}
}
