package imap

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"
)

// expungeOnServer removes the messages with these UIDs from INBOX through
// another client.
func expungeOnServer(t *testing.T, ts *testServer, uids []imap.UID) {
	t.Helper()
	other := ts.otherClient(t)
	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	set := imap.UIDSetNum(uids...)
	if err := other.Store(set, &imap.StoreFlags{Op: imap.StoreFlagsAdd, Silent: true, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
}

// TestFirstSyncByUID: a sync into an empty cache fetches a folder whose
// UIDs are dense by UID below UIDNEXT, without a UID SEARCH, and still
// gets every message and none that is gone; a sparse folder (more than
// half its UIDs expunged) is searched first; a later sync searches, to
// find the new and the vanished.
func TestFirstSyncByUID(t *testing.T) {
	tests := []struct {
		name      string
		seed      int
		gone      func(uid int) bool
		searches  int32
		wantCount int
	}{
		{"dense", 1200, func(uid int) bool { return uid <= 600 && uid%3 == 0 }, 0, 1000},
		{"at half", 400, func(uid int) bool { return uid%2 == 0 }, 0, 200},
		{"sparse", 400, func(uid int) bool { return uid%5 != 0 }, 1, 80},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ts := startServer(t)
			seedNumbered(t, ts, tt.seed)
			var gone []imap.UID
			newest := 0
			for uid := 1; uid <= tt.seed; uid++ {
				if tt.gone(uid) {
					gone = append(gone, imap.UID(uid))
				} else {
					newest = uid
				}
			}
			expungeOnServer(t, ts, gone)
			proxy := startRewriteProxy(t, ts.tcpAddr.String())
			f := New(Options{Endpoint: proxy.endpoint(), BatchSize: 100})
			t.Cleanup(func() { f.Close() })
			cache := newFakeCache()

			res := cache.sync(t, f, "INBOX")
			if n := proxy.searches.Load(); n != tt.searches {
				t.Errorf("first sync sent %d UID SEARCH, want %d", n, tt.searches)
			}
			if res.Added != tt.wantCount || len(cache.headers) != tt.wantCount || len(res.Skipped) != 0 {
				t.Fatalf("first sync added %d, headers %d, skipped %v; want %d", res.Added, len(cache.headers), res.Skipped, tt.wantCount)
			}
			for uid := 1; uid <= tt.seed; uid++ {
				_, have := cache.headers[strconv.Itoa(uid)]
				if have == tt.gone(uid) {
					t.Fatalf("UID %d: in the cache %v, expunged %v", uid, have, tt.gone(uid))
				}
			}
			checkSubjects(t, cache)
			// Newest first: the first batch is the first screen.
			if len(cache.batches) == 0 || cache.batches[0][0] != strconv.Itoa(newest) {
				t.Fatalf("first batch %v, want it to start with the newest UID %d", cache.batches[0], newest)
			}

			ts.seed(t, "INBOX", fmt.Sprintf("From: a@example.org\nSubject: message %03d\n\nbody\n", tt.seed+1), nil, internalDate)
			expungeOnServer(t, ts, []imap.UID{imap.UID(newest)})
			before := proxy.searches.Load()
			res = cache.sync(t, f, "INBOX")
			if proxy.searches.Load() != before+1 {
				t.Errorf("the second sync sent %d UID SEARCH, want 1", proxy.searches.Load()-before)
			}
			if res.Added != 1 || len(res.Vanished) != 1 || res.Vanished[0] != strconv.Itoa(newest) {
				t.Errorf("second sync = added %d, vanished %v; want 1 and [%d]", res.Added, res.Vanished, newest)
			}
		})
	}
}

// TestFirstSyncByUIDStaleUIDNext: a server whose UIDNEXT is below its
// newest UIDs (SELECT says 101 while UIDs run to 300) gets a UID SEARCH
// after the fetch by UID brought fewer messages than EXISTS, and the
// first sync still stores every message.
func TestFirstSyncByUIDStaleUIDNext(t *testing.T) {
	ts := startServer(t)
	seedNumbered(t, ts, 300)
	proxy := startRewriteProxy(t, ts.tcpAddr.String())
	proxy.mu.Lock()
	proxy.lines = func(line string) string {
		if strings.Contains(line, "[UIDNEXT ") {
			return uidNextRe.ReplaceAllString(line, "[UIDNEXT 101]")
		}
		return line
	}
	proxy.mu.Unlock()
	f := New(Options{Endpoint: proxy.endpoint(), BatchSize: 50})
	t.Cleanup(func() { f.Close() })
	cache := newFakeCache()

	res := cache.sync(t, f, "INBOX")
	if n := proxy.searches.Load(); n != 1 {
		t.Errorf("sent %d UID SEARCH, want 1 (the fetch by UID came short)", n)
	}
	if res.Added != 300 || len(cache.headers) != 300 {
		t.Fatalf("first sync added %d, headers %d; want all 300", res.Added, len(cache.headers))
	}
	checkSubjects(t, cache)
}

var uidNextRe = regexp.MustCompile(`\[UIDNEXT \d+\]`)
