package cache

import (
	"database/sql"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sync"
	"testing"

	postamail "github.com/posta-mail/posta/mail"
)

func TestPOPBatchCommit(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	b := c.BeginPOP("me@pop")
	defer b.Close()
	const n = 20 // more than syncOneByOne: the syncfs path
	for i := 0; i < n; i++ {
		h := postamail.Header{Subject: fmt.Sprintf("message %d", i)}
		if err := b.Add(fmt.Sprintf("u%d", i), h, fmt.Sprintf("word%d", i), stringsReader(rawMessage(i))); err != nil {
			t.Fatalf("Add(%d) error = %v", i, err)
		}
	}
	if err := b.Add("u3", postamail.Header{}, "", stringsReader("x")); !errors.Is(err, ErrAlreadyDelivered) {
		t.Errorf("Add of a UIDL pending in the batch = %v, want ErrAlreadyDelivered", err)
	}
	if got := maildirFiles(t, opts.DataDir, "me@pop"); len(got) != 0 {
		t.Errorf("%d files in cur/ or new/ before Commit, want 0", len(got))
	}
	if known, _ := c.KnownUIDLs("me@pop"); len(known) != 0 {
		t.Errorf("KnownUIDLs before Commit = %v, want none", known)
	}
	msgs, err := b.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != n {
		t.Fatalf("Commit() returned %d messages, want %d", len(msgs), n)
	}
	for i, m := range msgs {
		if got := readBody(t, c, m.ID); got != rawMessage(i) {
			t.Errorf("message %d body = %q, want %q", i, got, rawMessage(i))
		}
		if m.Size != int64(len(rawMessage(i))) || m.UID != fmt.Sprintf("u%d", i) {
			t.Errorf("message %d = %+v, want its size and UIDL", i, m)
		}
	}
	if found, err := c.Search(SearchQuery{Text: "word7", Account: "me@pop"}); err != nil || len(found) != 1 {
		t.Errorf("Search(word7) = %d messages, %v; want the one whose body text has it", len(found), err)
	}
	if err := b.Add("u5", postamail.Header{}, "", stringsReader("again")); !errors.Is(err, ErrAlreadyDelivered) {
		t.Errorf("Add of a committed UIDL = %v, want ErrAlreadyDelivered", err)
	}
	if _, err := c.DeliverPOP("me@pop", "u6", postamail.Header{}, stringsReader("again")); err != nil {
		t.Errorf("DeliverPOP of a committed UIDL = %v, want the stored message", err)
	}
	if got := maildirFiles(t, opts.DataDir, "me@pop"); len(got) != n {
		t.Errorf("%d files in cur/, want %d", len(got), n)
	}
	// The index can be rebuilt from the files: their names carry the UIDLs.
	if err := c.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if known, _ := c.KnownUIDLs("me@pop"); len(known) != n {
		t.Errorf("KnownUIDLs after Rebuild = %d, want %d", len(known), n)
	}
}

