// Package pop3 implements protocols.Fetcher for POP3 servers, with
// github.com/knadh/go-pop3 for the lock-step commands.
//
// POP3 has one folder, INBOX, and no server-side flags: the fetcher
// streams whole messages into SyncRequest.Store as they arrive (a large
// message is never held in memory) and deletes on the server what its
// Policy says (SyncPolicy; Sync derives one from LeaveOnServer), only
// after Store returned nil and SyncRequest.Commit made the messages
// durable. The local copy is the mailbox of record (Caps.LocalIsRecord).
//
// # Throughput
//
// A server's DELEs take effect only at the QUIT that ends the session, so
// a sync needs its messages durable once, before QUIT: it calls
// SyncRequest.Commit then (and about every second of a long download),
// not after every message. When CAPA offers PIPELINING (RFC 2449), the
// STAT, LIST and UIDL of the listing leave together, and RETRs (a bounded
// window of them) and DELEs are sent ahead of their replies.
//
// # Authentication
//
// USER/PASS is the default. Endpoint.Auth "plain" uses SASL AUTH PLAIN
// when the server's CAPA offers it (USER/PASS otherwise); "xoauth2" and
// "oauthbearer" send the token from Endpoint.Password over AUTH and
// require the server to offer the mechanism. When CAPA offers UTF8
// (RFC 6856) the fetcher sends it before logging in: without it a server
// may replace a message with raw UTF-8 headers by a notice.
//
// # Sessions
//
// A POP3 server shows a session the maildrop as it was at login and
// locks it against other sessions, so every operation (Sync, FetchBody,
// Delete) opens its own session and ends it with QUIT, which is also
// what commits deletions (FetchBody's ends when its reader is closed).
// Nothing stays connected between calls.
//
// # The connection
//
// One buffered reader holds what the server sent (conn.go): the
// greeting, CAPA, STLS, SASL, the listings and RETR are read from it
// directly, and go-pop3, which serves USER, PASS and QUIT, is handed a
// view of it (gate) that never reads past the line it asked for, so no
// second buffer can swallow part of a reply. Every read has a deadline;
// a status or listing line must arrive whole within one timeout and is
// at most 8 KB, CAPA at most 256 lines, LIST and UIDL at most as many
// lines as STAT announced (at most a million), a message at most
// Options.MaxMessageBytes. A server that breaks one of these fails the
// operation with an error naming it.
//
// # Security
//
// go-pop3 cannot be given a certificate pool or speak STLS, so the
// fetcher dials itself: implicit TLS and STLS are done here with
// Endpoint.TLS(). On SecurityNone no password is sent unless
// Endpoint.AllowPlainAuth is set.
//
// # Message identity
//
// Messages are identified by their UIDL. For servers without UIDL the
// fetcher uses "sha256:" and a digest of the message's header (TOP n 0),
// which is weaker: two messages with identical headers get the same
// digest (the later ones are told apart by a "#k" suffix that depends on
// their order).
package pop3

import (
	"context"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// Inbox is the only folder of a POP3 account.
const Inbox = "INBOX"

// DefaultMaxMessageBytes bounds one downloaded message when
// Options.MaxMessageBytes is zero.
const DefaultMaxMessageBytes = 256 << 20

// Options configures a Fetcher.
type Options struct {
	Endpoint protocols.Endpoint
	// LeaveOnServer keeps messages on the server after download. When
	// false, each message is deleted once Store returned nil for it (and
	// SyncRequest.Commit, if set, made it durable).
	LeaveOnServer bool
	// Dial, if not nil, opens the TCP connection (tests). TLS is still
	// done by the fetcher.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// MaxMessageBytes bounds the size of one downloaded message; zero
	// means DefaultMaxMessageBytes. Bigger messages abort the sync.
	MaxMessageBytes int64
}

// Fetcher is a POP3 protocols.Fetcher. It connects lazily, once per
// operation, and is used by one goroutine at a time.
type Fetcher struct {
	opts Options
	caps []string // CAPA at the last login, sorted
}

var _ protocols.CapsReporter = (*Fetcher)(nil)

// ServerCaps returns what CAPA said at the last login
// (protocols.CapsReporter).
func (f *Fetcher) ServerCaps() []string { return slices.Clone(f.caps) }

var _ protocols.Fetcher = (*Fetcher)(nil)

// New returns a fetcher; it does not connect.
func New(opts Options) *Fetcher {
	if opts.MaxMessageBytes <= 0 {
		opts.MaxMessageBytes = DefaultMaxMessageBytes
	}
	return &Fetcher{opts: opts}
}

// Caps reports that POP3 keeps the local copy as the mailbox of record.
// Delete works too, but only by UIDL in INBOX; it is not advertised
// because the local copy, not the server, holds the mailbox.
func (f *Fetcher) Caps() protocols.Caps {
	return protocols.Caps{LocalIsRecord: true}
}

// Folders returns INBOX alone, without connecting; its counts are 0.
func (f *Fetcher) Folders(ctx context.Context) ([]mail.Folder, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	return []mail.Folder{{Name: Inbox, Role: mail.RoleInbox}}, nil
}

// SetFlags returns protocols.ErrUnsupported: POP3 has no flags.
func (f *Fetcher) SetFlags(context.Context, string, []string, []mail.Flag, bool) error {
	return fmt.Errorf("pop3: set flags: %w", protocols.ErrUnsupported)
}

// Move returns protocols.ErrUnsupported: POP3 has one folder.
func (f *Fetcher) Move(context.Context, string, []string, string) error {
	return fmt.Errorf("pop3: move: %w", protocols.ErrUnsupported)
}

// Close does nothing: no connection outlives an operation.
func (f *Fetcher) Close() error { return nil }

func checkFolder(folder string) error {
	if !strings.EqualFold(folder, Inbox) {
		return fmt.Errorf("pop3: folder %q: %w", folder, protocols.ErrNotFound)
	}
	return nil
}
