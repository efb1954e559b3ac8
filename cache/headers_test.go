package cache

import (
	"errors"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

func stringsReader(s string) io.Reader { return strings.NewReader(s) }

func mustList(t *testing.T, c *Cache, q Query) []Message {
	t.Helper()
	ms, err := c.List(q)
	if err != nil {
		t.Fatalf("List(%+v) error = %v", q, err)
	}
	return ms
}

func uids(ms []Message) string {
	var s []string
	for _, m := range ms {
		s = append(s, m.UID)
	}
	return strings.Join(s, ",")
}

func TestPutHeadersListCountPaging(t *testing.T) {
	c := openTest(t, testOptions(t))
	day := func(d int) time.Time { return time.Date(2024, 1, d, 12, 0, 0, 0, time.UTC) }
	err := c.PutHeaders("work", []postamail.Header{
		header("INBOX", "1", day(1)),
		header("INBOX", "2", day(3)),
		header("INBOX", "3", day(2)),
		header("INBOX", "4", day(3)), // same date as 2: later id first
		header("Archive", "1", day(5)),
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PutHeaders("home", []postamail.Header{header("INBOX", "9", day(4))}); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name string
		q    Query
		want string
	}{
		{"folder", Query{Account: "work", Folder: "INBOX"}, "4,2,3,1"},
		{"page 1", Query{Account: "work", Folder: "INBOX", Limit: 2}, "4,2"},
		{"page 2", Query{Account: "work", Folder: "INBOX", Limit: 2, Offset: 2}, "3,1"},
		{"past end", Query{Account: "work", Folder: "INBOX", Limit: 2, Offset: 4}, ""},
		{"account", Query{Account: "work"}, "1,4,2,3,1"},
		{"all", Query{}, "1,9,4,2,3,1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := uids(mustList(t, c, tt.q)); got != tt.want {
				t.Errorf("List(%+v) = %q, want %q", tt.q, got, tt.want)
			}
			q := tt.q
			q.Limit, q.Offset = 0, 0
			n, err := c.Count(q)
			if want := len(mustList(t, c, q)); err != nil || n != want {
				t.Errorf("Count(%+v) = %d, %v; want %d", q, n, err, want)
			}
		})
	}

	// Upsert: same (account, folder, uid) keeps the row id, updates fields.
	before := mustList(t, c, Query{Account: "work", Folder: "INBOX", Limit: 1})[0]
	h := header("INBOX", "4", day(3), postamail.FlagSeen)
	h.Subject = "changed"
	h.References = []string{"<a@x>", "<b@x>"}
	if err := c.PutHeaders("work", []postamail.Header{h}); err != nil {
		t.Fatal(err)
	}
	after, err := c.Get(before.ID)
	if err != nil {
		t.Fatal(err)
	}
	if after.Subject != "changed" || !after.Flags.Has(postamail.FlagSeen) || len(after.References) != 2 {
		t.Errorf("Get() after upsert = %+v, want updated subject, flags and references", after)
	}
	if after.From[0] != (postamail.Address{Name: "Ann", Addr: "ann@example.org"}) || !after.Date.Equal(day(3)) {
		t.Errorf("Get() From/Date = %v/%v, want Ann/%v", after.From, after.Date, day(3))
	}
	if n, _ := c.Count(Query{}); n != 6 {
		t.Errorf("Count() after upsert = %d, want 6", n)
	}
	if _, err := c.Get(987654); !errors.Is(err, ErrNotFound) {
		t.Errorf("Get(absent) error = %v, want ErrNotFound", err)
	}
	checkCounts(t, c)
	if err := c.PutHeaders("work", []postamail.Header{{Folder: "INBOX"}}); err == nil {
		t.Errorf("PutHeaders(header without UID) succeeded, want error")
	}
}

