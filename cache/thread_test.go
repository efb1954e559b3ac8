package cache

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

var threadBase = time.Date(2024, 3, 1, 9, 0, 0, 0, time.UTC)

// mail builds a header in INBOX: id, subject, minutes after threadBase,
// and the ids it refers to (References, the last one also In-Reply-To).
func tmsg(id, subject string, minute int, refs ...string) postamail.Header {
	h := postamail.Header{UID: id, Folder: "INBOX", MessageID: "<" + id + "@x>", Subject: subject,
		Date: threadBase.Add(time.Duration(minute) * time.Minute)}
	for _, r := range refs {
		h.References = append(h.References, "<"+r+"@x>")
	}
	if len(refs) > 0 {
		h.InReplyTo = "<" + refs[len(refs)-1] + "@x>"
	}
	return h
}

// threadView lists the folder in thread order as "uid/depth" strings,
// threads separated by "|".
func threadView(t *testing.T, c *Cache, folder string) string {
	t.Helper()
	ms, err := c.List(Query{Account: "a", Folder: folder, Threaded: true})
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var last int64
	for i, m := range ms {
		if m.ThreadID == 0 {
			t.Errorf("message %s has no thread", m.UID)
		}
		if i > 0 {
			if m.ThreadID != last {
				b.WriteString(" | ")
			} else {
				b.WriteString(" ")
			}
		}
		last = m.ThreadID
		fmt.Fprintf(&b, "%s/%d", m.UID, m.Depth)
	}
	return b.String()
}

