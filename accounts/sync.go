package accounts

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/pop3"
)

// SyncReport says what one sync of an account did.
type SyncReport struct {
	Account string
	Added   int // new messages stored
	Removed int // messages gone from the server (IMAP)
	Sent    int // outbox messages the server accepted
	// Conflicts describes the queued actions the server refused (message
	// or folder gone); they were dropped and their local effect undone.
	Conflicts []string
}

// Sync brings the account's cache up to date with its server, then sends
// what waits in its outbox. progress, if not nil, is called from the
// syncing goroutine.
func (a *Account) Sync(ctx context.Context, progress func(protocols.Progress)) (rep SyncReport, err error) {
	defer func() {
		if ctx.Err() == nil { // a cancelled sync says nothing of the server
			_ = a.cache.RecordSync(a.Name(), time.Now(), err)
		}
	}()
	rep = SyncReport{Account: a.Name()}
	if err := a.replayPending(ctx, &rep); err != nil {
		return rep, err
	}
	// A refused OAuth2 token is fetched anew once (retryRefusedToken);
	// errors name the account, the server and the likely fix (explain).
	err = retryRefusedToken(a.inToken, func() error { return a.fetch(ctx, progress, &rep) })
	if err != nil {
		return rep, explain(a.Name(), a.Kind(), a.cfg.Fetch.ServerConfig, err)
	}
	sent, err := a.FlushOutbox(ctx)
	rep.Sent = sent
	return rep, err
}

func (a *Account) fetch(ctx context.Context, progress func(protocols.Progress), rep *SyncReport) error {
	a.net.Lock()
	defer a.net.Unlock()
	if a.fetcher.Caps().LocalIsRecord {
		return a.fetchPOP(ctx, progress, rep)
	}
	folders, err := a.fetcher.Folders(ctx)
	if err != nil {
		return err
	}
	if err := a.cache.PutFolders(a.Name(), folders); err != nil {
		return err
	}
	for _, f := range folders {
		if !a.wantsFolder(f.Name) {
			continue
		}
		if err := a.syncFolder(ctx, f.Name, progress, rep); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if err := a.prefetch(ctx, f.Name, time.Now()); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
		if err := a.cache.Thread(a.Name(), f.Name); err != nil {
			return fmt.Errorf("%s: %w", f.Name, err)
		}
	}
	return nil
}

func (a *Account) wantsFolder(name string) bool {
	if len(a.cfg.Fetch.Folders) == 0 {
		return true
	}
	for _, f := range a.cfg.Fetch.Folders {
		if f == name {
			return true
		}
	}
	return false
}

// syncFolder brings one IMAP folder up to date.
func (a *Account) syncFolder(ctx context.Context, folder string, progress func(protocols.Progress), rep *SyncReport) error {
	meta, err := a.cache.FolderMeta(a.Name(), folder)
	if err != nil {
		return err
	}
	known, err := a.cache.KnownUIDs(a.Name(), folder)
	if err != nil {
		return err
	}
	knownList := make([]string, 0, len(known))
	for uid := range known {
		knownList = append(knownList, uid)
	}
	reset := false
	req := protocols.SyncRequest{
		Folder: folder,
		State: protocols.FolderState{
			UIDValidity:   meta.UIDValidity,
			HighestModSeq: meta.HighestModSeq,
			Known: func(uid string) bool {
				if reset {
					return false
				}
				_, ok := known[uid]
				return ok
			},
			KnownUIDs: knownList,
		},
		Progress: progress,
		Headers: func(hs []mail.Header) error {
			for i := range hs {
				hs[i].Folder = folder
			}
			return a.cache.PutHeaders(a.Name(), hs)
		},
	}
	req.OnReset = func() error {
		// UIDVALIDITY changed: the server's UIDs mean other messages now,
		// and may reuse the old numbers. Drop the folder's rows and cached
		// bodies before the new headers arrive.
		reset = true
		return a.cache.ResetFolder(a.Name(), folder)
	}
	res, err := a.fetcher.Sync(ctx, req)
	if err != nil {
		return err
	}
	if len(res.Flags) > 0 {
		if err := a.cache.UpdateFlags(a.Name(), folder, res.Flags); err != nil {
			return err
		}
	}
	if len(res.Vanished) > 0 {
		if err := a.cache.RemoveUIDs(a.Name(), folder, res.Vanished); err != nil {
			return err
		}
	}
	rep.Added += res.Added
	rep.Removed += len(res.Vanished)
	return a.cache.SetFolderMeta(a.Name(), folder, cacheMeta(res))
}

// fetchPOP downloads new POP3 mail into the account's Maildir and
// deletes mail on the server as the account's policy says. Each message
// is streamed to disk, fsynced and indexed before the fetcher may delete
// it on the server.
func (a *Account) fetchPOP(ctx context.Context, progress func(protocols.Progress), rep *SyncReport) error {
	err := a.fetchPOPWith(ctx, progress, rep, popPolicyFor(a.cfg.Fetch))
	// Thread what arrived (and what is stored even if the sync failed
	// midway), so the threaded view finds the work done.
	if terr := a.cache.Thread(a.Name(), cache.FolderInbox); err == nil {
		err = terr
	}
	return err
}

// popHeadBytes is how much of a message's start fetchPOP keeps while it
// streams the message to disk: the header is parsed from it, and the
// body text indexed for search comes from it.
const popHeadBytes = 256 << 10

// policySyncer is a fetcher that takes a deletion policy per sync (POP3).
type policySyncer interface {
	SyncPolicy(ctx context.Context, req protocols.SyncRequest, p pop3.Policy) (protocols.SyncResult, error)
}

func (a *Account) fetchPOPWith(ctx context.Context, progress func(protocols.Progress), rep *SyncReport, policy popPolicy) error {
	if err := a.cache.PutFolders(a.Name(), cache.LocalFolders()); err != nil {
		return err
	}
	known, err := a.cache.KnownUIDLs(a.Name())
	if err != nil {
		return err
	}
	stored, err := a.cache.POPStoredTimes(a.Name())
	if err != nil {
		return err
	}
	req := protocols.SyncRequest{
		Folder: "INBOX",
		State: protocols.FolderState{Known: func(uid string) bool {
			_, ok := known[uid]
			return ok
		}},
		Progress: progress,
		Store: func(uidl string, r io.Reader) error {
			br := bufio.NewReaderSize(r, popHeadBytes)
			head, _ := br.Peek(popHeadBytes) // short at the end of a small message
			head = bytes.Clone(head)
			h, _ := message.ParseHeader(bytes.NewReader(head))
			h.Folder = "INBOX"
			m, err := a.cache.DeliverPOP(a.Name(), uidl, h, br)
			if err != nil {
				return err
			}
			a.indexBody(m.ID, head)
			known[uidl] = struct{}{}
			return nil
		},
	}
	var res protocols.SyncResult
	if ps, ok := a.fetcher.(policySyncer); ok {
		res, err = ps.SyncPolicy(ctx, req, policy.fetcherPolicy(stored))
	} else {
		res, err = a.fetcher.Sync(ctx, req)
	}
	rep.Added += res.Added
	if err != nil {
		return fmt.Errorf("%s: %w", a.Name(), err)
	}
	return nil
}
