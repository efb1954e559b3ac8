package cache

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// searchFixture is a dozen headers over two accounts; a message is named
// "account/uid" in the tests.
func searchFixture(t testing.TB) *Cache {
	t.Helper()
	c := openTest(t, testOptions(t))
	day := func(m time.Month, d int) time.Time { return time.Date(2024, m, d, 12, 0, 0, 0, time.UTC) }
	addr := func(name, a string) []postamail.Address { return []postamail.Address{{Name: name, Addr: a}} }
	seen := postamail.Flags{postamail.FlagSeen}
	h := func(folder, uid, subject string, from, to []postamail.Address, date time.Time, flags postamail.Flags) postamail.Header {
		return postamail.Header{UID: uid, Folder: folder, Subject: subject, From: from, To: to, Date: date, Flags: flags}
	}
	alice, bob := addr("Alice Smith", "alice@corp.example"), addr("", "bob@corp.example")
	work := []postamail.Header{
		h("INBOX", "1", "Café meeting tomorrow", addr("Zoë Martin", "zoe@cafe.example"), bob, day(3, 10), nil),
		h("INBOX", "2", "Quarterly report", alice, bob, day(3, 1), seen),
		h("INBOX", "3", "Re: Quarterly report", bob, alice, day(3, 2), postamail.Flags{postamail.FlagSeen, postamail.FlagFlagged}),
		h("Archive", "4", "Holiday photos", alice, bob, day(1, 15), seen),
		h("INBOX", "5", "Invoice 2024-017", addr("", "billing@shop.example"), bob, day(2, 20), nil),
		h("INBOX", "6", `Tricky "quotes" and * stars OR NEAR(x)`, addr("", "mallory@evil.example"), bob, day(2, 10), nil),
		h("Sent", "7", "Lunch?", bob, alice, day(3, 5), seen),
		h("INBOX", "8", "Weekly newsletter", addr("", "news@list.example"), bob, day(3, 8), nil),
		h("INBOX", "9", "Dropping tables for fun", addr("", "dba@corp.example"), bob, day(1, 20), seen),
	}
	work[1].Cc = addr("Carol", "carol@corp.example")
	work[1].HasAttachment = true
	work[3].HasAttachment = true
	home := []postamail.Header{
		h("INBOX", "1", "Café opening", addr("", "zoe@cafe.example"), addr("", "me@home.example"), day(3, 9), nil),
		h("INBOX", "2", "Garden report", addr("Mum", "mum@home.example"), addr("", "me@home.example"), day(2, 1), nil),
		h("INBOX", "3", "Résumé attached", addr("", "jobs@x.example"), addr("", "me@home.example"), day(1, 5), seen),
	}
	home[2].HasAttachment = true
	if err := c.PutHeaders("work", work); err != nil {
		t.Fatal(err)
	}
	if err := c.PutHeaders("home", home); err != nil {
		t.Fatal(err)
	}
	return c
}

func names(ms []Message) []string {
	out := make([]string, 0, len(ms))
	for _, m := range ms {
		out = append(out, m.Account+"/"+m.UID)
	}
	return out
}

func mustSearch(t *testing.T, c *Cache, q SearchQuery) []string {
	t.Helper()
	ms, err := c.Search(q)
	if err != nil {
		t.Fatalf("Search(%q) error = %v", q.Text, err)
	}
	return names(ms)
}

func idOf(t *testing.T, c *Cache, account, folder, uid string) int64 {
	t.Helper()
	ms, err := c.List(Query{Account: account, Folder: folder})
	if err != nil {
		t.Fatal(err)
	}
	for _, m := range ms {
		if m.UID == uid {
			return m.ID
		}
	}
	t.Fatalf("no message %s/%s/%s", account, folder, uid)
	return 0
}