func TestThreads(t *testing.T) {
	tests := []struct {
		name    string
		batches [][]postamail.Header
		want    string
	}{{
		name: "reply chain arriving backwards, one message per batch",
		batches: [][]postamail.Header{
			{tmsg("c", "Re: plan", 3, "a", "b")},
			{tmsg("b", "Re: plan", 2, "a")},
			{tmsg("a", "plan", 1)},
		},
		want: "a/0 b/1 c/2",
	}, {
		name: "threads newest first, replies under what they answer",
		batches: [][]postamail.Header{{
			tmsg("a", "one", 1), tmsg("b", "two", 2), tmsg("a2", "Re: one", 5, "a"),
			tmsg("b2", "Re: two", 3, "b"), tmsg("a3", "Re: one", 4, "a"),
		}},
		want: "a/0 a3/1 a2/1 | b/0 b2/1",
	}, {
		name: "subject fallback strips Re, Fwd, AW, SV",
		batches: [][]postamail.Header{
			{tmsg("a", "Budget 2024", 1)},
			{tmsg("b", "AW: budget  2024", 2), tmsg("c", "SV: Re[2]: Budget 2024", 3)},
			{tmsg("d", "Fwd: Budget 2024", 4), tmsg("e", "Budget 2025", 5)},
		},
		want: "e/0 | a/0 b/1 c/1 d/1",
	}, {
		name: "replies to a missing message are one thread",
		batches: [][]postamail.Header{
			{tmsg("r1", "Re: gone", 1, "gone")},
			{tmsg("r2", "Re: gone", 2, "gone")},
		},
		want: "r1/0 r2/0",
	}, {
		name: "missing parent arrives later",
		batches: [][]postamail.Header{
			{tmsg("r1", "Re: late", 2, "p")},
			{tmsg("x", "other", 3)},
			{tmsg("p", "late", 1)},
		},
		want: "x/0 | p/0 r1/1",
	}, {
		name: "empty subjects are not merged",
		batches: [][]postamail.Header{
			{tmsg("a", "", 1), tmsg("b", "Re:", 2), tmsg("c", "  ", 3)},
		},
		want: "c/0 | b/0 | a/0",
	}, {
		name: "reference loop does not hang",
		batches: [][]postamail.Header{
			{tmsg("a", "x", 1, "b"), tmsg("b", "y", 2, "a")},
		},
		want: "b/0 a/1",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := openTest(t, testOptions(t))
			for _, b := range tt.batches {
				if err := c.PutHeaders("a", b); err != nil {
					t.Fatal(err)
				}
			}
			if got := threadView(t, c, "INBOX"); got != tt.want {
				t.Errorf("threads = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestThreadsHostileHeaders(t *testing.T) {
	c := openTest(t, testOptions(t))
	var refs []string
	for i := range 5000 {
		refs = append(refs, fmt.Sprint("r", i))
	}
	hs := []postamail.Header{
		tmsg("dup", "same id", 1), tmsg("dup2", "same id again", 2),
		tmsg("many", "Re: "+strings.Repeat("Re: ", 1000)+"deep", 3, refs...),
	}
	hs[1].MessageID = hs[0].MessageID
	hs = append(hs, postamail.Header{UID: "noid", Folder: "INBOX", InReplyTo: "<<<>>>", Subject: "\x00\xff"})
	if err := c.PutHeaders("a", hs); err != nil {
		t.Fatal(err)
	}
	ms, err := c.List(Query{Account: "a", Folder: "INBOX", Threaded: true})
	if err != nil || len(ms) != len(hs) {
		t.Fatalf("List = %d messages, %v; want %d", len(ms), err, len(hs))
	}
}

// TestThreadsIncrementalMatchesBatch inserts random reply trees message by
// message in random order and all at once: the grouping must be the same.
func TestThreadsIncrementalMatchesBatch(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var hs []postamail.Header
	for i := range 300 {
		id := fmt.Sprint("m", i)
		if i < 40 || rng.IntN(4) == 0 {
			hs = append(hs, tmsg(id, fmt.Sprint("topic ", i), i))
			continue
		}
		parent := hs[rng.IntN(len(hs))]
		refs := append(slices.Clone(parent.References), parent.MessageID)
		h := tmsg(id, "Re: "+parent.Subject, i)
		h.References, h.InReplyTo = refs, parent.MessageID
		if rng.IntN(5) == 0 { // some clients send only In-Reply-To
			h.References = nil
		}
		hs = append(hs, h)
	}
	whole := openTest(t, testOptions(t))
	if err := whole.PutHeaders("a", hs); err != nil {
		t.Fatal(err)
	}
	inc := openTest(t, testOptions(t))
	for _, i := range rng.Perm(len(hs)) {
		if err := inc.PutHeaders("a", hs[i:i+1]); err != nil {
			t.Fatal(err)
		}
	}
	if a, b := groups(t, whole), groups(t, inc); !slices.Equal(a, b) {
		t.Errorf("incremental threads differ from batch threads:\n%v\n%v", a, b)
	}
}

// groups returns the threads of INBOX as sorted lists of UIDs.
func groups(t *testing.T, c *Cache) []string {
	ms, err := c.List(Query{Account: "a", Folder: "INBOX", Threaded: true})
	if err != nil {
		t.Fatal(err)
	}
	by := map[int64][]string{}
	for _, m := range ms {
		by[m.ThreadID] = append(by[m.ThreadID], m.UID)
	}
	var out []string
	for _, uids := range by {
		slices.Sort(uids)
		out = append(out, strings.Join(uids, ","))
	}
	slices.Sort(out)
	return out
}

func TestThreadsFollowPOPMoves(t *testing.T) {
	c := openTest(t, testOptions(t))
	var ids []int64
	for i, h := range []postamail.Header{tmsg("a", "hello", 1), tmsg("b", "Re: hello", 2, "a")} {
		m, err := c.DeliverPOP("a", fmt.Sprint("u", i), h, strings.NewReader("Subject: x\r\n\r\nbody\r\n"))
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, m.ID)
	}
	if got := threadView(t, c, FolderInbox); got != "u0/0 u1/1" {
		t.Fatalf("inbox threads = %q", got)
	}
	if err := c.MovePOP(ids[1], "Archive"); err != nil {
		t.Fatal(err)
	}
	if got := threadView(t, c, "Archive"); got != "u1/0" {
		t.Errorf("archive threads = %q, want u1/0", got)
	}
}

// BenchmarkListThreaded reads a page of 200 in thread order out of 100k rows.
func BenchmarkListThreaded(b *testing.B) {
	c := openTest(b, testOptions(b))
	if err := c.PutHeaders("bench", benchHeaders(100_000)); err != nil {
		b.Fatal(err)
	}
	q := Query{Account: "bench", Folder: "INBOX", Limit: 200, Offset: 1000, Threaded: true}
	for b.Loop() {
		ms, err := c.List(q)
		if err != nil || len(ms) != 200 {
			b.Fatalf("List() = %d, %v", len(ms), err)
		}
	}
}

// BenchmarkSyncBatchesThenThreads stores 100k headers the way a first
// sync does (batches of 500, few distinct subjects, replies), then opens
// the threaded view once: the cost of threading moved from every batch
// to that first view.
func BenchmarkSyncBatchesThenThreads(b *testing.B) {
	hs := benchHeaders(100_000)
	for i := range hs {
		hs[i].Subject = fmt.Sprintf("topic %d", i%16)
		if i%4 != 0 {
			hs[i].Subject = "Re: " + hs[i].Subject
			hs[i].InReplyTo = fmt.Sprintf("%d@example.org", i)
		}
	}
	for b.Loop() {
		c := openTest(b, testOptions(b))
		start := time.Now()
		for i := 0; i < len(hs); i += 500 {
			if err := c.PutHeaders("bench", hs[i:min(i+500, len(hs))]); err != nil {
				b.Fatal(err)
			}
		}
		stored := time.Since(start)
		start = time.Now()
		if _, err := c.List(Query{Account: "bench", Folder: "INBOX", Limit: 50, Threaded: true}); err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(stored.Seconds(), "store-s")
		b.ReportMetric(time.Since(start).Seconds(), "first-threaded-view-s")
		c.Close()
	}
}
