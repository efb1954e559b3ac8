package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
	postaimap "github.com/posta-mail/posta/protocols/imap"
	"github.com/posta-mail/posta/protocols/pop3"
)

// A breakdown times, alone and one after the other, the parts of a first
// IMAP sync or a POP3 download that posta runs together (the fetch on one
// goroutine, decoding and storing on others): it says where the time of
// the measured runs goes, from the same run of the harness.
type breakdown struct {
	list []part
}

type part struct {
	name string
	d    time.Duration
	ref  bool // timed for comparison, not a part of posta's work
}

func (b *breakdown) add(name string, d time.Duration) {
	b.list = append(b.list, part{name: name, d: d})
}

// addRef adds a figure timed for comparison, which is not summed.
func (b *breakdown) addRef(name string, d time.Duration) {
	b.list = append(b.list, part{name: name, d: d, ref: true})
}

// parts is the breakdown as the report keeps it.
func (b *breakdown) parts() []breakdownPart {
	out := make([]breakdownPart, 0, len(b.list))
	for _, p := range b.list {
		out = append(out, breakdownPart{Name: p.name, Millis: ms(p.d), Reference: p.ref})
	}
	return out
}

// medianBreakdown runs measure runs times, each in a folder of its own
// under dir, and returns each part's median.
func medianBreakdown(runs int, dir string, measure func(dir string) (*breakdown, error)) (*breakdown, error) {
	var all []*breakdown
	for i := range runs {
		b, err := measure(filepath.Join(dir, fmt.Sprintf("part%d", i)))
		if err != nil {
			return nil, err
		}
		all = append(all, b)
	}
	out := &breakdown{}
	for k, p := range all[0].list {
		var s samples
		for _, b := range all {
			s = append(s, ms(b.list[k].d))
		}
		out.list = append(out.list, part{name: p.name, d: time.Duration(s.median() * float64(time.Millisecond)), ref: p.ref})
	}
	return out, nil
}

// breakdownRuns is how often a breakdown is timed (its parts' medians).
const breakdownRuns = 3

// text is the breakdown as a sentence of milliseconds.
func (b *breakdown) text() string {
	s := ""
	for i, p := range b.list {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%s %.0f ms", p.name, ms(p.d))
	}
	return s
}

// imapBreakdown times posta's IMAP fetcher alone (protocols/imap Sync of
// the INBOX into a fresh state, headers kept in memory), then the
// decoding of their raw fields with posta's parser (as the accounts layer
// does, here on one goroutine), and storing them into a fresh cache in
// batches of 500 (PutHeaders). Threads and the full-text index are not
// part of a sync since issue 15 (deferredIndexing times them).
func imapBreakdown(ctx context.Context, ep protocols.Endpoint, dir string, want int) (*breakdown, error) {
	b := &breakdown{}
	f := postaimap.New(postaimap.Options{Endpoint: ep, RawFieldsOnly: true})
	defer f.Close()
	var hs []mail.Header
	start := time.Now()
	_, err := f.Sync(ctx, protocols.SyncRequest{Folder: "INBOX",
		Headers: func(batch []mail.Header) error { hs = append(hs, batch...); return nil }})
	if err != nil {
		return nil, fmt.Errorf("fetcher alone: %w", err)
	}
	b.add("fetcher alone (LOGIN, SELECT, UID FETCH in batches, conversion)", time.Since(start))
	if len(hs) != want {
		return nil, fmt.Errorf("fetcher alone: %d headers, want %d", len(hs), want)
	}
	start = time.Now()
	for i := range hs {
		if raw := hs[i].RawFields; len(raw) > 0 {
			p, err := message.ParseHeader(bytes.NewReader(raw))
			if err == nil {
				hs[i].Subject, hs[i].From, hs[i].To, hs[i].Cc = p.Subject, p.From, p.To, p.Cc
				hs[i].MessageID, hs[i].InReplyTo, hs[i].References = p.MessageID, p.InReplyTo, p.References
			}
			hs[i].RawFields = nil
		}
		hs[i].Folder = "INBOX"
	}
	b.add("decoding the raw fields (posta's parser, on one goroutine; the sync splits each batch over two)", time.Since(start))
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "cache"), DataDir: filepath.Join(dir, "data")})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	start = time.Now()
	for i := 0; i < len(hs); i += 500 {
		if err := c.PutHeaders("work", hs[i:min(i+500, len(hs))]); err != nil {
			return nil, err
		}
	}
	b.add("storing (SQLite rows, their four indexes, the folder counts added at the end of each transaction)", time.Since(start))
	return b, nil
}

