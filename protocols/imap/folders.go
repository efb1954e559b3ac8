package imap

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// Folders lists the selectable folders with their message and unread
// counts. Roles come from SPECIAL-USE attributes when the server has
// them, else from common folder names.
func (f *Fetcher) Folders(ctx context.Context) ([]mail.Folder, error) {
	c, end, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	if f.selected != "" {
		// A server may answer STATUS of the selected mailbox from this
		// session's view of it, which misses what other clients did since
		// (Dovecot does): leave it first. UNSELECT goes out with the LIST,
		// in the same round trip.
		f.leaveSelected(c)
	}
	folders, err := listFolders(c, f.wire, f.opts.SubscribedOnly, true)
	return folders, end(err)
}

// FoldersWithoutState lists the selectable folders as Folders does, but
// without STATUS: no counts and no State (protocols.StatelessLister).
func (f *Fetcher) FoldersWithoutState(ctx context.Context) ([]mail.Folder, error) {
	c, end, err := f.begin(ctx)
	if err != nil {
		return nil, err
	}
	folders, err := listFolders(c, f.wire, f.opts.SubscribedOnly, false)
	return folders, end(err)
}

// leaveSelected sends UNSELECT (or CLOSE for a read-only selection, which
// expunges nothing; else NOOP, which at least brings the session's view
// up to date) without waiting for the answer.
func (f *Fetcher) leaveSelected(c *imapclient.Client) {
	switch {
	case c.Caps().Has(imap.CapUnselect):
		c.Unselect()
	case f.readOnly:
		c.UnselectAndExpunge() // CLOSE: expunges nothing on a read-only selection
	default:
		c.Noop()
		return
	}
	f.selected = ""
}