func TestPOPBatchCloseDropsUncommitted(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	b := c.BeginPOP("me@pop")
	if err := b.Add("u1", postamail.Header{}, "", stringsReader(rawMessage(1))); err != nil {
		t.Fatal(err)
	}
	if _, err := b.Commit(); err != nil {
		t.Fatal(err)
	}
	if err := b.Add("u2", postamail.Header{}, "", stringsReader(rawMessage(2))); err != nil {
		t.Fatal(err)
	}
	b.Close()
	tmp := filepath.Join(opts.DataDir, escapeAccount("me@pop"), "tmp")
	if names, _ := readNames(tmp); len(names) != 0 {
		t.Errorf("tmp/ holds %v after Close, want nothing", names)
	}
	known, _ := c.KnownUIDLs("me@pop")
	if _, ok := known["u2"]; ok || len(known) != 1 {
		t.Errorf("KnownUIDLs = %v, want u1 alone", known)
	}
	// A delivery that a killed process left in tmp/ is removed by the
	// next batch; one of a live process is not.
	dead := "1700000000.M1P999999999Q1Rab.host,U=" + fmt.Sprintf("%x", "u3")
	live := fmt.Sprintf("1700000000.M1P%dQ1Rab.host,U=%x", os.Getpid(), "u4")
	for _, name := range []string{dead, live} {
		if err := os.WriteFile(filepath.Join(tmp, name), []byte("partial"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	c.BeginPOP("me@pop").Close()
	if names, _ := readNames(tmp); len(names) != 1 || names[0] != live {
		t.Errorf("tmp/ holds %v after BeginPOP, want only %s", names, live)
	}
}

// TestPOPBatchAddDuringCommit: Adds from several goroutines go on while
// Commits run (a download writing while the messages before are
// committed); every message is committed once, by the Commit that began
// after its Add returned or a later one.
func TestPOPBatchAddDuringCommit(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	b := c.BeginPOP("me@pop")
	defer b.Close()
	const writers, each = 3, 40
	var wg sync.WaitGroup
	for w := range writers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range each {
				n := w*each + i
				if err := b.Add(fmt.Sprintf("u%d", n), postamail.Header{}, "", stringsReader(rawMessage(n))); err != nil {
					t.Errorf("Add(%d) error = %v", n, err)
				}
			}
		}()
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	committed := map[string]int{}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
		}
		msgs, err := b.Commit()
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			committed[m.UID]++
		}
	}
	if n, _ := b.Pending(); n != 0 {
		t.Errorf("Pending() = %d after the last Commit, want 0", n)
	}
	for i := range writers * each {
		if u := fmt.Sprintf("u%d", i); committed[u] != 1 {
			t.Errorf("%s committed %d times, want once", u, committed[u])
		}
	}
	if got := maildirFiles(t, opts.DataDir, "me@pop"); len(got) != writers*each {
		t.Errorf("%d files in cur/, want %d", len(got), writers*each)
	}
	if err := b.Add("u7", postamail.Header{}, "", stringsReader("again")); !errors.Is(err, ErrAlreadyDelivered) {
		t.Errorf("Add of a committed UIDL = %v, want ErrAlreadyDelivered", err)
	}
}

// BenchmarkPOPBatch10k stores 10,000 small messages through one batch
// (written, synced once, renamed into cur/, indexed in one transaction),
// the storage side of a POP3 download. BenchmarkCreateFiles10k is its
// floor on the same file system: the files alone, written and closed.
func BenchmarkPOPBatch10k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		c := openTest(b, testOptions(b))
		b.StartTimer()
		batch := c.BeginPOP("me@pop")
		for i := 0; i < 10_000; i++ {
			if err := batch.Add(fmt.Sprintf("u%d", i), postamail.Header{Subject: fmt.Sprint(i)}, "body text", stringsReader(rawMessage(i))); err != nil {
				b.Fatal(err)
			}
		}
		if _, err := batch.Commit(); err != nil {
			b.Fatal(err)
		}
		batch.Close()
	}
}

func BenchmarkCreateFiles10k(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		b.StartTimer()
		for i := 0; i < 10_000; i++ {
			if _, _, err := writeUnsynced(dir, fmt.Sprintf("f%d", i), stringsReader(rawMessage(i))); err != nil {
				b.Fatal(err)
			}
		}
	}
}

// BenchmarkPOPRows10k indexes 10,000 POP3 messages in one transaction
// (insertPOPRows), the index side of BenchmarkPOPBatch10k without its
// files; cpu-ms/op as in BenchmarkPutHeaders10k.
func BenchmarkPOPRows10k(b *testing.B) {
	ps := make([]*popPending, 10_000)
	for i := range ps {
		uidl := fmt.Sprintf("u%d", i)
		ps[i] = &popPending{uidl: uidl, text: "body text",
			h:   postamail.Header{UID: uidl, Folder: FolderInbox, Subject: fmt.Sprint(i), Size: 100},
			rel: filepath.Join("me@pop", "cur", uidl+":2,")}
	}
	benchFreshCache(b, func(c *Cache) error {
		return c.inTx(func(tx *sql.Tx) error {
			_, err := insertPOPRows(tx, &popTx{tx: tx, c: c}, "me@pop", ps)
			return err
		})
	})
}

