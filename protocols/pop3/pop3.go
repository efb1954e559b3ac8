// Package pop3 implements protocols.Fetcher for POP3 servers on top of
// github.com/knadh/go-pop3.
//
// POP3 has one folder, INBOX, and no server-side flags: the fetcher
// streams whole messages into SyncRequest.Store as they arrive (a large
// message is never held in memory) and deletes on the server what its
// Policy says (SyncPolicy; Sync derives one from LeaveOnServer), only
// after Store returned nil. The local copy is the mailbox of record
// (Caps.LocalIsRecord).
//
// # Authentication
//
// USER/PASS is the default. Endpoint.Auth "plain" uses SASL AUTH PLAIN
// when the server's CAPA offers it (USER/PASS otherwise); "xoauth2" and
// "oauthbearer" send the token from Endpoint.Password over AUTH and
// require the server to offer the mechanism.
//
// # Sessions
//
// A POP3 server shows a session the maildrop as it was at login and
// locks it against other sessions, so every operation (Sync, FetchBody,
// Delete) opens its own session and ends it with QUIT, which is also
// what commits deletions (FetchBody's ends when its reader is closed). Nothing stays connected between calls.
//
// # Security
//
// go-pop3 cannot be given a certificate pool or speak STLS, so the
// fetcher always hands it its own dialer: implicit TLS and STLS are done
// here with Endpoint.TLS(), and every read and write has a deadline. On
// SecurityNone no password is sent unless Endpoint.AllowPlainAuth is set.
// go-pop3 also buffers RETR whole and cannot parse SASL continuations, so
// RETR and AUTH are read here straight from that connection (retr.go),
// which is safe because POP3 replies come in lock-step.
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
	// false, each message is deleted once Store returned nil for it.
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
}

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
