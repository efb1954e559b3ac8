package cache

import (
	"errors"
	"testing"
)

// FuzzSearch runs any query text a user or a script may type against the
// search fixture: Search answers or says the query is bad (ErrBadQuery),
// never with SQLite's or FTS5's own error, which would mean the text
// reached the MATCH expression or the SQL rather than a bound parameter;
// and the messages are all still there after it.
func FuzzSearch(f *testing.F) {
	c := searchFixture(f)
	for _, seed := range []string{
		`report`, `from:alice subject:"quarterly report"`, `"`, `*`, `NEAR(x)`, `OR`, `report OR cafe`,
		`'; DROP TABLE messages; --`, `a" OR "b`, `subject:report) OR (cafe`, `report^ -cafe +x {subject}:`,
		"report\x00cafe", "\xff\xfe report", `folder:"'; DROP TABLE messages; --"`, `before:2024-03-02 after:2024-01-01`,
		`has:attachment is:unread is:flagged`, `to:"bob@corp.example" account:work`, `-"x" AND NOT y`,
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, text string) {
		if _, err := c.Search(SearchQuery{Text: text, Limit: 20}); err != nil && !errors.Is(err, ErrBadQuery) {
			t.Fatalf("Search(%q) error = %v", text, err)
		}
		if _, err := c.SearchIDs(SearchQuery{Text: text}); err != nil && !errors.Is(err, ErrBadQuery) {
			t.Fatalf("SearchIDs(%q) error = %v", text, err)
		}
		if n, err := c.Count(Query{}); err != nil || n != 12 {
			t.Fatalf("Count() after Search(%q) = %d, %v, want 12", text, n, err)
		}
	})
}
