package cache

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	postamail "github.com/posta-mail/posta/mail"
)

func rawMessage(i int) string {
	return fmt.Sprintf("From: Sender %d <s%d@example.org>\r\nTo: bob@example.org\r\n"+
		"Subject: message %d\r\nDate: Mon, 01 Jan 2024 10:%02d:00 +0000\r\nMessage-ID: <m%d@example.org>\r\n\r\nbody %d\r\n",
		i, i, i, i%60, i, i)
}

// maildirFiles lists every message file under the account's Maildir.
func maildirFiles(t *testing.T, dataDir, account string) []string {
	t.Helper()
	var out []string
	root := filepath.Join(dataDir, escapeAccount(account))
	filepath.Walk(root, func(path string, fi os.FileInfo, err error) error {
		if err == nil && fi.Mode().IsRegular() {
			dir := filepath.Base(filepath.Dir(path))
			if dir == "cur" || dir == "new" {
				out = append(out, path)
			}
		}
		return nil
	})
	sort.Strings(out)
	return out
}

func readBody(t *testing.T, c *Cache, id int64) string {
	t.Helper()
	rc, err := c.OpenBody(id)
	if err != nil {
		t.Fatalf("OpenBody(%d) error = %v", id, err)
	}
	defer rc.Close()
	b, _ := io.ReadAll(rc)
	return string(b)
}

func TestDeliverPOPDurableAndIdempotent(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	h := postamail.Header{Subject: "message 1", Flags: postamail.Flags{postamail.FlagSeen}}
	m, err := c.DeliverPOP("me@pop", "uidl/with:odd chars", h, stringsReader(rawMessage(1)))
	if err != nil {
		t.Fatal(err)
	}
	if m.ID == 0 || m.UID != "uidl/with:odd chars" || m.Folder != FolderInbox || !m.HasBody || m.Size != int64(len(rawMessage(1))) {
		t.Errorf("DeliverPOP() = %+v, want id, UIDL, Inbox, body, size", m)
	}
	files := maildirFiles(t, opts.DataDir, "me@pop")
	if len(files) != 1 || !strings.HasSuffix(files[0], infoSeparator()+"2,S") {
		t.Fatalf("Maildir files = %v, want one file in cur/ with the S flag", files)
	}
	if got := readBody(t, c, m.ID); got != rawMessage(1) {
		t.Errorf("OpenBody() = %q, want the delivered bytes", got)
	}

	// Same UIDL again: no second file, same message, r not consumed.
	again, err := c.DeliverPOP("me@pop", "uidl/with:odd chars", h, errReader{})
	if err != nil || again.ID != m.ID {
		t.Errorf("DeliverPOP() again = %d, %v; want %d, nil", again.ID, err, m.ID)
	}
	if files := maildirFiles(t, opts.DataDir, "me@pop"); len(files) != 1 {
		t.Errorf("Maildir files after a repeated delivery = %d, want 1", len(files))
	}
	known, err := c.KnownUIDLs("me@pop")
	if _, ok := known["uidl/with:odd chars"]; err != nil || !ok || len(known) != 1 {
		t.Errorf("KnownUIDLs() = %v, %v; want the one UIDL", known, err)
	}
	if f, _ := c.Folders("me@pop"); len(f) != 5 || f[0].Name != FolderInbox || f[0].Total != 1 || f[0].Unread != 0 {
		t.Errorf("Folders() = %+v, want the local folders, Inbox 1/0", f)
	}

	// A failing reader leaves nothing behind and the UIDL unknown.
	if _, err := c.DeliverPOP("me@pop", "broken", postamail.Header{}, errReader{}); err == nil {
		t.Errorf("DeliverPOP(failing reader) succeeded")
	}
	if known, _ := c.KnownUIDLs("me@pop"); len(known) != 1 {
		t.Errorf("KnownUIDLs() after a failed delivery = %v, want 1 UIDL", known)
	}
	if files := maildirFiles(t, opts.DataDir, "me@pop"); len(files) != 1 {
		t.Errorf("Maildir files after a failed delivery = %d, want 1", len(files))
	}

	// Reopen: nothing changes, nothing is duplicated.
	c.Close()
	c = openTest(t, opts)
	if n, _ := c.Count(Query{Account: "me@pop"}); n != 1 {
		t.Errorf("Count() after reopen = %d, want 1", n)
	}
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errors.New("connection reset") }