func TestSearchOperators(t *testing.T) {
	c := searchFixture(t)
	tests := []struct {
		text, account string
		want          []string // newest first
	}{
		{text: "report", want: []string{"work/3", "work/2", "home/2"}},
		{text: "REPORT", want: []string{"work/3", "work/2", "home/2"}},
		{text: "cafe", want: []string{"work/1", "home/1"}},
		{text: "CAFÉ", want: []string{"work/1", "home/1"}},
		{text: "resume", want: []string{"home/3"}},
		{text: "zoe", want: []string{"work/1", "home/1"}},
		{text: `"quarterly report"`, want: []string{"work/3", "work/2"}},
		{text: `"report quarterly"`, want: nil},
		{text: "quarterly report re", want: []string{"work/3"}},
		{text: "from:alice", want: []string{"work/2", "work/4"}},
		{text: `from:"alice smith"`, want: []string{"work/2", "work/4"}},
		{text: "from:alice@corp.example", want: []string{"work/2", "work/4"}},
		{text: "from:zoë", want: []string{"work/1", "home/1"}},
		{text: "to:alice", want: []string{"work/7", "work/3"}},
		{text: "to:carol", want: []string{"work/2"}},
		{text: "subject:report", want: []string{"work/3", "work/2", "home/2"}},
		{text: "subject:alice", want: nil},
		{text: "before:2024-02-01", want: []string{"work/9", "work/4", "home/3"}},
		{text: "after:2024-03-05", want: []string{"work/1", "home/1", "work/8", "work/7"}},
		{text: "after:2024-02-01 before:2024-03-01", want: []string{"work/5", "work/6", "home/2"}},
		{text: "has:attachment", want: []string{"work/2", "work/4", "home/3"}},
		{text: "is:unread", want: []string{"work/1", "home/1", "work/8", "work/5", "work/6", "home/2"}},
		{text: "is:read", want: []string{"work/7", "work/3", "work/2", "work/9", "work/4", "home/3"}},
		{text: "is:flagged", want: []string{"work/3"}},
		{text: "folder:Archive", want: []string{"work/4"}},
		{text: "folder:Sent lunch", want: []string{"work/7"}},
		{text: "account:home", want: []string{"home/1", "home/2", "home/3"}},
		{text: "cafe", account: "home", want: []string{"home/1"}},
		{text: "cafe account:work", want: []string{"work/1"}},
		{text: "cafe account:work", account: "home", want: nil},
		{text: "report from:alice", want: []string{"work/2"}},
		{text: "report is:unread", want: []string{"home/2"}},
		{text: `from:"Alice Smith" has:attachment before:2024-02-01`, want: []string{"work/4"}},
		{text: "2024 017", want: []string{"work/5"}},
	}
	for _, tt := range tests {
		t.Run(tt.text+"/"+tt.account, func(t *testing.T) {
			got := mustSearch(t, c, SearchQuery{Text: tt.text, Account: tt.account})
			if !slices.Equal(got, tt.want) {
				t.Errorf("Search(%q, account %q) = %v, want %v", tt.text, tt.account, got, tt.want)
			}
		})
	}
}

func TestSearchLimitOffset(t *testing.T) {
	c := searchFixture(t)
	got := mustSearch(t, c, SearchQuery{Text: "is:unread", Limit: 2, Offset: 1})
	if want := []string{"home/1", "work/8"}; !slices.Equal(got, want) {
		t.Errorf("Search(is:unread, limit 2, offset 1) = %v, want %v", got, want)
	}
}

func TestSearchBadQueries(t *testing.T) {
	c := searchFixture(t)
	tests := []struct{ text, wantInErr string }{
		{"foo:bar", `"foo:"`},
		{"report Label:x", `"label:"`},
		{"before:yesterday", "before"},
		{"after:2024-13-01", "after"},
		{"has:wings", "has:wings"},
		{"is:urgent", "is:urgent"},
		{"from:", "from"},
		{`subject:"`, "subject"},
		{"", "empty"},
		{"   ", "empty"},
	}
	for _, tt := range tests {
		_, err := c.Search(SearchQuery{Text: tt.text})
		if !errors.Is(err, ErrBadQuery) || !strings.Contains(err.Error(), tt.wantInErr) {
			t.Errorf("Search(%q) error = %v, want ErrBadQuery naming %q", tt.text, err, tt.wantInErr)
		}
	}
}