// listFolders lists the selectable folders, with their STATUS if
// withStatus.
func listFolders(c *imapclient.Client, w *wire, subscribedOnly, withStatus bool) ([]mail.Folder, error) {
	caps := c.Caps()
	condStore := caps.Has(imap.CapCondStore)
	statusOpts := &imap.StatusOptions{NumMessages: true, NumUnseen: true, UIDNext: true, UIDValidity: true, HighestModSeq: condStore}
	listOpts := &imap.ListOptions{SelectSubscribed: subscribedOnly}
	if withStatus && caps.Has(imap.CapListStatus) {
		listOpts.ReturnStatus = statusOpts
	}
	if caps.Has(imap.CapSpecialUse) {
		listOpts.ReturnSpecialUse = true
	}
	// The answer is read as it comes, so that an endless one is refused
	// at maxFolders rather than kept.
	cmd := c.List("", "*", listOpts)
	var list []*imap.ListData
	for ld := cmd.Next(); ld != nil; ld = cmd.Next() {
		if hasAttr(ld.Attrs, imap.MailboxAttrNoSelect) || hasAttr(ld.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		if len(list) == maxFolders {
			// The rest of the answer is not read: the connection is
			// closed, and what go-imap had decoded is dropped.
			err := w.fail(&WireError{Addr: w.addr, What: fmt.Sprintf("listed more than %d folders, more than posta keeps", maxFolders)})
			for cmd.Next() != nil {
			}
			cmd.Close()
			return nil, fmt.Errorf("imap: list: %w", err)
		}
		list = append(list, ld)
	}
	if err := cmd.Close(); err != nil {
		return nil, fmt.Errorf("imap: list: %w", err)
	}
	// Without LIST-STATUS, every folder's STATUS is sent before any
	// answer is awaited: one round trip for all of them, not one each.
	pending := make([]*imapclient.StatusCommand, len(list))
	for i, ld := range list {
		if withStatus && ld.Status == nil {
			pending[i] = c.Status(ld.Mailbox, statusOpts)
		}
	}
	folders := make([]mail.Folder, 0, len(list))
	var errs []error
	var err error
	for i, ld := range list {
		folder := mail.Folder{Name: ld.Mailbox, Role: folderRole(ld)}
		if ld.Delim != 0 {
			folder.Delim = string(ld.Delim)
		}
		status := ld.Status
		if !withStatus {
			folders = append(folders, folder)
			continue
		}
		if pending[i] != nil {
			status, err = pending[i].Wait()
			if err != nil {
				errs = append(errs, fmt.Errorf("imap: status %s: %w", ld.Mailbox, err))
				continue
			}
		}
		if status.NumMessages != nil {
			folder.Total = int(*status.NumMessages)
		}
		if status.NumUnseen != nil {
			folder.Unread = int(*status.NumUnseen)
		}
		folder.State, folder.StateHasModSeq = folderState(status)
		folders = append(folders, folder)
	}
	if len(folders) == 0 && len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	// A folder whose STATUS failed is left out of this listing; the
	// others are still usable.
	return folders, nil
}

// maxFolders caps the folder list a server can make posta keep.
const maxFolders = 10000

// folderState summarises a STATUS answer for mail.Folder.State; "" when
// the server left out an item it needs.
func folderState(s *imap.StatusData) (state string, hasModSeq bool) {
	if s == nil || s.NumMessages == nil || s.UIDNext == 0 || s.UIDValidity == 0 {
		return "", false
	}
	unseen := int64(-1)
	if s.NumUnseen != nil {
		unseen = int64(*s.NumUnseen)
	}
	return stateString(s.UIDValidity, s.UIDNext, int64(*s.NumMessages), unseen, s.HighestModSeq), s.HighestModSeq != 0
}

// stateString is mail.Folder.State of a folder with these STATUS items
// (unseen -1: not known; modSeq 0: no CONDSTORE). A first sync builds it
// from its SELECT (SyncResult.State), and it must read the same as the
// next STATUS does when nothing changed.
func stateString(validity uint32, uidNext imap.UID, messages, unseen int64, modSeq uint64) string {
	state := fmt.Sprintf("v%d n%d m%d u%d", validity, uidNext, messages, unseen)
	if modSeq != 0 {
		state += fmt.Sprintf(" h%d", modSeq)
	}
	return state
}

var specialUseRoles = map[imap.MailboxAttr]mail.Role{
	imap.MailboxAttrSent:    mail.RoleSent,
	imap.MailboxAttrDrafts:  mail.RoleDrafts,
	imap.MailboxAttrTrash:   mail.RoleTrash,
	imap.MailboxAttrArchive: mail.RoleArchive,
	imap.MailboxAttrJunk:    mail.RoleJunk,
}

// nameRoles maps common lower-cased leaf names to roles for servers
// without SPECIAL-USE.
var nameRoles = map[string]mail.Role{
	"sent": mail.RoleSent, "sent items": mail.RoleSent, "sent messages": mail.RoleSent, "sent mail": mail.RoleSent,
	"drafts": mail.RoleDrafts, "draft": mail.RoleDrafts,
	"trash": mail.RoleTrash, "deleted items": mail.RoleTrash, "deleted messages": mail.RoleTrash, "bin": mail.RoleTrash,
	"archive": mail.RoleArchive, "archives": mail.RoleArchive, "all mail": mail.RoleArchive,
	"junk": mail.RoleJunk, "spam": mail.RoleJunk, "junk e-mail": mail.RoleJunk, "bulk mail": mail.RoleJunk,
}

func folderRole(ld *imap.ListData) mail.Role {
	if strings.EqualFold(ld.Mailbox, "INBOX") {
		return mail.RoleInbox
	}
	for _, attr := range ld.Attrs {
		for special, role := range specialUseRoles {
			if strings.EqualFold(string(attr), string(special)) {
				return role
			}
		}
	}
	leaf := ld.Mailbox
	if ld.Delim != 0 {
		if i := strings.LastIndex(leaf, string(ld.Delim)); i >= 0 {
			leaf = leaf[i+1:]
		}
	}
	return nameRoles[strings.ToLower(leaf)]
}

func hasAttr(attrs []imap.MailboxAttr, want imap.MailboxAttr) bool {
	for _, a := range attrs {
		if strings.EqualFold(string(a), string(want)) {
			return true
		}
	}
	return false
}

// notFound wraps protocols.ErrNotFound when the server said the mailbox
// does not exist.
func notFound(err error, what string) error {
	var ierr *imap.Error
	if errors.As(err, &ierr) && (ierr.Code == imap.ResponseCodeNonExistent || ierr.Code == imap.ResponseCodeTryCreate) {
		return fmt.Errorf("imap: %s: %w: %s", what, protocols.ErrNotFound, ierr.Text)
	}
	return fmt.Errorf("imap: %s: %w", what, err)
}

// collectList reads the answer of cmd, at most limit mailboxes: a server
// that lists more is cut off, its connection closed (by a goroutine,
// since go-imap's Close waits for its decoder, which waits for this one
// to take the next mailbox) and the rest dropped.
func collectList(c *imapclient.Client, cmd *imapclient.ListCommand, limit int) ([]*imap.ListData, error) {
	var list []*imap.ListData
	for ld := cmd.Next(); ld != nil; ld = cmd.Next() {
		if len(list) == limit {
			go c.Close()
			for cmd.Next() != nil {
			}
			cmd.Close()
			return nil, fmt.Errorf("imap: list: the server lists more than %d folders, more than posta keeps", limit)
		}
		list = append(list, ld)
	}
	if err := cmd.Close(); err != nil {
		return nil, err
	}
	return list, nil
}