func TestFoldersCountsAndMeta(t *testing.T) {
	c := openTest(t, testOptions(t))
	folders := []postamail.Folder{
		{Name: "INBOX", Role: postamail.RoleInbox},
		{Name: "Work/Reports", Delim: "/"},
		{Name: "Old"},
	}
	if err := c.PutFolders("a", folders); err != nil {
		t.Fatal(err)
	}
	now := time.Unix(1700000000, 0)
	if err := c.PutHeaders("a", []postamail.Header{
		header("INBOX", "1", now, postamail.FlagSeen),
		header("INBOX", "2", now),
		header("INBOX", "3", now),
		header("Old", "1", now),
	}); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFolderMeta("a", "INBOX", FolderMeta{UIDValidity: 42, HighestModSeq: 1 << 40}); err != nil {
		t.Fatal(err)
	}
	got, err := c.Folders("a")
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 3 || got[0].Name != "INBOX" || got[0].Total != 3 || got[0].Unread != 2 ||
		got[0].Role != postamail.RoleInbox || got[1].Delim != "/" || got[2].Total != 1 {
		t.Errorf("Folders() = %+v, want INBOX 3/2, Work/Reports, Old 1/1", got)
	}

	// Replacing the list drops Old and its messages, keeps INBOX and its meta.
	if err := c.PutFolders("a", folders[:2]); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Count(Query{Account: "a", Folder: "Old"}); n != 0 {
		t.Errorf("Count(Old) after PutFolders = %d, want 0", n)
	}
	if n, _ := c.Count(Query{Account: "a", Folder: "INBOX"}); n != 3 {
		t.Errorf("Count(INBOX) after PutFolders = %d, want 3", n)
	}
	meta, err := c.FolderMeta("a", "INBOX")
	if err != nil || meta != (FolderMeta{UIDValidity: 42, HighestModSeq: 1 << 40}) {
		t.Errorf("FolderMeta() = %+v, %v; want 42, 1<<40", meta, err)
	}
	if meta, err := c.FolderMeta("a", "nope"); err != nil || meta != (FolderMeta{}) {
		t.Errorf("FolderMeta(unknown) = %+v, %v; want zero", meta, err)
	}
}