func TestSearchHostile(t *testing.T) {
	c := searchFixture(t)
	tests := []struct {
		text string
		want []string
	}{
		{`"`, nil},
		{`""`, nil},
		{`*`, nil},
		{`report*`, []string{"work/3", "work/2", "home/2"}}, // no prefix query: the * is not a token
		{`rep*`, nil},
		{`NEAR(`, []string{"work/6"}}, // the word "near"
		{`NEAR(report cafe)`, nil},
		{`NEAR(x)`, []string{"work/6"}}, // the words "near x", as in message 6
		{`OR`, []string{"work/6"}},      // the word "or"
		{`report OR cafe`, nil},
		{`stars OR`, []string{"work/6"}},
		{`'; DROP TABLE messages; --`, nil},
		{`from:"alice`, []string{"work/2", "work/4"}},
		{`a" OR "b`, nil},
		{`"quotes" stars`, []string{"work/6"}},
		{`subject:report) OR (cafe`, nil},
		{`report^ -cafe +x {subject}:`, nil},
		{"report\x00cafe", nil},
		{"\xff\xfe report", []string{"work/3", "work/2", "home/2"}},
		{`folder:"'; DROP TABLE messages; --"`, nil},
	}
	for _, tt := range tests {
		ms, err := c.Search(SearchQuery{Text: tt.text})
		if err != nil {
			t.Errorf("Search(%q) error = %v", tt.text, err)
			continue
		}
		if got := names(ms); !slices.Equal(got, tt.want) {
			t.Errorf("Search(%q) = %v, want %v", tt.text, got, tt.want)
		}
	}
	if n, err := c.Count(Query{}); err != nil || n != 12 {
		t.Errorf("Count() after hostile queries = %d, %v, want 12", n, err)
	}
}

