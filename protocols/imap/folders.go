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
	folders, err := listFolders(c, f.opts.SubscribedOnly)
	return folders, end(err)
}

func listFolders(c *imapclient.Client, subscribedOnly bool) ([]mail.Folder, error) {
	caps := c.Caps()
	statusOpts := &imap.StatusOptions{NumMessages: true, NumUnseen: true}
	listOpts := &imap.ListOptions{SelectSubscribed: subscribedOnly}
	if caps.Has(imap.CapListStatus) {
		listOpts.ReturnStatus = statusOpts
	}
	if caps.Has(imap.CapSpecialUse) {
		listOpts.ReturnSpecialUse = true
	}
	list, err := c.List("", "*", listOpts).Collect()
	if err != nil {
		return nil, fmt.Errorf("imap: list: %w", err)
	}
	var folders []mail.Folder
	for _, ld := range list {
		if hasAttr(ld.Attrs, imap.MailboxAttrNoSelect) || hasAttr(ld.Attrs, imap.MailboxAttrNonExistent) {
			continue
		}
		folder := mail.Folder{Name: ld.Mailbox, Role: folderRole(ld)}
		if ld.Delim != 0 {
			folder.Delim = string(ld.Delim)
		}
		status := ld.Status
		if status == nil {
			status, err = c.Status(ld.Mailbox, statusOpts).Wait()
			if err != nil {
				return nil, fmt.Errorf("imap: status %s: %w", ld.Mailbox, err)
			}
		}
		if status.NumMessages != nil {
			folder.Total = int(*status.NumMessages)
		}
		if status.NumUnseen != nil {
			folder.Unread = int(*status.NumUnseen)
		}
		folders = append(folders, folder)
	}
	return folders, nil
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