func TestMovePOPAndFlagsRenameFile(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	m, err := c.DeliverPOP("acct", "u1", postamail.Header{}, stringsReader(rawMessage(1)))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.SetFlags(m.ID, postamail.Flags{postamail.FlagSeen, postamail.FlagFlagged, "$Work"}); err != nil {
		t.Fatal(err)
	}
	files := maildirFiles(t, opts.DataDir, "acct")
	if len(files) != 1 || !strings.HasSuffix(files[0], infoSeparator()+"2,FS") {
		t.Errorf("file after SetFlags = %v, want suffix 2,FS", files)
	}
	if err := c.MovePOP(m.ID, "archive"); err != nil {
		t.Fatal(err)
	}
	files = maildirFiles(t, opts.DataDir, "acct")
	want := filepath.Join(opts.DataDir, "acct", ".Archive", "cur")
	if len(files) != 1 || filepath.Dir(files[0]) != want {
		t.Errorf("file after MovePOP = %v, want it in %s", files, want)
	}
	got, err := c.Get(m.ID)
	if err != nil || got.Folder != FolderArchive || !got.Flags.Has("$Work") {
		t.Errorf("Get() after MovePOP = %+v, %v; want Archive with $Work", got, err)
	}
	if body := readBody(t, c, m.ID); body != rawMessage(1) {
		t.Errorf("body after move = %q", body)
	}
	if err := c.MovePOP(m.ID, "Spam"); !errors.Is(err, ErrUnknownFolder) {
		t.Errorf("MovePOP(Spam) error = %v, want ErrUnknownFolder", err)
	}
	folders, _ := c.Folders("acct")
	counts := map[string]int{}
	for _, f := range folders {
		counts[f.Name] = f.Total
	}
	if len(folders) != 5 || counts[FolderArchive] != 1 || counts[FolderInbox] != 0 {
		t.Errorf("Folders() = %+v, want the 5 local folders, Archive holding 1", folders)
	}
	checkCounts(t, c)

	// The UIDL stays known after the move: no re-download.
	if again, err := c.DeliverPOP("acct", "u1", postamail.Header{}, errReader{}); err != nil || again.ID != m.ID {
		t.Errorf("DeliverPOP() of a moved UIDL = %d, %v; want %d", again.ID, err, m.ID)
	}
	// A rebuilt index finds it in Archive, with the flags of its file name.
	if err := c.Rebuild(); err != nil {
		t.Fatal(err)
	}
	ms := mustList(t, c, Query{Account: "acct"})
	if len(ms) != 1 || ms[0].Folder != FolderArchive || ms[0].UID != "u1" ||
		!ms[0].Flags.Has(postamail.FlagFlagged) || ms[0].Subject != "message 1" {
		t.Errorf("List() after Rebuild = %+v, want u1 in Archive, flagged, parsed subject", ms)
	}
}

func TestOpenIndexesOrphanMaildirFiles(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	m, err := c.DeliverPOP("acct", "u1", postamail.Header{}, stringsReader(rawMessage(1)))
	if err != nil {
		t.Fatal(err)
	}
	// Simulate a crash after the file landed but before the row was
	// committed: delete the row and its UIDL behind the cache's back.
	if _, err := c.db.Exec(`DELETE FROM messages; DELETE FROM pop_uidls`); err != nil {
		t.Fatal(err)
	}
	c.Close()
	// And a message dropped into new/ by another program, and one in a
	// Maildir++ folder posta does not know.
	inbox := filepath.Join(opts.DataDir, "acct")
	os.WriteFile(filepath.Join(inbox, "new", "1700000000.x.host"), []byte(rawMessage(2)), 0o600)
	os.MkdirAll(filepath.Join(inbox, ".Lists", "cur"), 0o700)
	os.WriteFile(filepath.Join(inbox, ".Lists", "cur", "1700000001.y.host"+infoSeparator()+"2,S"), []byte(rawMessage(3)), 0o600)

	c = openTest(t, opts)
	known, _ := c.KnownUIDLs("acct")
	if _, ok := known["u1"]; !ok {
		t.Errorf("KnownUIDLs() after reconcile = %v, want u1", known)
	}
	ms := mustList(t, c, Query{Account: "acct"})
	if len(ms) != 3 {
		t.Fatalf("List() after reconcile = %d messages, want 3: %+v", len(ms), ms)
	}
	subjects := map[string]string{}
	for _, x := range ms {
		subjects[x.Subject] = x.Folder
	}
	if subjects["message 1"] != FolderInbox || subjects["message 2"] != FolderInbox || subjects["message 3"] != "Lists" {
		t.Errorf("reconciled folders = %v", subjects)
	}
	if _, err := c.DeliverPOP("acct", "u1", postamail.Header{}, errReader{}); err != nil {
		t.Errorf("DeliverPOP() of a reconciled UIDL error = %v, want the known message", err)
	}
	if n := len(maildirFiles(t, opts.DataDir, "acct")); n != 3 {
		t.Errorf("Maildir files = %d, want 3", n)
	}
	checkCounts(t, c)
	_ = m
}