func TestSearchFollowsMessages(t *testing.T) {
	c := searchFixture(t)
	if err := c.RemoveUIDs("work", "INBOX", []string{"2"}); err != nil {
		t.Fatal(err)
	}
	if got, want := mustSearch(t, c, SearchQuery{Text: "report"}), []string{"work/3", "home/2"}; !slices.Equal(got, want) {
		t.Errorf("after RemoveUIDs: Search(report) = %v, want %v", got, want)
	}
	if err := c.ResetFolder("home", "INBOX"); err != nil {
		t.Fatal(err)
	}
	if got, want := mustSearch(t, c, SearchQuery{Text: "report"}), []string{"work/3"}; !slices.Equal(got, want) {
		t.Errorf("after ResetFolder: Search(report) = %v, want %v", got, want)
	}

	// A changed subject is re-indexed, and the body text stays.
	id := idOf(t, c, "work", "INBOX", "8")
	if err := c.IndexBody(id, "Kangaroo sightings this week"); err != nil {
		t.Fatal(err)
	}
	h := postamail.Header{UID: "8", Folder: "INBOX", Subject: "Monthly digest", From: []postamail.Address{{Addr: "digest@list.example"}},
		Date: time.Date(2024, 3, 8, 12, 0, 0, 0, time.UTC)}
	if err := c.PutHeaders("work", []postamail.Header{h}); err != nil {
		t.Fatal(err)
	}
	for text, want := range map[string][]string{
		"weekly": nil, "newsletter": nil, "digest": {"work/8"}, "from:digest": {"work/8"},
		"from:news": nil, "kangaroo": {"work/8"}, "kangaroo subject:monthly": {"work/8"},
	} {
		if got := mustSearch(t, c, SearchQuery{Text: text}); !slices.Equal(got, want) {
			t.Errorf("after subject change: Search(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestIndexBody(t *testing.T) {
	c := searchFixture(t)
	id := idOf(t, c, "work", "INBOX", "5")
	if got := mustSearch(t, c, SearchQuery{Text: "amount"}); len(got) != 0 {
		t.Fatalf("Search(amount) before IndexBody = %v, want none", got)
	}
	if err := c.IndexBody(id, "Please pay the amount due.\nNaïve ünïcödé text"); err != nil {
		t.Fatalf("IndexBody() error = %v", err)
	}
	for _, text := range []string{"amount", `"amount due"`, "naive unicode", "AMOUNT invoice", "amount is:unread"} {
		if got, want := mustSearch(t, c, SearchQuery{Text: text}), []string{"work/5"}; !slices.Equal(got, want) {
			t.Errorf("Search(%q) = %v, want %v", text, got, want)
		}
	}
	for _, text := range []string{"from:amount", "subject:amount", "to:amount", "amount is:read"} {
		if got := mustSearch(t, c, SearchQuery{Text: text}); len(got) != 0 {
			t.Errorf("Search(%q) = %v, want none (body words are not in header fields)", text, got)
		}
	}
	// Re-indexing replaces the text.
	if err := c.IndexBody(id, "something else"); err != nil {
		t.Fatal(err)
	}
	if got := mustSearch(t, c, SearchQuery{Text: "amount"}); len(got) != 0 {
		t.Errorf("Search(amount) after re-index = %v, want none", got)
	}
	if err := c.IndexBody(999999, "x"); !errors.Is(err, ErrNotFound) {
		t.Errorf("IndexBody(unknown) error = %v, want ErrNotFound", err)
	}
	// Oversized and invalid text does not fail.
	big := strings.Repeat("wombat ", maxBodyText/7) + "éé" + strings.Repeat("tail ", 10) + "\xff"
	if err := c.IndexBody(id, big); err != nil {
		t.Fatalf("IndexBody(big) error = %v", err)
	}
	if got := mustSearch(t, c, SearchQuery{Text: "wombat"}); len(got) != 1 {
		t.Errorf("Search(wombat) = %v, want work/5", got)
	}
	if got := mustSearch(t, c, SearchQuery{Text: "tail"}); len(got) != 0 {
		t.Errorf("Search(tail) = %v, want none (past the 1 MiB cut)", got)
	}
}

// TestSearchMigratesExistingIndex opens an index made before search
// existed: migration 3 indexes the rows already there.
func TestSearchMigratesExistingIndex(t *testing.T) {
	opts := testOptions(t)
	db := oldIndex(t, opts, 2)
	_, err := db.Exec(`INSERT INTO messages (account, folder, uid, subject, from_json, to_json) VALUES
		('a', 'INBOX', '1', 'Old platypus', '[{"name":"Ann","addr":"ann@example.org"}]', ''),
		('a', 'INBOX', '2', 'Broken row', 'not json', '[]')`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	c := openTest(t, opts)
	for text, want := range map[string][]string{"platypus": {"a/1"}, "from:ann": {"a/1"}, "broken": {"a/2"}} {
		if got := mustSearch(t, c, SearchQuery{Text: text}); !slices.Equal(got, want) {
			t.Errorf("Search(%q) after migration = %v, want %v", text, got, want)
		}
	}
}

var benchWords = []string{"invoice", "meeting", "report", "holiday", "lunch", "project", "budget", "review",
	"release", "party", "travel", "contract", "update", "question", "photos", "schedule", "server", "garden",
	"family", "weekend"}

func searchBenchHeaders(n int) []postamail.Header {
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	hs := make([]postamail.Header, n)
	for i := range hs {
		sender := fmt.Sprintf("sender%d", i%100)
		hs[i] = postamail.Header{
			UID: fmt.Sprint(i + 1), Folder: "INBOX",
			Subject: fmt.Sprintf("%s %s number %d", benchWords[i%len(benchWords)], benchWords[(i*7/3)%len(benchWords)], i),
			From:    []postamail.Address{{Name: "Sender " + fmt.Sprint(i%100), Addr: sender + "@example.org"}},
			To:      []postamail.Address{{Addr: "me@example.org"}},
			Date:    base.Add(time.Duration(i*37%n) * time.Minute),
		}
	}
	return hs
}

// BenchmarkSearch100k searches 100k headers: a word (1 in 20 subjects), a
// from: (1 in 100 senders) and both, for a page of 100 and for all hits.
func BenchmarkSearch100k(b *testing.B) {
	c := openTest(b, testOptions(b))
	if err := c.PutHeaders("bench", searchBenchHeaders(100_000)); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name, text string
		limit      int
	}{
		{"word/page", "invoice", 100},
		{"word/all", "invoice", 0},
		{"from/page", "from:sender7", 100},
		{"from/all", "from:sender7", 0},
		{"word+from/all", "invoice from:sender20", 0},
		{"rare/all", "number 4242", 0},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				ms, err := c.Search(SearchQuery{Text: bc.text, Limit: bc.limit})
				if err != nil || len(ms) == 0 {
					b.Fatalf("Search(%q) = %d, %v", bc.text, len(ms), err)
				}
			}
		})
		b.Run(bc.name+"/ids", func(b *testing.B) {
			for b.Loop() {
				ids, err := c.SearchIDs(SearchQuery{Text: bc.text, Limit: bc.limit})
				if err != nil || len(ids) == 0 {
					b.Fatalf("SearchIDs(%q) = %d, %v", bc.text, len(ids), err)
				}
			}
		})
	}
}
