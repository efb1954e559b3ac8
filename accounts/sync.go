package accounts

import (
	"bytes"
	"context"
	"fmt"
	"io"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
)

// SyncReport says what one sync of an account did.
type SyncReport struct {
	Account string
	Added   int // new messages stored
	Removed int // messages gone from the server (IMAP)
	Sent    int // outbox messages the server accepted
}

// Sync brings the account's cache up to date with its server, then sends
// what waits in its outbox. progress, if not nil, is called from the
// syncing goroutine.
func (a *Account) Sync(ctx context.Context, progress func(protocols.Progress)) (SyncReport, error) {
	rep := SyncReport{Account: a.Name()}
	if err := a.fetch(ctx, progress, &rep); err != nil {
		return rep, err
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
		return fmt.Errorf("%s: %w", a.Name(), err)
	}
	if err := a.cache.PutFolders(a.Name(), folders); err != nil {
		return err
	}
	for _, f := range folders {
		if !a.wantsFolder(f.Name) {
			continue
		}
		if err := a.syncFolder(ctx, f.Name, progress, rep); err != nil {
			return fmt.Errorf("%s: %s: %w", a.Name(), f.Name, err)
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
	res, err := a.fetcher.Sync(ctx, req)
	if err != nil {
		return err
	}
	if res.Reset {
		// The fetcher delivers headers after it noticed the reset, so the
		// stale rows are those the index had before this sync began.
		reset = true
		stale := make([]string, 0, len(knownList))
		stale = append(stale, knownList...)
		if err := a.cache.RemoveUIDs(a.Name(), folder, stale); err != nil {
			return err
		}
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

// fetchPOP downloads new POP3 mail into the account's Maildir. Each
// message is on disk and indexed before the fetcher may delete it on the
// server.
func (a *Account) fetchPOP(ctx context.Context, progress func(protocols.Progress), rep *SyncReport) error {
	if err := a.cache.PutFolders(a.Name(), cache.LocalFolders()); err != nil {
		return err
	}
	known, err := a.cache.KnownUIDLs(a.Name())
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
			raw, err := io.ReadAll(r)
			if err != nil {
				return err
			}
			h, _ := message.ParseHeader(bytes.NewReader(raw))
			h.Folder = "INBOX"
			h.Size = int64(len(raw))
			m, err := a.cache.DeliverPOP(a.Name(), uidl, h, bytes.NewReader(raw))
			if err != nil {
				return err
			}
			a.indexBody(m.ID, raw)
			known[uidl] = struct{}{}
			return nil
		},
	}
	res, err := a.fetcher.Sync(ctx, req)
	rep.Added += res.Added
	if err != nil {
		return fmt.Errorf("%s: %w", a.Name(), err)
	}
	return nil
}
