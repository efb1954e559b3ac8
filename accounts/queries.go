package accounts

import (
	"io"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
)

// Reading the cache.
//
// The UI and the command line read cached mail through a Set and its
// Accounts only, never through the cache package: these methods and
// aliases are all they need. None of them touches the network; any
// goroutine may call them.

// Names for the cache and protocol types the UI and the command line
// handle.
type (
	// Cache is the local store of mail every account of a Set shares.
	// Open it with OpenCache, hand it to Open, and close it after the Set.
	Cache = cache.Cache
	// OutboxItem is a message waiting in the outbox to be sent.
	OutboxItem = cache.OutboxItem
	// Progress says how far a sync has got.
	Progress = protocols.Progress
)

// OpenCache opens the cache in cacheDir, creating it if needed, with the
// POP3 mail and the outbox (the only copies: never evicted) in dataDir.
func OpenCache(cacheDir, dataDir string) (*Cache, error) {
	return cache.Open(cache.Options{Dir: cacheDir, DataDir: dataDir, ParseHeader: message.ParseHeader})
}

// RebuildReport says what RebuildCache did.
type RebuildReport struct {
	Before, After int // messages indexed before and after
	Outbox        int // messages waiting in the outbox, kept
}

// RebuildCache drops the index of c and builds it again from the POP3
// Maildirs and the outbox, with no network and no configuration. IMAP
// headers and bodies are dropped (the next sync fetches them again) and
// message ids change.
func RebuildCache(c *Cache) (RebuildReport, error) {
	var r RebuildReport
	var err error
	if r.Before, err = c.Count(cache.Query{}); err != nil {
		return r, err
	}
	if err := c.Rebuild(); err != nil {
		return r, err
	}
	if r.After, err = c.Count(cache.Query{}); err != nil {
		return r, err
	}
	out, err := c.Outbox("")
	r.Outbox = len(out)
	return r, err
}

// Message returns a cached message of any account.
func (s *Set) Message(id int64) (Message, error) { return s.cache.Get(id) }

// List returns cached messages newest first: of account, or of every
// account if it is "", in folder, or in every folder if it is "". limit
// <= 0 means no limit.
func (s *Set) List(account, folder string, limit, offset int) ([]Message, error) {
	return s.cache.List(cache.Query{Account: account, Folder: folder, Limit: limit, Offset: offset})
}

// Search returns the cached messages matching query (the syntax of
// "posta search": words, "phrases", from:, is:unread, ...), newest first,
// of account or of every account if it is "". limit <= 0 means no limit.
func (s *Set) Search(query, account string, limit int) ([]Message, error) {
	return s.cache.Search(cache.SearchQuery{Text: query, Account: account, Limit: limit})
}

// UnifiedInbox returns a page of the inboxes of every account merged,
// newest first.
func (s *Set) UnifiedInbox(limit, offset int) ([]Message, error) {
	return s.List("", "INBOX", limit, offset)
}

// UnifiedCount returns how many messages the inboxes of every account
// hold together.
func (s *Set) UnifiedCount() (int, error) {
	return s.cache.Count(cache.Query{Folder: "INBOX"})
}

// Outbox lists the messages waiting to be sent, oldest first, of account
// or of every account if it is "".
func (s *Set) Outbox(account string) ([]OutboxItem, error) { return s.cache.Outbox(account) }

// OutboxSubject returns the Subject of a message waiting in the outbox,
// "" if it has none or cannot be read.
func (s *Set) OutboxSubject(id int64) string {
	rc, err := s.cache.OutboxOpen(id)
	if err != nil {
		return ""
	}
	defer rc.Close()
	h, _ := message.ParseHeader(io.LimitReader(rc, 1<<20))
	return h.Subject
}

// Pending lists the message actions waiting for the server, oldest
// first, of account or of every account if it is "".
func (s *Set) Pending(account string) ([]PendingAction, error) {
	return s.cache.PendingActions(account)
}
