package cache

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

func testOptions(t testing.TB) Options {
	t.Helper()
	root := t.TempDir()
	return Options{Dir: filepath.Join(root, "cache"), DataDir: filepath.Join(root, "data")}
}

func openTest(t testing.TB, opts Options) *Cache {
	t.Helper()
	c, err := Open(opts)
	if err != nil {
		t.Fatalf("Open() error = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	return c
}

func header(folder, uid string, date time.Time, flags ...postamail.Flag) postamail.Header {
	return postamail.Header{
		UID:       uid,
		Folder:    folder,
		MessageID: "<" + uid + "@example.org>",
		Subject:   "subject " + uid,
		From:      []postamail.Address{{Name: "Ann", Addr: "ann@example.org"}},
		To:        []postamail.Address{{Addr: "bob@example.org"}},
		Date:      date,
		Flags:     flags,
		Size:      100,
	}
}

func userVersion(t *testing.T, path string) int {
	t.Helper()
	db, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	var v int
	if err := db.QueryRow("PRAGMA user_version").Scan(&v); err != nil {
		t.Fatal(err)
	}
	return v
}

func TestMigrationsFreshAndExisting(t *testing.T) {
	opts := testOptions(t)
	c, err := Open(opts)
	if err != nil {
		t.Fatalf("Open() fresh error = %v", err)
	}
	if c.Rebuilt() {
		t.Errorf("Rebuilt() = true on a fresh index")
	}
	if err := c.PutHeaders("a", []postamail.Header{header("INBOX", "1", time.Unix(1000, 0))}); err != nil {
		t.Fatal(err)
	}
	c.Close()
	dbPath := filepath.Join(opts.Dir, dbName)
	if got := userVersion(t, dbPath); got != schemaVersion() {
		t.Fatalf("user_version = %d, want %d", got, schemaVersion())
	}

	c = openTest(t, opts)
	if c.Rebuilt() {
		t.Errorf("Rebuilt() = true on a healthy existing index")
	}
	if n, err := c.Count(Query{}); err != nil || n != 1 {
		t.Errorf("Count() after reopen = %d, %v; want 1, nil", n, err)
	}
	c.Close()
	if got := userVersion(t, dbPath); got != schemaVersion() {
		t.Errorf("user_version after reopen = %d, want %d", got, schemaVersion())
	}
}

func TestMigrationsRefuseNewerSchema(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	c.Close()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(opts.Dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := db.Exec(fmt.Sprintf("PRAGMA user_version = %d", schemaVersion()+1)); err != nil {
		t.Fatal(err)
	}
	db.Close()
	if c, err := Open(opts); err == nil {
		c.Close()
		t.Fatalf("Open() of a newer schema succeeded, want error")
	}
}

func TestPermissions(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("POSIX modes do not apply on Windows")
	}
	old := setUmask(0o022)
	defer setUmask(old)
	opts := testOptions(t)
	c := openTest(t, opts)
	if err := c.PutHeaders("a", []postamail.Header{header("INBOX", "1", time.Unix(1, 0))}); err != nil {
		t.Fatal(err)
	}
	m := mustList(t, c, Query{})[0]
	if err := c.PutBody(m.ID, stringsReader("Subject: x\r\n\r\nbody")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeliverPOP("pop", "u1", postamail.Header{}, stringsReader("Subject: p\r\n\r\nx")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OutboxAdd("pop", "a@b", []string{"c@d"}, []byte("Subject: o\r\n\r\nx")); err != nil {
		t.Fatal(err)
	}
	for _, root := range []string{opts.Dir, opts.DataDir} {
		err := filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
			if err != nil {
				return err
			}
			want := fileMode
			if fi.IsDir() {
				want = dirMode
			}
			if got := fi.Mode().Perm(); got != want {
				t.Errorf("mode of %s = %o, want %o", path, got, want)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	}
}

func timeUnix(s int64) time.Time { return time.Unix(s, 0) }

// oldIndex creates the index of opts as schema version made it, for a
// test to fill before opening it with today's migrations.
func oldIndex(t *testing.T, opts Options, version int) *sql.DB {
	t.Helper()
	if err := mkdirPrivate(opts.Dir); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", "file:"+filepath.Join(opts.Dir, dbName))
	if err != nil {
		t.Fatal(err)
	}
	if err := migrateTo(db, version); err != nil {
		db.Close()
		t.Fatal(err)
	}
	return db
}

func TestMigrationUpgradesExistingData(t *testing.T) {
	opts := testOptions(t)
	dbPath := filepath.Join(opts.Dir, dbName)
	// An index as the first release wrote it, with data.
	db := oldIndex(t, opts, 1)
	for i, seen := range []bool{true, false, false} {
		if _, err := db.Exec(`INSERT INTO messages (account, folder, uid, seen) VALUES ('a', 'INBOX', ?, ?)`, i, seen); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := db.Exec(`INSERT INTO folders (account, name) VALUES ('a', 'INBOX')`); err != nil {
		t.Fatal(err)
	}
	db.Close()

	c := openTest(t, opts)
	if got := userVersion(t, dbPath); got != schemaVersion() {
		t.Errorf("user_version after upgrade = %d, want %d", got, schemaVersion())
	}
	f, err := c.Folders("a")
	if err != nil || len(f) != 1 || f[0].Total != 3 || f[0].Unread != 2 {
		t.Errorf("Folders() after upgrade = %+v, %v; want INBOX 3/2 backfilled", f, err)
	}
	// The counters follow later changes.
	ms := mustList(t, c, Query{})
	if err := c.SetFlags(ms[0].ID, postamail.Flags{postamail.FlagSeen}); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveUIDs("a", "INBOX", []string{"0"}); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Folders("a"); f[0].Total != 2 || f[0].Unread != 1 {
		t.Errorf("Folders() after marking one read and removing a read one = %+v, want 2/1", f)
	}
	checkCounts(t, c)
}

// checkCounts compares the trigger-kept folder counters with real counts.
func checkCounts(t *testing.T, c *Cache) {
	t.Helper()
	rows, err := c.db.Query(`SELECT COALESCE(a.account, n.account), COALESCE(a.folder, n.folder),
			COALESCE(a.total, 0), COALESCE(a.unread, 0), COALESCE(n.total, 0), COALESCE(n.unread, 0)
		FROM (SELECT account, folder, COUNT(*) AS total, SUM(seen = 0) AS unread FROM messages GROUP BY account, folder) a
		FULL JOIN folder_counts n ON n.account = a.account AND n.folder = a.folder`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var account, folder string
		var total, unread, keptTotal, keptUnread int
		if err := rows.Scan(&account, &folder, &total, &unread, &keptTotal, &keptUnread); err != nil {
			t.Fatal(err)
		}
		if total != keptTotal || unread != keptUnread {
			t.Errorf("counters of %s/%s = %d/%d, real %d/%d", account, folder, keptTotal, keptUnread, total, unread)
		}
	}
	// Count answers from the counters: it must agree with the rows for
	// every kind of query it takes.
	for _, q := range []Query{{}, {Account: "a"}, {Folder: "INBOX"}, {Account: "a", Folder: "INBOX"}, {Account: "a", Folder: "Archive"}, {Account: "nobody"}} {
		where, args := q.where()
		var want int
		if err := c.db.QueryRow(`SELECT COUNT(*) FROM messages`+where, args...).Scan(&want); err != nil {
			t.Fatal(err)
		}
		if got, err := c.Count(q); err != nil || got != want {
			t.Errorf("Count(%+v) = %d, %v; the rows say %d", q, got, err, want)
		}
	}
}
