// Package mail holds the plain data types every layer of posta shares:
// addresses, flags, folders and message headers. It imports nothing of
// posta's own, so ui, accounts, protocols and cache can all use it.
package mail

import (
	"strings"
	"time"
)

// Flag is a message flag, spelled as IMAP spells it ("\Seen") for the
// system flags, or a keyword.
type Flag string

// The system flags posta understands.
const (
	FlagSeen     Flag = `\Seen`
	FlagAnswered Flag = `\Answered`
	FlagFlagged  Flag = `\Flagged`
	FlagDeleted  Flag = `\Deleted`
	FlagDraft    Flag = `\Draft`
)

// Flags is a set of flags in a stable order.
type Flags []Flag

// Has reports whether f contains flag.
func (f Flags) Has(flag Flag) bool {
	for _, x := range f {
		if strings.EqualFold(string(x), string(flag)) {
			return true
		}
	}
	return false
}

// With returns a copy of f with flag added (if absent).
func (f Flags) With(flag Flag) Flags {
	if f.Has(flag) {
		return append(Flags(nil), f...)
	}
	return append(append(Flags(nil), f...), flag)
}

// Without returns a copy of f with flag removed.
func (f Flags) Without(flag Flag) Flags {
	out := make(Flags, 0, len(f))
	for _, x := range f {
		if !strings.EqualFold(string(x), string(flag)) {
			out = append(out, x)
		}
	}
	return out
}

// Address is one mailbox address.
type Address struct {
	Name string `json:"name,omitempty"`
	Addr string `json:"addr"`
}

// String formats the address as `Name <addr>` or just `addr`.
func (a Address) String() string {
	if a.Name == "" {
		return a.Addr
	}
	return a.Name + " <" + a.Addr + ">"
}

// Role is the special use of a folder.
type Role string

// Folder roles (RFC 6154 special-use, plus the inbox).
const (
	RoleNone    Role = ""
	RoleInbox   Role = "inbox"
	RoleSent    Role = "sent"
	RoleDrafts  Role = "drafts"
	RoleTrash   Role = "trash"
	RoleArchive Role = "archive"
	RoleJunk    Role = "junk"
)

// Folder is a mailbox on a server or in the local store.
type Folder struct {
	Name   string `json:"name"`            // full name, decoded (UTF-8)
	Delim  string `json:"delim,omitempty"` // hierarchy delimiter, "" if flat
	Role   Role   `json:"role,omitempty"`
	Total  int    `json:"total"`
	Unread int    `json:"unread"`
	// State summarises the folder's state on the server when it was
	// listed (UIDVALIDITY, UIDNEXT, MESSAGES, UNSEEN and, where the server
	// has CONDSTORE, HIGHESTMODSEQ): two equal non-empty States mean
	// nothing the index shows has changed. "" means unknown. Only
	// fetchers fill it; it is not stored with the folder list.
	State string `json:"-"`
	// StateHasModSeq says State includes HIGHESTMODSEQ, so it changes
	// with flags too; without it, flag changes other than \Seen may leave
	// State the same.
	StateHasModSeq bool `json:"-"`
}

// Header is what the index knows of a message without its body.
type Header struct {
	// UID identifies the message within its folder for the protocol that
	// holds it: the IMAP UID in decimal, or the POP3 UIDL.
	UID           string    `json:"uid"`
	Folder        string    `json:"folder"`
	MessageID     string    `json:"message_id"`
	InReplyTo     string    `json:"in_reply_to,omitempty"`
	References    []string  `json:"references,omitempty"`
	Subject       string    `json:"subject"`
	From          []Address `json:"from"`
	To            []Address `json:"to"`
	Cc            []Address `json:"cc,omitempty"`
	ReplyTo       []Address `json:"reply_to,omitempty"` // filled by message.ParseHeader; not kept in the index
	Date          time.Time `json:"date"`
	Flags         Flags     `json:"flags"`
	Size          int64     `json:"size"`
	HasAttachment bool      `json:"has_attachment"`
	// Security is what the top-level Content-Type shows of signing and
	// encryption (security.go), for the index's marks.
	Security Security `json:"-"`
	// RawFields, when a fetcher fills it, holds raw header fields of the
	// message as the server gave them (IMAP: the index's fields from
	// BODY[HEADER.FIELDS (...)]), for the account layer to decode with
	// posta's own header parser in place of the server's reading of
	// them (IMAP's ENVELOPE). It is not kept in the index.
	RawFields []byte `json:"-"`
}
