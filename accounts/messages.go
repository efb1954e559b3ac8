package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
)

func cacheMeta(r protocols.SyncResult) cache.FolderMeta {
	return cache.FolderMeta{UIDValidity: r.UIDValidity, HighestModSeq: r.HighestModSeq}
}

// Folders lists the account's folders from the cache, with counts: the
// inbox first, then the special folders, then the rest by name.
func (a *Account) Folders() ([]mail.Folder, error) {
	fs, err := a.cache.Folders(a.Name())
	if err != nil {
		return nil, err
	}
	sort.SliceStable(fs, func(i, j int) bool {
		ri, rj := roleRank(fs[i]), roleRank(fs[j])
		if ri != rj {
			return ri < rj
		}
		return fs[i].Name < fs[j].Name
	})
	return fs, nil
}

// roleRank orders folders as mail clients usually do.
func roleRank(f mail.Folder) int {
	if strings.EqualFold(f.Name, "INBOX") {
		return 0
	}
	switch f.Role {
	case mail.RoleInbox:
		return 0
	case mail.RoleDrafts:
		return 1
	case mail.RoleSent:
		return 2
	case mail.RoleArchive:
		return 3
	case mail.RoleJunk:
		return 4
	case mail.RoleTrash:
		return 5
	}
	return 6
}

// List returns a page of a folder's messages from the cache, newest first.
func (a *Account) List(folder string, limit, offset int) ([]Message, error) {
	return a.cache.List(cache.Query{Account: a.Name(), Folder: folder, Limit: limit, Offset: offset})
}

// ListThreads is List in thread order: threads newest first, each as a
// tree (Message.Depth gives the indentation).
func (a *Account) ListThreads(folder string, limit, offset int) ([]Message, error) {
	return a.cache.List(cache.Query{Account: a.Name(), Folder: folder, Limit: limit, Offset: offset, Threaded: true})
}

// Count returns how many messages a folder holds in the cache.
func (a *Account) Count(folder string) (int, error) {
	return a.cache.Count(cache.Query{Account: a.Name(), Folder: folder})
}

// Message returns one cached message of this account.
func (a *Account) Message(id int64) (Message, error) {
	m, err := a.cache.Get(id)
	if err != nil {
		return m, err
	}
	if m.Account != a.Name() {
		return m, fmt.Errorf("message %d belongs to account %s, not %s", id, m.Account, a.Name())
	}
	return m, nil
}

// Body returns the raw bytes of a message: from the cache when they are
// there, else fetched from the server and kept in the cache.
func (a *Account) Body(ctx context.Context, id int64) ([]byte, error) {
	m, err := a.Message(id)
	if err != nil {
		return nil, err
	}
	if rc, err := a.cache.OpenBody(id); err == nil {
		defer rc.Close()
		return readBody(rc)
	} else if !errors.Is(err, cache.ErrNoBody) {
		return nil, err
	}
	if cache.IsPlaceholderUID(m.UID) {
		return nil, fmt.Errorf("message %d was just moved and its body is not cached; it can be read after the next sync", id)
	}
	a.lockFG()
	defer a.fg.mu.Unlock()
	return a.fetchBody(ctx, a.fg.f, id, m.Header)
}

// SetFlag adds or removes a flag on a message, in the cache and, where
// flags live on the server, there too. When the server cannot be reached
// the change is queued and the error is a *PendingError (see actions.go).
func (a *Account) SetFlag(ctx context.Context, id int64, flag mail.Flag, add bool) error {
	m, err := a.Message(id)
	if err != nil {
		return err
	}
	if a.caps.ServerFlags {
		kind := cache.ActionUnflag
		if add {
			kind = cache.ActionFlag
		}
		return a.perform(ctx, cache.PendingAction{Kind: kind, MessageID: id, Args: cache.ActionArgs{Flag: flag}})
	}
	flags := m.Flags.Without(flag)
	if add {
		flags = m.Flags.With(flag)
	}
	return a.cache.SetFlags(id, flags)
}

// SentCopyError means a message was sent but no copy could be filed in
// the Sent folder.
type SentCopyError struct{ Err error }

func (e *SentCopyError) Error() string {
	return "sent, but no copy kept in Sent: " + e.Err.Error()
}

func (e *SentCopyError) Unwrap() error { return e.Err }

// Message is a message as the cache knows it; the UI uses this alias so
// it does not depend on the cache package.
type Message = cache.Message

// QueuedError means a message could not be sent now but is safe in the
// outbox: the next sync retries it. It must not be sent again by hand.
type QueuedError struct{ Err error }

func (e *QueuedError) Error() string {
	return "send: " + e.Err.Error() + " (kept in the outbox, retried on the next sync)"
}

func (e *QueuedError) Unwrap() error { return e.Err }

// indexBody makes a message's decoded text findable by search. A message
// that cannot be decoded stays findable by its headers.
func (a *Account) indexBody(id int64, raw []byte) {
	if text, err := message.BodyText(bytes.NewReader(raw)); err == nil {
		_ = a.cache.IndexBody(id, text)
	}
}

// State returns the outcome of the account's last sync, as recorded in
// the cache (it may come from an earlier run of posta).
func (a *Account) State() (cache.AccountState, error) { return a.cache.AccountState(a.Name()) }
