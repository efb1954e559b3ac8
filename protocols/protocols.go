// Package protocols defines the boundary between posta's accounts and
// the mail protocols: a Fetcher brings mail in (IMAP, POP3) and a Sender
// sends it (SMTP). The implementations live in the imap, pop3 and smtp
// subpackages; accounts depends only on these interfaces.
//
// # Concurrency
//
// A Fetcher or Sender is used by one goroutine at a time (the account's
// worker); implementations need not be safe for concurrent use.
package protocols

import (
	"context"
	"crypto/tls"
	"errors"
	"io"
	"net"
	"strconv"
	"time"

	"github.com/posta-mail/posta/mail"
)

// Sentinel errors shared by every protocol implementation. Wrap them with
// %w so callers can test with errors.Is.
var (
	// ErrAuthFailed means the server refused the credentials.
	ErrAuthFailed = errors.New("authentication failed")
	// ErrUnsupported means the protocol or server cannot do the operation.
	ErrUnsupported = errors.New("not supported by this server")
	// ErrNotFound means the message or folder does not exist on the server.
	ErrNotFound = errors.New("not found on server")
	// ErrInsecure means a password would have travelled over a plain
	// connection and the account did not allow it.
	ErrInsecure = errors.New("refusing to send a password over an unencrypted connection")
)

// Caps says which operations a Fetcher supports.
type Caps struct {
	Folders     bool // more than one folder on the server
	ServerFlags bool // flags live on the server (SetFlags works)
	Move        bool // Move works on the server
	Delete      bool // Delete works on the server
	// LocalIsRecord means the fetcher downloads whole messages and the
	// local copy is the mailbox of record (POP3): messages that leave the
	// server are kept locally.
	LocalIsRecord bool
}

// FolderState is what the cache knows of a folder from the last sync.
type FolderState struct {
	UIDValidity   uint32
	HighestModSeq uint64
	// Known reports whether a message UID is already in the cache. Fetchers
	// must download only messages for which it returns false.
	Known func(uid string) bool
	// KnownUIDs lists the UIDs in the cache, for expunge detection. It may
	// be nil for fetchers with LocalIsRecord.
	KnownUIDs []string
}

// Progress reports how far a sync has got.
type Progress struct {
	Folder string
	Done   int   // messages handled so far
	Total  int   // messages to handle, 0 if unknown
	Bytes  int64 // bytes transferred so far
}

// SyncRequest asks a Fetcher to bring one folder up to date.
type SyncRequest struct {
	Folder string
	State  FolderState
	// Progress, if not nil, is called from the syncing goroutine as work
	// advances.
	Progress func(Progress)
	// Store receives whole messages from fetchers with LocalIsRecord.
	// Without Commit it must write r durably (written and synced to disk)
	// before returning nil: the fetcher may delete the message from the
	// server afterwards. With Commit it may return once r is read (held
	// in memory or written), and write it before Commit returns.
	Store func(uid string, r io.Reader) error
	// Commit, if not nil, is the durability barrier of Store: it makes
	// every message Store accepted so far durable, and returns nil only
	// then. A fetcher calls it before any deletion of those messages on
	// the server can take effect (POP3: before the QUIT that commits the
	// session's DELEs; no QUIT follows a failed Commit), on every other
	// way out of a sync, and may call it more often.
	Commit func() error
	// OnReset, if not nil, is called when the fetcher finds that the
	// folder's UIDVALIDITY changed, before it delivers any header: the
	// caller drops what it cached for the folder, since the new UIDs may
	// reuse the old numbers. SyncResult.Reset reports it too.
	OnReset func() error
	// Headers receives message headers as they arrive, newest first where
	// the protocol allows, in batches. Each batch is the callee's to keep
	// and change: the fetcher does not use it after the call. Fetchers
	// that use Store do not call it.
	Headers func([]mail.Header) error
}

// SyncResult says what changed in a folder.
type SyncResult struct {
	UIDValidity   uint32
	HighestModSeq uint64
	// Reset means UIDVALIDITY changed: everything cached for the folder
	// must be dropped before the new headers are stored.
	Reset bool
	// Flags maps UIDs of already known messages to their current flags.
	Flags map[string]mail.Flags
	// Vanished lists known UIDs that are no longer on the server.
	Vanished []string
	// Added counts messages delivered through Headers or Store.
	Added int
	// State is the folder's state (mail.Folder.State) as this sync found
	// it, when the sync can tell: a first sync of the folder that
	// delivered every message, whose state is that of its SELECT with the
	// unseen messages counted as they came. A sync that listed folders
	// without STATUS (FoldersWithoutState) records this one instead, so
	// that the next sync can skip the folder while its state stays the
	// same. Empty when the sync cannot tell.
	State string
	// Skipped lists new messages the server answered so badly that their
	// headers could not be read (IMAP: an unparsable BODYSTRUCTURE or
	// ENVELOPE, a refused or dropped fetch). They were not delivered, the
	// rest of the folder was, and the next sync tries them again.
	Skipped []SkippedMessage
}

