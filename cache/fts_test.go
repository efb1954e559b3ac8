package cache

import (
	"context"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// TestDeferredFullText: storing headers does not index them for search;
// the first search does, and body text given before that is found too.
func TestDeferredFullText(t *testing.T) {
	c := openTest(t, testOptions(t))
	h := header("INBOX", "1", time.Date(2026, 3, 1, 9, 0, 0, 0, time.UTC))
	h.Subject = "Quarterly zeppelin report"
	if err := c.PutHeaders("acc", []postamail.Header{h}); err != nil {
		t.Fatal(err)
	}
	var indexed int
	if err := c.db.QueryRow(`SELECT count(*) FROM messages_fts`).Scan(&indexed); err != nil {
		t.Fatal(err)
	}
	if indexed != 0 {
		t.Fatalf("messages_fts holds %d rows right after PutHeaders, want 0 (deferred)", indexed)
	}
	ms := mustList(t, c, Query{Account: "acc", Folder: "INBOX"})
	if len(ms) != 1 {
		t.Fatalf("List = %d messages", len(ms))
	}
	if err := c.IndexBody(ms[0].ID, "the armadillo clause"); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"zeppelin", "armadillo"} {
		got, err := c.Search(SearchQuery{Text: q})
		if err != nil || len(got) != 1 {
			t.Fatalf("Search(%q) = %d, %v; want the message", q, len(got), err)
		}
	}
	// Indexed now: new body text replaces the old in messages_fts.
	if err := c.IndexBody(ms[0].ID, "the pangolin clause"); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Search(SearchQuery{Text: "armadillo"}); len(got) != 0 {
		t.Errorf("old body text still found after IndexBody replaced it")
	}
	if got, _ := c.Search(SearchQuery{Text: "pangolin"}); len(got) != 1 {
		t.Errorf("new body text not found")
	}
	if err := c.IndexBody(ms[0].ID+100, "x"); err == nil {
		t.Error("IndexBody of an unknown message succeeded")
	}
	// A second batch after the catch-up is indexed by the next search.
	h2 := header("INBOX", "2", time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	h2.Subject = "Another zeppelin"
	if err := c.PutHeaders("acc", []postamail.Header{h2}); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Search(SearchQuery{Text: "zeppelin"}); len(got) != 2 {
		t.Errorf("Search after a second batch = %d results, want 2", len(got))
	}
	if n, err := c.IndexPending(); err != nil || n != 0 {
		t.Errorf("IndexPending after the searches = %d, %v; want 0 left", n, err)
	}
}

// TestDeferredFullTextBatches: more than a batch of unindexed messages
// is indexed in several transactions, every message once.
func TestDeferredFullTextBatches(t *testing.T) {
	c := openTest(t, testOptions(t))
	hs := benchHeaders(ftsBatch + 1234)
	if err := c.PutHeaders("acc", hs); err != nil {
		t.Fatal(err)
	}
	n, err := c.IndexPending()
	if err != nil || n != len(hs) {
		t.Fatalf("IndexPending = %d, %v; want %d", n, err, len(hs))
	}
	var rows int
	if err := c.db.QueryRow(`SELECT count(*) FROM messages_fts`).Scan(&rows); err != nil || rows != len(hs) {
		t.Fatalf("messages_fts rows = %d, %v; want %d", rows, err, len(hs))
	}
}

// TestSortIndexMadeOnFirstUse: a folder listed by size gets the size
// index then, not before.
func TestSortIndexMadeOnFirstUse(t *testing.T) {
	c := openTest(t, testOptions(t))
	exists := func() bool {
		var n int
		if err := c.db.QueryRow(`SELECT count(*) FROM sqlite_master WHERE type = 'index' AND name = 'messages_sort_size'`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n == 1
	}
	if exists() {
		t.Fatal("the size index exists before any listing by size")
	}
	mustList(t, c, Query{Account: "acc", Folder: "INBOX", Sort: Sort{Key: SortSize}})
	if !exists() {
		t.Fatal("listing by size did not make the size index")
	}
}

// TestTidyWorkStopsWithItsContext: the indexing a sync leaves for later
// gives up when its context ends (the reader quits), leaving the rest.
func TestTidyWorkStopsWithItsContext(t *testing.T) {
	c := openTest(t, testOptions(t))
	if err := c.PutHeaders("acc", benchHeaders(2000)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if n, err := c.IndexPendingContext(ctx); err == nil || n != 0 {
		t.Errorf("IndexPendingContext(cancelled) = %d, %v; want 0 and an error", n, err)
	}
	if err := c.ThreadAccount(ctx, "acc"); err == nil {
		t.Error("ThreadAccount(cancelled) succeeded")
	}
	var threaded, indexed int
	c.db.QueryRow(`SELECT count(*) FROM messages WHERE thread_id != 0`).Scan(&threaded)
	c.db.QueryRow(`SELECT count(*) FROM messages_fts`).Scan(&indexed)
	if threaded != 0 || indexed != 0 {
		t.Errorf("after cancelled work: %d threaded, %d indexed; want none", threaded, indexed)
	}
	if err := c.ThreadAccount(context.Background(), "acc"); err != nil {
		t.Fatal(err)
	}
	if n, err := c.IndexPending(); err != nil || n != 2000 {
		t.Errorf("IndexPending later = %d, %v; want 2000", n, err)
	}
}
