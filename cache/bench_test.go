package cache

import (
	"fmt"
	"testing"
	"time"

	"github.com/posta-mail/posta/internal/cputime"
	postamail "github.com/posta-mail/posta/mail"
)

func benchHeaders(n int) []postamail.Header {
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	hs := make([]postamail.Header, n)
	for i := range hs {
		folder := "INBOX"
		if i%10 == 0 {
			folder = "Archive"
		}
		h := header(folder, fmt.Sprint(i+1), base.Add(time.Duration(i*37%n)*time.Minute))
		if i%3 == 0 {
			h.Flags = postamail.Flags{postamail.FlagSeen}
		}
		hs[i] = h
	}
	return hs
}

// BenchmarkPutHeaders100k inserts 100k headers into a fresh index per iteration.
func BenchmarkPutHeaders100k(b *testing.B) {
	hs := benchHeaders(100_000)
	for b.Loop() {
		b.StopTimer()
		c, err := Open(testOptions(b))
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := c.PutHeaders("bench", hs); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		c.Close()
		b.StartTimer()
	}
}

// BenchmarkList reads a page of 200 (newest first, at an offset) out of 100k rows.
func BenchmarkList(b *testing.B) {
	c := openTest(b, testOptions(b))
	if err := c.PutHeaders("bench", benchHeaders(100_000)); err != nil {
		b.Fatal(err)
	}
	q := Query{Account: "bench", Folder: "INBOX", Limit: 200, Offset: 1000}
	for b.Loop() {
		ms, err := c.List(q)
		if err != nil || len(ms) != 200 {
			b.Fatalf("List() = %d, %v", len(ms), err)
		}
	}
}

// BenchmarkFolders counts total/unread over 100k rows.
func BenchmarkFolders(b *testing.B) {
	c := openTest(b, testOptions(b))
	if err := c.PutHeaders("bench", benchHeaders(100_000)); err != nil {
		b.Fatal(err)
	}
	if err := c.PutFolders("bench", []postamail.Folder{{Name: "INBOX"}, {Name: "Archive"}}); err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := c.Folders("bench"); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkPutHeaders10k inserts the 10,000 headers of a first sync of a
// 10k folder into a fresh index per iteration, in one call; In500s in
// calls of 500, as a sync stores them. cpu-ms/op is the CPU time the
// process used meanwhile, which other work on the machine disturbs less
// than the time.
func BenchmarkPutHeaders10k(b *testing.B) { benchPutHeaders(b, 10_000, (*Cache).PutHeaderRows) }

func BenchmarkPutHeaders10kIn500s(b *testing.B) { benchPutHeaders(b, 500, (*Cache).PutHeaderRows) }

// BenchmarkPutNewHeaders10kIn500s stores the same batches as a first sync
// does: PutNewHeaderRows, INSERT OR IGNORE.
func BenchmarkPutNewHeaders10kIn500s(b *testing.B) {
	benchPutHeaders(b, 500, (*Cache).PutNewHeaderRows)
}

// BenchmarkFirstSyncHeaders10k stores what a first sync of a 10,000
// message folder stores, as it does: one folder, newest first (a sync
// fetches the newest UIDs first, and mail's dates mostly follow its
// UIDs), 500 headers a transaction with PutNewHeaderRows. The benchmarks
// above mix two folders and dates out of order, which a sync never
// stores in one transaction.
func BenchmarkFirstSyncHeaders10k(b *testing.B) {
	const n = 10_000
	base := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	hs := make([]postamail.Header, n)
	for i := range hs {
		uid := n - i
		hs[i] = header("INBOX", fmt.Sprint(uid), base.Add(time.Duration(uid)*time.Hour))
		if i%3 != 0 {
			hs[i].Flags = postamail.Flags{postamail.FlagSeen}
		}
	}
	benchPutHeadersOf(b, hs, 500, (*Cache).PutNewHeaderRows)
}

// benchPutHeaders prepares and stores the 10,000 headers per at a time
// with put, as PutHeaders does with PutHeaderRows.
func benchPutHeaders(b *testing.B, per int, put func(*Cache, ...*HeaderRows) error) {
	benchPutHeadersOf(b, benchHeaders(10_000), per, put)
}

// benchPutHeadersOf is benchPutHeaders of the headers hs.
func benchPutHeadersOf(b *testing.B, hs []postamail.Header, per int, put func(*Cache, ...*HeaderRows) error) {
	benchFreshCache(b, func(c *Cache) error {
		for i := 0; i < len(hs); i += per {
			rows, err := PrepareHeaders("bench", hs[i:min(i+per, len(hs))])
			if err != nil {
				return err
			}
			if err := put(c, rows); err != nil {
				return err
			}
		}
		return nil
	})
}

// benchFreshCache runs work on a fresh cache per iteration, timing only
// work, and reports the process's CPU time during work as cpu-ms/op.
func benchFreshCache(b *testing.B, work func(c *Cache) error) {
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		c := openTest(b, testOptions(b))
		b.StartTimer()
		start := cputime.Process()
		if err := work(c); err != nil {
			b.Fatal(err)
		}
		cpu += cputime.Process() - start
		b.StopTimer()
		c.Close()
		b.StartTimer()
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// BenchmarkHeaderArgs makes the column values of 10,000 headers, the Go
// side of storing them.
func BenchmarkHeaderArgs(b *testing.B) {
	hs := benchHeaders(10_000)
	for i := range hs {
		hs[i].References = []string{"<a@example.org>", "<b@example.org>"}
		hs[i].Cc = []postamail.Address{{Name: "Cy <&>", Addr: "cy@example.org"}}
	}
	for b.Loop() {
		for _, h := range hs {
			headerArgs(h)
		}
	}
}
