package cache

import (
	"fmt"
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

func TestListSorted(t *testing.T) {
	c := openTest(t, testOptions(t))
	base := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	mk := func(uid, from, subject string, days, size int, flags ...postamail.Flag) postamail.Header {
		h := header("INBOX", uid, base.AddDate(0, 0, days), flags...)
		h.From = []postamail.Address{{Name: from, Addr: strings.ToLower(from) + "@example.org"}}
		if from == "" {
			h.From = []postamail.Address{{Addr: "zed@example.org"}}
		}
		h.Subject, h.Size = subject, int64(size)
		return h
	}
	hs := []postamail.Header{
		mk("10", "Carol", "budget", 3, 500, postamail.FlagSeen),
		mk("2", "alice", "Agenda", 1, 9000),
		mk("33", "Bob", "coffee", 2, 20, postamail.FlagSeen, postamail.FlagFlagged),
		mk("4", "", "zebra", 4, 300, postamail.FlagSeen),
	}
	if err := c.PutHeaders("acc", hs); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sort Sort
		want string // UIDs in order
	}{
		{Sort{}, "4 10 33 2"},
		{Sort{Key: SortDate, Reverse: true}, "2 33 10 4"},
		{Sort{Key: SortArrival}, "33 10 4 2"},
		{Sort{Key: SortSender}, "2 33 10 4"},
		{Sort{Key: SortSubject}, "2 10 33 4"},
		{Sort{Key: SortSubject, Reverse: true}, "4 33 10 2"},
		{Sort{Key: SortSize}, "2 10 4 33"},
		{Sort{Key: SortUnread}, "2 4 10 33"},
		{Sort{Key: SortFlagged}, "33 4 10 2"},
		{Sort{Key: SortFlagged, Reverse: true}, "2 10 4 33"},
	}
	for _, tt := range tests {
		t.Run(tt.sort.String(), func(t *testing.T) {
			var got []string
			for _, m := range mustList(t, c, Query{Account: "acc", Folder: "INBOX", Sort: tt.sort}) {
				got = append(got, m.UID)
			}
			if s := strings.Join(got, " "); s != tt.want {
				t.Errorf("List(%v) = %s, want %s", tt.sort, s, tt.want)
			}
		})
	}
}

// TestSortedPagesUseAnIndex checks that every sort, in both directions,
// reads a folder's page from an index rather than sorting the folder.
func TestSortedPagesUseAnIndex(t *testing.T) {
	c := openTest(t, testOptions(t))
	for _, k := range SortKeys {
		for _, rev := range []bool{false, true} {
			s := Sort{Key: k, Reverse: rev}
			if err := c.ensureSortIndex(k); err != nil {
				t.Fatal(err)
			}
			rows, err := c.db.Query(`EXPLAIN QUERY PLAN SELECT `+messageColumns+` FROM messages WHERE account = ? AND folder = ? ORDER BY `+s.orderBy()+` LIMIT 50 OFFSET 0`, "a", "INBOX")
			if err != nil {
				t.Fatal(err)
			}
			var plan []string
			for rows.Next() {
				var id, parent, unused int
				var detail string
				if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
					t.Fatal(err)
				}
				plan = append(plan, detail)
			}
			rows.Close()
			p := strings.Join(plan, "; ")
			if strings.Contains(p, "TEMP B-TREE") || !strings.Contains(p, "INDEX") {
				t.Errorf("sort %v: plan %q sorts instead of reading an index", s, p)
			}
		}
	}
}

func TestFolderSortRemembered(t *testing.T) {
	c := openTest(t, testOptions(t))
	if s, err := c.FolderSort("acc", "INBOX"); err != nil || s != (Sort{}) {
		t.Fatalf("FolderSort of a new folder = %v, %v; want the zero Sort", s, err)
	}
	want := Sort{Key: SortSender, Reverse: true}
	if err := c.SetFolderSort("acc", "INBOX", want); err != nil {
		t.Fatal(err)
	}
	if s, _ := c.FolderSort("acc", "INBOX"); s != want {
		t.Errorf("FolderSort = %v, want %v", s, want)
	}
	if s, _ := c.FolderSort("acc", "Archive"); s != (Sort{}) {
		t.Errorf("another folder's sort = %v, want the zero Sort", s)
	}
	if err := c.SetFolderSort("acc", "INBOX", Sort{Key: "colour"}); err == nil {
		t.Error("SetFolderSort accepted an unknown key")
	}
}

// BenchmarkListSorted reads a page of 200 out of 100k rows in each order.
func BenchmarkListSorted(b *testing.B) {
	c := openTest(b, testOptions(b))
	hs := benchHeaders(100_000)
	for i := range hs {
		hs[i].From = []postamail.Address{{Name: fmt.Sprintf("Sender %05d", i*7919%100_000)}}
		hs[i].Size = int64(i * 31 % 50_000)
		if i%17 == 0 {
			hs[i].Flags = append(hs[i].Flags, postamail.FlagFlagged)
		}
	}
	if err := c.PutHeaders("bench", hs); err != nil {
		b.Fatal(err)
	}
	for _, k := range SortKeys {
		b.Run(string(k), func(b *testing.B) {
			q := Query{Account: "bench", Folder: "INBOX", Limit: 200, Offset: 1000, Sort: Sort{Key: k, Reverse: true}}
			for b.Loop() {
				ms, err := c.List(q)
				if err != nil || len(ms) != 200 {
					b.Fatalf("List() = %d, %v", len(ms), err)
				}
			}
		})
	}
}
