package cache

import (
	"database/sql"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"

	postamail "github.com/posta-mail/posta/mail"
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

// gateReader blocks at its end until release is closed, so that two
// deliveries of one UIDL both get past the "already known?" check before
// either commits.
type gateReader struct {
	r       io.Reader
	arrived chan<- struct{}
	release <-chan struct{}
	once    sync.Once
}

func (g *gateReader) Read(p []byte) (int, error) {
	n, err := g.r.Read(p)
	if err == io.EOF {
		g.once.Do(func() {
			g.arrived <- struct{}{}
			<-g.release
		})
	}
	return n, err
}

// TestDeliverPOPRaceBetweenProcesses delivers the same UIDLs from two
// Caches on one cache folder (two processes syncing one POP3 account),
// both downloading each message at the same moment: each UIDL ends with
// one row and one Maildir file, and both calls return that message.
func TestDeliverPOPRaceBetweenProcesses(t *testing.T) {
	opts := testOptions(t)
	a := openTest(t, opts)
	b := openTest(t, opts)
	const n = 20
	for i := range n {
		uidl := fmt.Sprintf("u%d", i)
		arrived := make(chan struct{}, 2)
		release := make(chan struct{})
		got := make([]Message, 2)
		errs := make([]error, 2)
		var wg sync.WaitGroup
		for j, c := range []*Cache{a, b} {
			wg.Add(1)
			go func() {
				defer wg.Done()
				r := &gateReader{r: stringsReader(rawMessage(i)), arrived: arrived, release: release}
				got[j], errs[j] = c.DeliverPOP("acct", uidl, postamail.Header{Subject: uidl}, r)
			}()
		}
		<-arrived
		<-arrived
		close(release)
		wg.Wait()
		for j := range 2 {
			if errs[j] != nil {
				t.Fatalf("%s: DeliverPOP() #%d error = %v", uidl, j, errs[j])
			}
		}
		if got[0].ID == 0 || got[0].ID != got[1].ID {
			t.Errorf("%s: the two deliveries returned messages %d and %d, want the same one", uidl, got[0].ID, got[1].ID)
		}
	}
	files := maildirFiles(t, opts.DataDir, "acct")
	ms := mustList(t, a, Query{Account: "acct"})
	if len(files) != n || len(ms) != n {
		t.Fatalf("%d Maildir files and %d rows for %d UIDLs; want one each", len(files), len(ms), n)
	}
	for _, m := range ms {
		if want := rawMessage(int(atoiSuffix(m.UID))); readBody(t, b, m.ID) != want {
			t.Errorf("message %s: body is not the delivered one", m.UID)
		}
	}
	for _, dir := range []string{"tmp", "new"} {
		left, _ := os.ReadDir(filepath.Join(opts.DataDir, escapeAccount("acct"), dir))
		if len(left) != 0 {
			t.Errorf("%s/ holds %d files after the races, want none", dir, len(left))
		}
	}
}

// TestConcurrentOpens opens one fresh cache from several goroutines with
// their own Cache (as several processes would): all succeed, and once all
// closed the clean mark is there.
func TestConcurrentOpens(t *testing.T) {
	opts := testOptions(t)
	const n = 5
	caches := make([]*Cache, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Add(1)
		go func() {
			defer wg.Done()
			caches[i], errs[i] = Open(opts)
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("Open() #%d error = %v", i, err)
		}
	}
	for i, c := range caches {
		if _, err := c.DeliverPOP("acct", fmt.Sprintf("u%d", i), postamail.Header{}, stringsReader(rawMessage(i))); err != nil {
			t.Fatal(err)
		}
	}
	for i, c := range caches {
		if err := c.Close(); err != nil {
			t.Fatalf("Close() #%d error = %v", i, err)
		}
		_, err := os.Stat(c.cleanMarkPath())
		if last := i == n-1; last != (err == nil) {
			t.Errorf("after closing %d of %d: clean mark present = %v, want %v", i+1, n, err == nil, last)
		}
	}
	c := openTest(t, opts)
	if c.checked {
		t.Error("Open after every process closed cleanly ran the integrity check")
	}
	if got := mustList(t, c, Query{Account: "acct"}); len(got) != n {
		t.Errorf("%d messages, want %d", len(got), n)
	}
}