// TestPOPBatchCommitUIDClash commits a batch one of whose UIDLs is the
// UID of a row already in the folder (not a known UIDL): the others get
// their rows and ids as usual, over parts of several sizes, and that one
// is stored under its file's name, as DeliverPOP stores it.
func TestPOPBatchCommitUIDClash(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	if _, err := c.db.Exec(`INSERT INTO messages (account, folder, uid, maildir_path) VALUES ('me@pop', ?, 'u70', 'elsewhere')`, FolderInbox); err != nil {
		t.Fatal(err)
	}
	b := c.BeginPOP("me@pop")
	defer b.Close()
	const n = 100 // parts of 64, 32 and 4 rows
	for i := range n {
		if err := b.Add(fmt.Sprintf("u%d", i), postamail.Header{Subject: fmt.Sprint(i)}, fmt.Sprintf("word%d", i), stringsReader(rawMessage(i))); err != nil {
			t.Fatal(err)
		}
	}
	msgs, err := b.Commit()
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != n {
		t.Fatalf("Commit() returned %d messages, want %d", len(msgs), n)
	}
	ids := map[int64]bool{}
	for i, m := range msgs {
		if ids[m.ID] {
			t.Errorf("message %d: id %d twice", i, m.ID)
		}
		ids[m.ID] = true
		if got := readBody(t, c, m.ID); got != rawMessage(i) {
			t.Errorf("message %d (id %d) body = %q, want %q", i, m.ID, got, rawMessage(i))
		}
		if found, err := c.Search(SearchQuery{Text: fmt.Sprintf("word%d", i), Account: "me@pop"}); err != nil || len(found) != 1 || found[0].ID != m.ID {
			t.Errorf("Search(word%d) = %v, %v; want message %d", i, found, err, m.ID)
		}
	}
	if known, _ := c.KnownUIDLs("me@pop"); len(known) != n {
		t.Errorf("KnownUIDLs = %d, want %d", len(known), n)
	}
	var rows, renamed int
	if err := c.db.QueryRow(`SELECT count(*), sum(uid LIKE 'maildir:%') FROM messages WHERE account = 'me@pop'`).Scan(&rows, &renamed); err != nil {
		t.Fatal(err)
	}
	if rows != n+1 || renamed != 1 {
		t.Errorf("%d rows, %d under their file's name; want %d and 1", rows, renamed, n+1)
	}
	checkCounts(t, c)
}

