package imap

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// TestSyncPipelinedAnswersInterleaved: the header sync sends the next
// batch's UID FETCH before the answer to the current one is read, and a
// server may answer both at once, their FETCH responses interleaved (as
// Dovecot does). Reading the answers one command after the other then
// deadlocked (go-imap waits for a message's literal to be taken in by its
// own command); every header must arrive, once.
func TestSyncPipelinedAnswersInterleaved(t *testing.T) {
	const n = 130 // the first screen (100) and three batches of 10
	var together atomic.Int32
	ep := hostileServer(t, hostileGreeting, func(s *hostileSession) {
		type fetch struct {
			tag    string
			lo, hi int
		}
		answer := func(fs ...fetch) {
			var next [2]int
			for i, f := range fs {
				next[i] = f.lo
			}
			for more := true; more; {
				more = false
				for i, f := range fs { // one message of each in turn
					if uid := next[i]; uid <= f.hi {
						body := fmt.Sprintf("Subject: message %d\r\n\r\n", uid)
						s.send("* %d FETCH (UID %d FLAGS () INTERNALDATE \"01-Jan-2026 10:00:00 +0000\" RFC822.SIZE 100 BODY[HEADER.FIELDS (SUBJECT)] {%d}\r\n%s)\r\n",
							uid, uid, len(body), body)
						next[i]++
						more = true
					}
				}
			}
			for _, f := range fs {
				s.send("%s OK done\r\n", f.tag)
			}
		}
		parse := func(line string) fetch {
			f := strings.Fields(line)
			lo, hi, _ := strings.Cut(f[3], ":")
			a, _ := strconv.Atoi(lo)
			b, err := strconv.Atoi(hi)
			if err != nil {
				b = a
			}
			return fetch{tag: f[0], lo: min(a, b), hi: max(a, b)}
		}
		var pending []fetch
		for {
			if len(pending) == 1 {
				// Wait a moment for a second command sent ahead.
				s.conn.SetReadDeadline(time.Now().Add(200 * time.Millisecond))
			}
			tag, name, line, ok := s.next()
			s.conn.SetReadDeadline(time.Time{})
			if !ok {
				if len(pending) == 1 { // the wait ran out: answer the one
					s.r.Reset(s.conn)
					answer(pending...)
					pending = nil
					continue
				}
				return
			}
			switch name {
			case "LOGIN":
				s.send("%s OK logged in\r\n", tag)
			case "SELECT", "EXAMINE":
				s.send("* %d EXISTS\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT %d] ok\r\n%s OK [READ-ONLY] done\r\n", n, n+1, tag)
			case "UID SEARCH":
				var b strings.Builder
				for uid := 1; uid <= n; uid++ {
					fmt.Fprintf(&b, " %d", uid)
				}
				s.send("* SEARCH%s\r\n%s OK done\r\n", b.String(), tag)
			case "UID FETCH":
				pending = append(pending, parse(line))
				if len(pending) == 2 {
					together.Add(1)
					answer(pending...)
					pending = nil
				}
			case "LOGOUT":
				s.send("* BYE bye\r\n%s OK done\r\n", tag)
				return
			default:
				s.send("%s OK done\r\n", tag)
			}
		}
	})
	f := New(Options{Endpoint: ep, BatchSize: 10})
	defer f.Close()
	seen := map[string]int{}
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	res, err := f.Sync(ctx, protocols.SyncRequest{
		Folder: "INBOX",
		State:  protocols.FolderState{Known: func(string) bool { return false }},
		Headers: func(hs []mail.Header) error {
			for _, h := range hs {
				seen[h.UID]++
				if want := "message " + h.UID; h.Subject != want {
					t.Errorf("UID %s: subject %q, want %q", h.UID, h.Subject, want)
				}
			}
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if res.Added != n || len(seen) != n {
		t.Errorf("Sync added %d, delivered %d distinct headers; want %d", res.Added, len(seen), n)
	}
	for uid, k := range seen {
		if k != 1 {
			t.Errorf("UID %s delivered %d times", uid, k)
		}
	}
	if together.Load() == 0 {
		t.Error("the server never had two fetches to answer at once: the test did not test interleaving")
	}
}