func TestDamagedIndexIsRebuiltFromMaildir(t *testing.T) {
	opts := testOptions(t)
	opts.ParseHeader = minimalParseHeader
	c := openTest(t, opts)
	for i := range 20 {
		if _, err := c.DeliverPOP("acct", fmt.Sprintf("u%d", i), postamail.Header{}, stringsReader(rawMessage(i))); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.PutHeaders("imap", []postamail.Header{header("INBOX", "1", timeUnix(5))}); err != nil {
		t.Fatal(err)
	}
	imapMsg := mustList(t, c, Query{Account: "imap"})[0]
	if err := c.PutBody(imapMsg.ID, stringsReader("stale body")); err != nil {
		t.Fatal(err)
	}
	if _, err := c.OutboxAdd("acct", "me@x", []string{"you@y"}, []byte("Subject: unsent\r\n\r\nhi")); err != nil {
		t.Fatal(err)
	}
	before := maildirFiles(t, opts.DataDir, "acct")
	c.Close()

	dbPath := filepath.Join(opts.Dir, dbName)
	os.Remove(dbPath + "-wal")
	os.Remove(dbPath + "-shm")
	if err := os.WriteFile(dbPath, []byte(strings.Repeat("this is not a database ", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	c = openTest(t, opts)
	if !c.Rebuilt() {
		t.Errorf("Rebuilt() = false after garbage in index.db")
	}
	if damaged, _ := filepath.Glob(dbPath + ".damaged-*"); len(damaged) == 0 {
		t.Errorf("damaged index was not kept aside")
	}
	after := maildirFiles(t, opts.DataDir, "acct")
	if strings.Join(after, "\n") != strings.Join(before, "\n") {
		t.Errorf("Maildir files changed by the rebuild:\nbefore %v\nafter  %v", before, after)
	}
	known, _ := c.KnownUIDLs("acct")
	ms := mustList(t, c, Query{Account: "acct"})
	if len(known) != 20 || len(ms) != 20 {
		t.Errorf("after rebuild: %d UIDLs known, %d messages; want 20, 20", len(known), len(ms))
	}
	for _, m := range ms {
		want := rawMessage(int(atoiSuffix(m.UID)))
		if got := readBody(t, c, m.ID); got != want || m.Subject == "" {
			t.Errorf("message %s: subject %q, body %q; want parsed and intact", m.UID, m.Subject, got)
		}
	}
	if n, _ := c.Count(Query{Account: "imap"}); n != 0 {
		t.Errorf("IMAP rows after rebuild = %d, want 0 (resync re-fetches)", n)
	}
	if bodies, _ := os.ReadDir(bodiesDir(opts.Dir)); len(bodies) != 0 {
		t.Errorf("stale IMAP body files survived the rebuild: %d", len(bodies))
	}
	if items, _ := c.Outbox(""); len(items) != 1 || items[0].To[0] != "you@y" {
		t.Errorf("Outbox() after rebuild = %+v, want the unsent item back", items)
	}
}

func atoiSuffix(uid string) int64 {
	var n int64
	fmt.Sscanf(strings.TrimPrefix(uid, "u"), "%d", &n)
	return n
}

func TestDeletedPOPMessageStaysKnown(t *testing.T) {
	opts := testOptions(t)
	c := openTest(t, opts)
	if _, err := c.DeliverPOP("acct", "gone", postamail.Header{}, stringsReader(rawMessage(1))); err != nil {
		t.Fatal(err)
	}
	c.Close()
	for _, f := range maildirFiles(t, opts.DataDir, "acct") {
		os.Remove(f) // deleted outside posta
	}
	c = openTest(t, opts)
	if n, _ := c.Count(Query{Account: "acct"}); n != 0 {
		t.Errorf("Count() after the file was deleted = %d, want 0", n)
	}
	if known, _ := c.KnownUIDLs("acct"); len(known) != 1 {
		t.Errorf("KnownUIDLs() = %v, want the deleted message's UIDL kept", known)
	}
	if _, err := c.DeliverPOP("acct", "gone", postamail.Header{}, errReader{}); !errors.Is(err, ErrAlreadyDelivered) {
		t.Errorf("DeliverPOP() of a deleted message error = %v, want ErrAlreadyDelivered", err)
	}
	if n := len(maildirFiles(t, opts.DataDir, "acct")); n != 0 {
		t.Errorf("Maildir files = %d, want 0", n)
	}
}

func TestHostileNamesAndHeaders(t *testing.T) {
	opts := testOptions(t)
	opts.ParseHeader = func(io.Reader) (postamail.Header, error) { panic("parser bug") }
	c := openTest(t, opts)
	for _, account := range []string{"../escape", ".hidden", "a/b", "ünï cødé", "%41"} {
		if _, err := c.DeliverPOP(account, "u", postamail.Header{}, stringsReader("garbage\x00\xff")); err != nil {
			t.Fatalf("DeliverPOP(%q) error = %v", account, err)
		}
		if dir := filepath.Join(opts.DataDir, escapeAccount(account)); filepath.Dir(dir) != opts.DataDir {
			t.Errorf("account %q maps outside DataDir: %s", account, dir)
		}
	}
	if _, err := c.DeliverPOP("acct", "", postamail.Header{}, stringsReader("x")); err == nil {
		t.Errorf("DeliverPOP(empty UIDL) succeeded")
	}
	// Reconciling with a panicking parser still indexes every file.
	if err := c.Rebuild(); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Count(Query{}); n != 5 {
		t.Errorf("Count() after Rebuild = %d, want 5", n)
	}
	for _, account := range []string{"../escape", "ünï cødé", "%41"} {
		if known, _ := c.KnownUIDLs(account); len(known) != 1 {
			t.Errorf("KnownUIDLs(%q) after Rebuild = %v, want u", account, known)
		}
	}
}
