package accounts

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// keepSent files a copy of a sent message in the account's Sent folder
// (on IMAP, the identity's sent_folder when it has one): appended on the
// IMAP server (unless append_sent = false: some servers file it
// themselves), or in the local Sent folder of a POP3 account.
// Failing to keep a copy does not undo the send, so the error is returned
// for the caller to show, not to retry; a server that cannot store
// messages at all is such an error (errNoAppend), unless append_sent =
// false.
func (a *Account) keepSent(ctx context.Context, id Identity, raw []byte) error {
	if !a.caps.LocalIsRecord && a.cfg.Fetch.AppendSent != nil && !*a.cfg.Fetch.AppendSent {
		return nil
	}
	if id.SentFolder != "" && !a.caps.LocalIsRecord {
		return a.fileIn(ctx, raw, id.SentFolder, mail.Flags{mail.FlagSeen})
	}
	return a.file(ctx, raw, mail.RoleSent, mail.Flags{mail.FlagSeen})
}

// fileIn appends raw to the named IMAP folder.
func (a *Account) fileIn(ctx context.Context, raw []byte, folder string, flags mail.Flags) error {
	ap := a.fg.opt.appender
	if ap == nil {
		return errNoAppend
	}
	a.lockFG()
	defer a.fg.mu.Unlock()
	return ap.Append(ctx, folder, flags, time.Now(), raw)
}

// SaveDraft files an unfinished message in the Drafts folder, on the
// IMAP server or in the local mailbox, from where it can be resumed.
func (a *Account) SaveDraft(ctx context.Context, raw []byte) error {
	if err := a.file(ctx, raw, mail.RoleDrafts, mail.Flags{mail.FlagSeen, mail.FlagDraft}); err != nil {
		return fmt.Errorf("%s: save draft: %w", a.Name(), err)
	}
	return nil
}

// file stores raw in the account's folder with the given role.
func (a *Account) file(ctx context.Context, raw []byte, role mail.Role, flags mail.Flags) error {
	if a.caps.LocalIsRecord {
		sum := sha256.Sum256(raw)
		h, _ := message.ParseHeader(bytes.NewReader(raw))
		h.Folder = localFolderFor(role)
		h.Size = int64(len(raw))
		h.Flags = flags
		m, err := a.cache.DeliverPOP(a.Name(), "local-"+string(role)+":"+hex.EncodeToString(sum[:16]), h, bytes.NewReader(raw))
		if err != nil {
			return err
		}
		a.indexBody(m.ID, raw)
		return nil
	}
	ap := a.fg.opt.appender
	if ap == nil {
		return errNoAppend
	}
	a.lockFG()
	defer a.fg.mu.Unlock()
	folder, err := a.roleFolder(role)
	if errors.Is(err, ErrNoFolder) {
		// Never synced (or the folder is new): ask the server for its
		// folders once before giving up on filing the copy.
		if fs, ferr := a.fg.f.Folders(ctx); ferr == nil && a.cache.PutFolders(a.Name(), fs) == nil {
			folder, err = a.roleFolder(role)
		}
	}
	if err != nil {
		return err
	}
	return ap.Append(ctx, folder, flags, time.Now(), raw)
}

// errNoAppend is returned when a message should be filed on a server
// that cannot store messages (no APPEND), so that a copy of sent mail or
// a draft is not lost silently.
var errNoAppend = errors.New("this server cannot store messages in its folders (no APPEND)")

// localFolderFor names the local folder of a POP3 account with a role.
func localFolderFor(role mail.Role) string {
	switch role {
	case mail.RoleSent:
		return cache.FolderSent
	case mail.RoleDrafts:
		return cache.FolderDrafts
	case mail.RoleArchive:
		return cache.FolderArchive
	case mail.RoleTrash:
		return cache.FolderTrash
	}
	return cache.FolderInbox
}