// SkippedMessage is a message a sync could not fetch, and why.
type SkippedMessage struct {
	UID string
	Err error
}

// StatelessLister is a Fetcher that can list its folders without their
// counts and state (IMAP: LIST without STATUS). For a server, STATUS
// means opening every folder (9 ms of Dovecot's time for a 10,000-message
// INBOX); a first sync has no state to compare it with, and takes each
// folder's state from the sync itself (SyncResult.State).
type StatelessLister interface {
	FoldersWithoutState(ctx context.Context) ([]mail.Folder, error)
}

// Fetcher brings mail from a server.
type Fetcher interface {
	// Caps reports what the fetcher can do.
	Caps() Caps
	// Folders lists the folders on the server with their counts.
	Folders(ctx context.Context) ([]mail.Folder, error)
	// Sync brings one folder up to date (see SyncRequest).
	Sync(ctx context.Context, req SyncRequest) (SyncResult, error)
	// FetchBody streams the raw RFC 5322 bytes of one message.
	FetchBody(ctx context.Context, folder, uid string) (io.ReadCloser, error)
	// SetFlags adds (add=true) or removes flags on messages. It returns
	// ErrUnsupported when Caps().ServerFlags is false.
	SetFlags(ctx context.Context, folder string, uids []string, flags []mail.Flag, add bool) error
	// Move moves messages to another folder, or returns ErrUnsupported.
	Move(ctx context.Context, folder string, uids []string, dest string) error
	// Delete removes messages from the server, or returns ErrUnsupported.
	Delete(ctx context.Context, folder string, uids []string) error
	// Close logs out and releases the connection. It is safe to call on a
	// fetcher that never connected.
	Close() error
}

// Sender sends a message.
type Sender interface {
	// Send submits the raw message r from the envelope sender to the
	// recipients. It returns nil only once the server accepted the message.
	Send(ctx context.Context, from string, to []string, r io.Reader) error
}

// Security says how a connection is protected.
type Security string

// Connection security modes.
const (
	SecurityTLS      Security = "tls"      // implicit TLS from the first byte
	SecurityStartTLS Security = "starttls" // plain, then STARTTLS/STLS before auth
	SecurityNone     Security = "none"     // plain text; passwords only if AllowPlain
)

// Endpoint is how to reach and log in to a server. Implementations take
// it in their Options.
type Endpoint struct {
	Host     string
	Port     int
	Security Security
	// TLSConfig, if not nil, is used for TLS (its ServerName is set from
	// Host when empty). Nil means the system roots.
	TLSConfig *tls.Config
	Username  string
	// Password returns the password or OAuth2 token when it is needed, so
	// that secrets are fetched late and never stored in the struct.
	Password func(ctx context.Context) (string, error)
	// AllowPlainAuth permits sending a password on an unencrypted
	// connection. It must be set explicitly by the account.
	AllowPlainAuth bool
	// Auth is the SASL mechanism: "" or "plain" (default), "login",
	// "xoauth2", "oauthbearer".
	Auth string
	// Timeout bounds dialing and each read or write; zero means 30s.
	Timeout time.Duration
	// Tracer, if not nil, records the conversation (see Traced).
	Tracer Tracer
}

// Addr returns host:port.
func (e Endpoint) Addr() string {
	return net.JoinHostPort(e.Host, strconv.Itoa(e.Port))
}

// TLS returns a copy of the endpoint's TLS configuration with ServerName
// set, ready for a client handshake. Certificates are always verified.
func (e Endpoint) TLS() *tls.Config {
	var cfg *tls.Config
	if e.TLSConfig != nil {
		cfg = e.TLSConfig.Clone()
	} else {
		cfg = &tls.Config{}
	}
	if cfg.ServerName == "" {
		cfg.ServerName = e.Host
	}
	if cfg.MinVersion == 0 {
		cfg.MinVersion = tls.VersionTLS12
	}
	return cfg
}

// IOTimeout returns the timeout for dialing and each read or write.
func (e Endpoint) IOTimeout() time.Duration {
	if e.Timeout <= 0 {
		return 30 * time.Second
	}
	return e.Timeout
}