// pop3Breakdown times posta's POP3 fetcher alone (pipelined RETRs,
// messages kept in memory, nothing deleted), then parsing each message's
// header (the download no longer extracts body text: the full-text
// catch-up reads it from the files later, issue 15), and storing them
// through cache.POPBatch in one batch: the files written into tmp/, one
// syncfs, and the commit.
func pop3Breakdown(ctx context.Context, ep protocols.Endpoint, dir string, want int) (*breakdown, error) {
	b := &breakdown{}
	f := pop3.New(pop3.Options{Endpoint: ep, LeaveOnServer: true})
	type msg struct {
		uidl string
		data []byte
	}
	var msgs []msg
	start := time.Now()
	_, err := f.Sync(ctx, protocols.SyncRequest{Folder: "INBOX",
		Store: func(uid string, r io.Reader) error {
			data, err := io.ReadAll(r)
			msgs = append(msgs, msg{uid, data})
			return err
		}})
	if err != nil {
		return nil, fmt.Errorf("fetcher alone: %w", err)
	}
	b.add("fetcher alone (STAT, LIST, UIDL, pipelined RETRs into memory)", time.Since(start))
	if len(msgs) != want {
		return nil, fmt.Errorf("fetcher alone: %d messages, want %d", len(msgs), want)
	}
	start = time.Now()
	hs := make([]mail.Header, len(msgs))
	for i, m := range msgs {
		head := m.data[:min(len(m.data), 256<<10)]
		hs[i], _ = message.ParseHeader(bytes.NewReader(head))
	}
	b.add("parsing headers (as the download does; body text is left for the full-text catch-up)", time.Since(start))
	floor := filepath.Join(dir, "floor")
	if err := os.MkdirAll(floor, 0o700); err != nil {
		return nil, err
	}
	start = time.Now()
	for i := range msgs {
		f, err := os.OpenFile(filepath.Join(floor, strconv.Itoa(i)), os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
		if err != nil {
			return nil, err
		}
		f.Close()
	}
	b.addRef("for comparison, not part of the sum: creating as many empty files in a fresh directory (the file system's floor; see bench/fsquiet.go for what slows it down)", time.Since(start))
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "cache"), DataDir: filepath.Join(dir, "data")})
	if err != nil {
		return nil, err
	}
	defer c.Close()
	batch := c.BeginPOP("home")
	defer batch.Close()
	start = time.Now()
	for i, m := range msgs {
		hs[i].Folder = "INBOX"
		if err := batch.Add(m.uidl, hs[i], "", bytes.NewReader(m.data)); err != nil {
			return nil, err
		}
	}
	b.add("writing the files (POPBatch.Add: unnamed files, O_TMPFILE)", time.Since(start))
	start = time.Now()
	if err := syncFS(filepath.Join(dir, "data")); err != nil {
		return nil, err
	}
	b.add("one syncfs of their file system", time.Since(start))
	start = time.Now()
	if _, err := batch.Commit(); err != nil {
		return nil, err
	}
	b.add("POPBatch.Commit (its own syncfs with little left to flush, the files named in cur/ and synced again for their link counts, directory fsync; meanwhile the index rows, their indexes and the folder counts in one transaction)", time.Since(start))
	return b, nil
}

// deferredIndexing times the indexing a first sync of the work (IMAP)
// account leaves for later on the cache it left: deferredIndexingOf.
func deferredIndexing(cacheDir, dataDir string) (time.Duration, error) {
	return deferredIndexingOf(cacheDir, dataDir, "work")
}

// deferredIndexingOf times the indexing a first sync or download of
// account leaves for later on the cache it left: the full-text catch-up
// (for POP3 mail, with the body text read from the Maildir files) and
// the threads of the account, which the reader's Tidy does after the
// sync (or the first search and the first threaded listing, if they
// come first).
func deferredIndexingOf(cacheDir, dataDir, account string) (time.Duration, error) {
	c, err := cache.Open(cache.Options{Dir: cacheDir, DataDir: dataDir})
	if err != nil {
		return 0, err
	}
	defer c.Close()
	start := time.Now()
	n, err := c.IndexPending()
	if err != nil {
		return 0, err
	}
	if n == 0 {
		return 0, fmt.Errorf("deferred indexing: nothing was left to index")
	}
	if err := c.ThreadAccount(context.Background(), account); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}