// TestPOPBatchCommitFailsMidway: a Commit that fails partway through
// moving or naming its files into cur/ (a file gone from tmp/, an unnamed
// file that cannot be named) indexes nothing, yet the files it put in
// cur/ are known, so that no download fetches them again; the next batch
// indexes those files as they are and stores the rest, each once.
func TestPOPBatchCommitFailsMidway(t *testing.T) {
	for _, unnamed := range []bool{false, true} {
		name := map[bool]string{false: "named files in tmp", true: "unnamed files"}[unnamed]
		t.Run(name, func(t *testing.T) {
			opts := testOptions(t)
			c := openTest(t, opts)
			b := c.BeginPOP("me@pop")
			if err := b.start(); err != nil {
				t.Fatal(err)
			}
			if unnamed && !b.anon {
				t.Skip("the file system here takes no unnamed files")
			}
			b.anon = unnamed
			const n = 12 // more than syncOneByOne: the syncfs path
			for i := range n {
				if err := b.Add(fmt.Sprintf("u%d", i), postamail.Header{Subject: fmt.Sprint(i)}, "", stringsReader(rawMessage(i))); err != nil {
					t.Fatal(err)
				}
			}
			tmp := filepath.Join(opts.DataDir, escapeAccount("me@pop"), "tmp")
			names, _ := readNames(tmp)
			if want := map[bool]int{false: n, true: 0}[unnamed]; len(names) != want {
				t.Fatalf("tmp/ holds %d files, want %d", len(names), want)
			}
			broken := b.pending[5]
			if unnamed {
				broken.fd.close()
				broken.fd = anonFile(1 << 20) // no such descriptor
			} else if err := os.Remove(broken.tmp); err != nil {
				t.Fatal(err)
			}
			if _, err := b.Commit(); err == nil {
				t.Fatal("Commit() with a file that cannot be moved = nil, want an error")
			}
			if got := mustList(t, c, Query{Account: "me@pop"}); len(got) != 0 {
				t.Errorf("%d messages indexed after the failed Commit, want none", len(got))
			}
			known, _ := c.KnownUIDLs("me@pop")
			moved := len(maildirFiles(t, opts.DataDir, "me@pop"))
			if moved != 5 || len(known) != moved {
				t.Errorf("after the failed Commit: %d files in cur/, KnownUIDLs %v; want u0 to u4 in both", moved, known)
			}
			if unnamed {
				broken.unnamed = false // closed above
				b.open--
			}
			b.Close()
			if b.open != 0 {
				t.Errorf("%d unnamed files open after Close, want 0", b.open)
			}

			b = c.BeginPOP("me@pop")
			defer b.Close()
			for i := range n {
				if err := b.Add(fmt.Sprintf("u%d", i), postamail.Header{Subject: fmt.Sprint(i)}, "", stringsReader(rawMessage(i))); err != nil {
					t.Fatalf("Add(u%d) after the failed Commit: %v", i, err)
				}
			}
			msgs, err := b.Commit()
			if err != nil {
				t.Fatal(err)
			}
			if len(msgs) != n {
				t.Errorf("the next Commit stored %d messages, want %d", len(msgs), n)
			}
			for _, m := range msgs {
				var i int
				fmt.Sscanf(m.UID, "u%d", &i)
				if got := readBody(t, c, m.ID); got != rawMessage(i) {
					t.Errorf("%s body = %q, want %q", m.UID, got, rawMessage(i))
				}
			}
			if got := maildirFiles(t, opts.DataDir, "me@pop"); len(got) != n {
				t.Errorf("%d files in cur/, want %d: one per message", len(got), n)
			}
			if known, _ := c.KnownUIDLs("me@pop"); len(known) != n {
				t.Errorf("KnownUIDLs = %d, want %d", len(known), n)
			}
			if b.open != 0 {
				t.Errorf("%d unnamed files open after the Commit, want 0", b.open)
			}
		})
	}
}

// TestMaildirPathOutOfDataFolder: an index row whose Maildir path was
// tampered with to lead out of the data folder makes posta neither read,
// move nor delete the file there.
func TestMaildirPathOutOfDataFolder(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	b := c.BeginPOP("me@pop")
	defer b.Close()
	if err := b.Add("u1", postamail.Header{Subject: "x"}, "", stringsReader(rawMessage(1))); err != nil {
		t.Fatal(err)
	}
	msgs, err := b.Commit()
	if err != nil || len(msgs) != 1 {
		t.Fatalf("Commit() = %d messages, %v", len(msgs), err)
	}
	id := msgs[0].ID
	outside := filepath.Join(filepath.Dir(opts.DataDir), "outside")
	if err := os.WriteFile(outside, []byte("not posta's"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := c.db.Exec(`UPDATE messages SET maildir_path = '../outside' WHERE id = ?`, id); err != nil {
		t.Fatal(err)
	}
	if r, err := c.OpenBody(id); err == nil {
		r.Close()
		t.Error("OpenBody of a path out of the data folder = nil error, want one")
	}
	if err := c.MovePOP(id, FolderTrash); err == nil {
		t.Error("MovePOP of a path out of the data folder = nil error, want one")
	}
	if err := c.PurgePOP(id); err == nil {
		t.Error("PurgePOP of a path out of the data folder = nil error, want one")
	}
	if data, err := os.ReadFile(outside); err != nil || string(data) != "not posta's" {
		t.Errorf("the file out of the data folder = %q, %v; want it untouched", data, err)
	}
}