// TestPutFoldersDropsUnlistedFolders: a folder that holds messages but
// was never listed (synced by name, or a move's target) loses them when
// the server's list lacks it; POP3 messages (Maildir files) stay.
func TestPutFoldersDropsUnlistedFolders(t *testing.T) {
	c := openTest(t, testOptions(t))
	now := time.Unix(1700000000, 0)
	if err := c.PutHeaders("a", []postamail.Header{header("INBOX", "1", now), header("Unlisted", "1", now), header("Unlisted", "2", now)}); err != nil {
		t.Fatal(err)
	}
	if _, err := c.DeliverPOP("p", "uidl-1", postamail.Header{}, stringsReader(rawMessage(1))); err != nil {
		t.Fatal(err)
	}
	if err := c.PutFolders("a", []postamail.Folder{{Name: "INBOX"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.PutFolders("p", nil); err != nil {
		t.Fatal(err)
	}
	for _, w := range []struct {
		account, folder string
		n               int
	}{{"a", "Unlisted", 0}, {"a", "INBOX", 1}, {"p", "INBOX", 1}} {
		if n, err := c.Count(Query{Account: w.account, Folder: w.folder}); err != nil || n != w.n {
			t.Errorf("Count(%s %s) = %d, %v; want %d", w.account, w.folder, n, err, w.n)
		}
	}
	checkCounts(t, c)
}

func TestFlagsRemoveReset(t *testing.T) {
	c := openTest(t, testOptions(t))
	now := time.Unix(1700000000, 0)
	var hs []postamail.Header
	for _, uid := range []string{"1", "2", "3", "4"} {
		hs = append(hs, header("INBOX", uid, now))
	}
	if err := c.PutHeaders("a", hs); err != nil {
		t.Fatal(err)
	}
	if err := c.PutFolders("a", []postamail.Folder{{Name: "INBOX"}}); err != nil {
		t.Fatal(err)
	}
	if err := c.UpdateFlags("a", "INBOX", map[string]postamail.Flags{
		"1": {postamail.FlagSeen, "$Label1"}, "2": {postamail.FlagSeen}, "99": {postamail.FlagSeen},
	}); err != nil {
		t.Fatal(err)
	}
	if f, _ := c.Folders("a"); f[0].Unread != 2 {
		t.Errorf("Unread after UpdateFlags = %d, want 2", f[0].Unread)
	}
	ms := mustList(t, c, Query{Account: "a"})
	byUID := map[string]Message{}
	for _, m := range ms {
		byUID[m.UID] = m
	}
	if !byUID["1"].Flags.Has("$Label1") {
		t.Errorf("flags of uid 1 = %v, want $Label1 kept", byUID["1"].Flags)
	}
	if err := c.SetFlags(byUID["3"].ID, postamail.Flags{postamail.FlagSeen, postamail.FlagFlagged}); err != nil {
		t.Fatal(err)
	}
	if m, _ := c.Get(byUID["3"].ID); !m.Flags.Has(postamail.FlagFlagged) {
		t.Errorf("SetFlags() not stored: %v", m.Flags)
	}

	if err := c.PutBody(byUID["4"].ID, stringsReader("raw 4")); err != nil {
		t.Fatal(err)
	}
	if err := c.RemoveUIDs("a", "INBOX", []string{"4", "nope"}); err != nil {
		t.Fatal(err)
	}
	known, err := c.KnownUIDs("a", "INBOX")
	if err != nil || len(known) != 3 {
		t.Errorf("KnownUIDs() after remove = %v, %v; want 3 UIDs", known, err)
	}
	if _, err := os.Stat(bodyPath(c.dir, byUID["4"].ID)); !os.IsNotExist(err) {
		t.Errorf("body file of removed message still there (stat err %v)", err)
	}

	if err := c.PutBody(byUID["1"].ID, stringsReader("raw 1")); err != nil {
		t.Fatal(err)
	}
	if err := c.SetFolderMeta("a", "INBOX", FolderMeta{UIDValidity: 7}); err != nil {
		t.Fatal(err)
	}
	if err := c.ResetFolder("a", "INBOX"); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Count(Query{Account: "a", Folder: "INBOX"}); n != 0 {
		t.Errorf("Count() after ResetFolder = %d, want 0", n)
	}
	if meta, _ := c.FolderMeta("a", "INBOX"); meta.UIDValidity != 0 {
		t.Errorf("FolderMeta() after ResetFolder = %+v, want zero", meta)
	}
	if _, err := os.Stat(bodyPath(c.dir, byUID["1"].ID)); !os.IsNotExist(err) {
		t.Errorf("body file survived ResetFolder (stat err %v)", err)
	}
	checkCounts(t, c)
}

func TestBodyRoundTrip(t *testing.T) {
	c := openTest(t, testOptions(t))
	if err := c.PutHeaders("a", []postamail.Header{header("INBOX", "1", time.Unix(1, 0))}); err != nil {
		t.Fatal(err)
	}
	m := mustList(t, c, Query{})[0]
	if m.HasBody {
		t.Errorf("HasBody = true before PutBody")
	}
	if _, err := c.OpenBody(m.ID); !errors.Is(err, ErrNoBody) {
		t.Fatalf("OpenBody() before PutBody error = %v, want ErrNoBody", err)
	}
	raw := "Subject: hello\r\n\r\n" + strings.Repeat("line of body\r\n", 10000)
	if err := c.PutBody(m.ID, stringsReader(raw)); err != nil {
		t.Fatal(err)
	}
	rc, err := c.OpenBody(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	got, _ := io.ReadAll(rc)
	rc.Close()
	if string(got) != raw {
		t.Errorf("OpenBody() returned %d bytes, want the %d stored", len(got), len(raw))
	}
	if m, _ := c.Get(m.ID); !m.HasBody {
		t.Errorf("HasBody = false after PutBody")
	}
	// A header refresh must not forget the body.
	if err := c.PutHeaders("a", []postamail.Header{header("INBOX", "1", time.Unix(1, 0), postamail.FlagSeen)}); err != nil {
		t.Fatal(err)
	}
	if m, _ := c.Get(m.ID); !m.HasBody {
		t.Errorf("HasBody = false after a header upsert")
	}
	// A body file lost behind our back is reported as ErrNoBody, not an I/O error.
	os.Remove(bodyPath(c.dir, m.ID))
	if _, err := c.OpenBody(m.ID); !errors.Is(err, ErrNoBody) {
		t.Errorf("OpenBody() of a vanished file error = %v, want ErrNoBody", err)
	}
	if err := c.PutBody(424242, stringsReader("x")); !errors.Is(err, ErrNotFound) {
		t.Errorf("PutBody(absent) error = %v, want ErrNotFound", err)
	}
}

// TestPutHeaderRows stores headers made ready beforehand, several sets in
// one transaction, with folders changing within a set (each run of one
// folder gets statements binding that folder once): every header lands
// once, in its own folder, with the values it had when it was prepared.
func TestPutHeaderRows(t *testing.T) {
	c := openTest(t, testOptions(t))
	day := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	var first, second []postamail.Header
	for i := range 150 {
		folder := "INBOX"
		if i/70 == 1 { // 70 in INBOX, 70 in Archive, 10 in INBOX again
			folder = "Archive"
		}
		first = append(first, header(folder, strconv.Itoa(i), day.Add(time.Duration(i)*time.Minute), postamail.FlagSeen))
	}
	for i := range 3 {
		second = append(second, header("Sent", strconv.Itoa(i), day))
	}
	a, err := PrepareHeaders("work", first)
	if err != nil {
		t.Fatal(err)
	}
	b, err := PrepareHeaders("work", second)
	if err != nil {
		t.Fatal(err)
	}
	for i := range first {
		first[i].Subject = "changed after PrepareHeaders"
	}
	if err := c.PutHeaderRows(a, b); err != nil {
		t.Fatal(err)
	}
	for folder, want := range map[string]int{"INBOX": 80, "Archive": 70, "Sent": 3} {
		if n, err := c.Count(Query{Account: "work", Folder: folder}); err != nil || n != want {
			t.Errorf("Count(%s) = %d, %v; want %d", folder, n, err, want)
		}
	}
	ms := mustList(t, c, Query{Account: "work", Folder: "Archive"})
	seen := map[string]bool{}
	for _, m := range ms {
		n, _ := strconv.Atoi(m.UID)
		if n < 70 || n >= 140 || seen[m.UID] {
			t.Errorf("Archive holds UID %s (want 70..139, once each)", m.UID)
		}
		seen[m.UID] = true
		if m.Subject != "subject "+m.UID || !m.Flags.Has(postamail.FlagSeen) {
			t.Errorf("UID %s: subject %q, flags %v; want the prepared values", m.UID, m.Subject, m.Flags)
		}
	}
}

func TestPrepareHeadersNeedsUIDAndFolder(t *testing.T) {
	day := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	for _, h := range []postamail.Header{header("INBOX", "", day), header("", "1", day)} {
		if _, err := PrepareHeaders("work", []postamail.Header{header("INBOX", "9", day), h}); err == nil {
			t.Errorf("PrepareHeaders(UID %q, Folder %q) = nil error", h.UID, h.Folder)
		}
	}
}

// A first sync's rows (PutNewHeaderRows) leave a row that another process
// stored meanwhile as it is, and the folder's counts count it once.
func TestPutNewHeaderRowsKeepsARowStoredMeanwhile(t *testing.T) {
	c := openTest(t, testOptions(t))
	if err := c.PutFolders("work", []postamail.Folder{{Name: "INBOX"}}); err != nil {
		t.Fatal(err)
	}
	day := time.Date(2024, 1, 1, 12, 0, 0, 0, time.UTC)
	other := header("INBOX", "5", day, postamail.FlagSeen)
	other.Subject = "stored by the other process"
	if err := c.PutHeaders("work", []postamail.Header{other}); err != nil {
		t.Fatal(err)
	}
	before := mustList(t, c, Query{Account: "work", Folder: "INBOX"})
	var hs []postamail.Header
	for i := 1; i <= 100; i++ {
		hs = append(hs, header("INBOX", strconv.Itoa(i), day.Add(time.Duration(i)*time.Minute)))
	}
	rows, err := PrepareHeaders("work", hs)
	if err != nil {
		t.Fatal(err)
	}
	if err := c.PutNewHeaderRows(rows); err != nil {
		t.Fatalf("PutNewHeaderRows() error = %v", err)
	}
	ms := mustList(t, c, Query{Account: "work", Folder: "INBOX"})
	if len(ms) != 100 {
		t.Fatalf("INBOX holds %d rows, want 100", len(ms))
	}
	for _, m := range ms {
		switch {
		case m.UID == "5" && (m.ID != before[0].ID || m.Subject != other.Subject):
			t.Errorf("UID 5 = id %d, subject %q; want the row stored before (id %d, %q)", m.ID, m.Subject, before[0].ID, other.Subject)
		case m.UID != "5" && m.Subject != "subject "+m.UID:
			t.Errorf("UID %s: subject %q", m.UID, m.Subject)
		}
	}
	folders, err := c.Folders("work")
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range folders {
		if f.Name == "INBOX" {
			found = true
			if f.Total != 100 || f.Unread != 99 {
				t.Errorf("INBOX counts = %d total, %d unread; want 100, 99", f.Total, f.Unread)
			}
		}
	}
	if !found {
		t.Errorf("Folders() = %+v, no INBOX", folders)
	}
}
