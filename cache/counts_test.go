package cache

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
)

// randomHeaders returns n headers of folders "INBOX" and "Archive" with
// UIDs out of uids, so that some repeat (within the batch too) and a
// random seen flag.
func randomHeaders(r *rand.Rand, n, uids int) []postamail.Header {
	hs := make([]postamail.Header, n)
	for i := range hs {
		folder := "INBOX"
		if r.IntN(4) == 0 {
			folder = "Archive"
		}
		var flags []postamail.Flag
		if r.IntN(2) == 0 {
			flags = append(flags, postamail.FlagSeen)
		}
		hs[i] = header(folder, fmt.Sprint(1+r.IntN(uids)), time.Unix(int64(r.IntN(1e6)), 0), flags...)
	}
	return hs
}

// countsRound mixes header inserts (new and updated rows, a seen flag
// that changes, the same UID twice in one call) with the other writes
// that the count triggers follow: flags, removals, POP3 batches and
// single deliveries.
func countsRound(c *Cache, r *rand.Rand, account string, round int) error {
	sizes := []int{1, 7, 63, 64, 65, 130, 500}
	if err := c.PutHeaders(account, randomHeaders(r, sizes[r.IntN(len(sizes))], 300)); err != nil {
		return err
	}
	flags := map[string]postamail.Flags{}
	for range 20 {
		var f postamail.Flags
		if r.IntN(2) == 0 {
			f = postamail.Flags{postamail.FlagSeen}
		}
		flags[fmt.Sprint(1+r.IntN(300))] = f
	}
	if err := c.UpdateFlags(account, "INBOX", flags); err != nil {
		return err
	}
	var gone []string
	for range 10 {
		gone = append(gone, fmt.Sprint(1+r.IntN(300)))
	}
	if err := c.RemoveUIDs(account, "Archive", gone); err != nil {
		return err
	}
	if ms, err := c.List(Query{Account: account, Folder: "INBOX", Limit: 3}); err != nil {
		return err
	} else if len(ms) > 0 {
		if err := c.SetFlags(ms[0].ID, postamail.Flags{postamail.FlagSeen, postamail.FlagFlagged}); err != nil {
			return err
		}
	}
	b := c.BeginPOP(account + "-pop")
	defer b.Close()
	for i := range 1 + r.IntN(70) {
		uidl := fmt.Sprintf("r%d-%d-%d", round, i, r.IntN(1e9))
		var h postamail.Header
		if r.IntN(3) == 0 {
			h.Flags = postamail.Flags{postamail.FlagSeen}
		}
		if err := b.Add(uidl, h, "text", stringsReader(rawMessage(i))); err != nil {
			return err
		}
	}
	if _, err := b.Commit(); err != nil {
		return err
	}
	if _, err := c.DeliverPOP(account+"-pop", fmt.Sprintf("single%d-%d", round, r.IntN(1e9)), postamail.Header{}, stringsReader(rawMessage(round))); err != nil {
		return err
	}
	return nil
}

// TestCountsMixedWrites: the folder counts equal the real counts after
// mixed inserts, updates and deletes.
func TestCountsMixedWrites(t *testing.T) {
	c := openTest(t, testOptions(t))
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 30 {
		if err := countsRound(c, r, "a", round); err != nil {
			t.Fatal(err)
		}
		checkCounts(t, c)
		if t.Failed() {
			t.Fatalf("after round %d", round)
		}
	}
}

// TestCountsUpdateWithinBatch: a header inserted and then updated in
// one call (its UID twice) is counted once, in its last state.
func TestCountsUpdateWithinBatch(t *testing.T) {
	c := openTest(t, testOptions(t))
	at := time.Unix(1000, 0)
	hs := []postamail.Header{
		header("INBOX", "1", at), header("INBOX", "2", at, postamail.FlagSeen),
		header("INBOX", "1", at, postamail.FlagSeen), header("INBOX", "2", at),
	}
	if err := c.PutHeaders("a", hs); err != nil {
		t.Fatal(err)
	}
	if err := c.PutFolders("a", []postamail.Folder{{Name: "INBOX"}}); err != nil {
		t.Fatal(err)
	}
	f, err := c.Folders("a")
	if err != nil || len(f) != 1 || f[0].Total != 2 || f[0].Unread != 1 {
		t.Errorf("Folders() = %+v, %v; want INBOX 2/1", f, err)
	}
	checkCounts(t, c)
}

// TestCountsTwoProcesses writes from two Caches on one cache folder
// (two processes) at once: the counts stay exact.
func TestCountsTwoProcesses(t *testing.T) {
	opts := testOptions(t)
	caches := []*Cache{openTest(t, opts), openTest(t, opts)}
	var wg sync.WaitGroup
	errs := make([]error, len(caches))
	for i, c := range caches {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(i), 7))
			for round := range 15 {
				// Both write the same account and folders, and deliver
				// to their own POP3 accounts.
				if errs[i] = countsRound(c, r, "a", 100*i+round); errs[i] != nil {
					return
				}
			}
		})
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	checkCounts(t, caches[0])
}

// TestCountsAfterMigration18: rows an index counted by the old per-row
// trigger stay counted once after the upgrade to counting at the end of
// each transaction, through inserts, flag changes and removals.
func TestCountsAfterMigration18(t *testing.T) {
	opts := testOptions(t)
	db := oldIndex(t, opts, 17)
	for i, seen := range []bool{true, false, false, true} {
		if _, err := db.Exec(`INSERT INTO messages (account, folder, uid, seen) VALUES ('a', 'INBOX', ?, ?)`, fmt.Sprint(i+1), seen); err != nil {
			t.Fatal(err)
		}
	}
	db.Close()
	c := openTest(t, opts)
	checkCounts(t, c)
	at := time.Unix(1000, 0)
	if err := c.PutHeaders("a", []postamail.Header{header("INBOX", "2", at, postamail.FlagSeen), header("INBOX", "5", at), header("Sent", "1", at, postamail.FlagSeen)}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, c)
	if err := c.RemoveUIDs("a", "INBOX", []string{"1", "3", "5"}); err != nil {
		t.Fatal(err)
	}
	checkCounts(t, c)
	if err := c.PutFolders("a", []postamail.Folder{{Name: "INBOX"}, {Name: "Sent"}}); err != nil {
		t.Fatal(err)
	}
	f, err := c.Folders("a")
	if err != nil || len(f) != 2 || f[0].Total != 2 || f[0].Unread != 0 || f[1].Total != 1 || f[1].Unread != 0 {
		t.Errorf("Folders() = %+v, %v; want INBOX 2/0, Sent 1/0", f, err)
	}
}
