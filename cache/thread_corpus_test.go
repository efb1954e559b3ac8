package cache_test

import (
	"bytes"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	gomessage "github.com/emersion/go-message"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// corpusHeaders parses every corpus file, and every message/rfc822 part
// inside one (as "<path>#<n>"), into headers keyed by UID.
func corpusHeaders(t *testing.T, root string) []mail.Header {
	t.Helper()
	var hs []mail.Header
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if rel == "MANIFEST.tsv" || rel == "README.md" {
			return nil
		}
		raw, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		h, err := message.ParseHeader(bytes.NewReader(raw))
		if err != nil {
			return fmt.Errorf("%s: %w", rel, err)
		}
		h.UID, h.Folder = rel, "INBOX"
		hs = append(hs, h)
		for i, inner := range enclosedMessages(raw) {
			ih, err := message.ParseHeader(bytes.NewReader(inner))
			if err != nil {
				continue
			}
			ih.UID, ih.Folder = fmt.Sprintf("%s#%d", rel, i+1), "INBOX"
			hs = append(hs, ih)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return hs
}

// enclosedMessages returns the message/rfc822 parts of raw (forwarded
// mail, the original in a bounce). Malformed MIME yields what it can.
func enclosedMessages(raw []byte) [][]byte {
	e, err := gomessage.Read(bytes.NewReader(raw))
	if e == nil || (err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err)) {
		return nil
	}
	var out [][]byte
	e.Walk(func(_ []int, part *gomessage.Entity, err error) error {
		if err != nil || part == nil {
			return nil
		}
		if t, _, _ := part.Header.ContentType(); t == "message/rfc822" {
			if b, err := io.ReadAll(io.LimitReader(part.Body, 1<<20)); err == nil && len(b) > 0 {
				out = append(out, b)
			}
		}
		return nil
	})
	return out
}

func TestThreadsOnCorpus(t *testing.T) {
	root := filepath.Join("..", "..", "shared", "corpus")
	if _, err := os.Stat(root); err != nil {
		t.Skipf("corpus not available: %v", err)
	}
	hs := corpusHeaders(t, root)
	root2 := t.TempDir()
	c, err := cache.Open(cache.Options{Dir: filepath.Join(root2, "c"), DataDir: filepath.Join(root2, "d")})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	// Insert in batches of 7, as a sync of new mail would.
	for i := 0; i < len(hs); i += 7 {
		if err := c.PutHeaders("corpus", hs[i:min(i+7, len(hs))]); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := c.List(cache.Query{Account: "corpus", Folder: "INBOX", Threaded: true})
	if err != nil {
		t.Fatal(err)
	}

	// No message lost or duplicated, every one threaded.
	byUID := map[string]cache.Message{}
	for _, m := range ms {
		if _, dup := byUID[m.UID]; dup {
			t.Errorf("%s listed twice", m.UID)
		}
		if m.ThreadID == 0 {
			t.Errorf("%s has no thread", m.UID)
		}
		byUID[m.UID] = m
	}
	if len(ms) != len(hs) {
		t.Errorf("threaded list has %d messages, want %d", len(ms), len(hs))
	}
	// Each thread's rows are contiguous.
	seen := map[int64]bool{}
	for i, m := range ms {
		if i > 0 && ms[i-1].ThreadID != m.ThreadID && seen[m.ThreadID] {
			t.Errorf("thread %d is split in the listing at %s", m.ThreadID, m.UID)
		}
		seen[m.ThreadID] = true
	}

	// An enclosed message referenced by its container (a forward, a
	// bounce quoting the original) is in the same thread.
	ids := map[string]string{}
	for _, h := range hs {
		if strings.Contains(h.UID, "#") && h.MessageID != "" {
			ids[h.MessageID] = h.UID
		}
	}
	linked := 0
	for _, h := range hs {
		if strings.Contains(h.UID, "#") {
			continue
		}
		refs := append(slices.Clone(h.References), h.InReplyTo)
		slices.Sort(refs)
		for _, ref := range slices.Compact(refs) {
			inner, ok := ids[ref]
			if !ok || !strings.HasPrefix(inner, h.UID+"#") {
				continue
			}
			linked++
			if byUID[inner].ThreadID != byUID[h.UID].ThreadID {
				t.Errorf("%s refers to its enclosed %s but they are in different threads", h.UID, inner)
			}
		}
	}
	if linked < 2 {
		t.Errorf("found %d messages referring to an enclosed original, want at least 2 (jwz-mailcore2/30, flanker bounce)", linked)
	}

	// Known cases from the corpus.
	same := func(a, b string) bool {
		ma, oka := byUID[a]
		mb, okb := byUID[b]
		if !oka || !okb {
			t.Errorf("corpus lacks %s or %s", a, b)
			return false
		}
		return ma.ThreadID == mb.ThreadID
	}
	// A news reply in "Re: attach this, spanky" encloses an earlier post
	// of the same discussion, which it lists in References.
	if !same("jwz-mailcore2/30", "jwz-mailcore2/30#1") {
		t.Error("jwz-mailcore2/30 and the post it encloses are not one thread")
	} else if outer, inner := byUID["jwz-mailcore2/30"], byUID["jwz-mailcore2/30#1"]; outer.Depth <= inner.Depth {
		t.Errorf("the reply has depth %d, the post it answers %d: want the reply deeper", outer.Depth, inner.Depth)
	}
	// An Office 365 bounce ("Undeliverable: test_bounce 8") quotes the original.
	if !same("flanker/bounce/office365.eml", "flanker/bounce/office365.eml#1") {
		t.Error("the bounce and the bounced message are not one thread")
	}
	// Unrelated messages stay apart.
	if same("jwz-mailcore2/53", "jwz-mailcore2/58") {
		t.Error("jwz-mailcore2/53 and /58 were threaded together")
	}
	threads := len(seen)
	if threads < len(ms)/2 {
		t.Errorf("%d threads for %d messages: unrelated mail is being merged", threads, len(ms))
	}
	t.Logf("%d messages (%d enclosed) in %d threads", len(ms), len(ids), threads)
}
