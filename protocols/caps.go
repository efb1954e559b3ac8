package protocols

import (
	"context"
	"time"

	"github.com/posta-mail/posta/mail"
)

// Optional capabilities of a Fetcher. A fetcher implements the ones its
// protocol has; accounts finds them by type assertion, once, when it
// builds the account. POP3 implements none of them.

// Appender stores a message in a folder on the server (IMAP APPEND), for
// a copy of sent mail, a draft, or a copy between folders.
type Appender interface {
	// Append stores raw in folder with the given flags and internal date
	// (zero means now).
	Append(ctx context.Context, folder string, flags []mail.Flag, date time.Time, raw []byte) error
}

// Copier copies messages to another folder on the server without
// downloading them (IMAP UID COPY). Without it a copy is a FetchBody and
// an Append.
type Copier interface {
	Copy(ctx context.Context, folder string, uids []string, dest string) error
}

// Placer moves messages and tells their UIDs in the target folder (IMAP:
// UIDPLUS COPYUID, else found there right after the move), so a moved
// message can be acted on again before the next sync.
type Placer interface {
	// MoveUIDs moves as Fetcher.Move does and maps the old UID of each
	// moved message to its UID in dest; a message whose new UID could not
	// be told is left out.
	MoveUIDs(ctx context.Context, folder string, uids []string, dest string) (map[string]string, error)
}

// Searcher searches the text (headers and body) of a folder's messages on
// the server (IMAP UID SEARCH TEXT), which finds mail whose body was never
// downloaded.
type Searcher interface {
	// SearchText returns the UIDs of the messages of folder that contain
	// every term.
	SearchText(ctx context.Context, folder string, terms []string) ([]string, error)
}

// Idler waits for the server to announce changes to a folder (IMAP IDLE)
// instead of being polled.
type Idler interface {
	// Idle calls onChange when folder gains or loses messages, until ctx
	// is done (then it returns nil) or the connection fails. It returns
	// ErrUnsupported if the server cannot idle.
	Idle(ctx context.Context, folder string, onChange func()) error
}

// Connector opens the fetcher's connection and logs in ahead of need, so
// the first command the user waits for costs its own round trip only.
type Connector interface {
	// Connect connects and logs in unless already connected.
	Connect(ctx context.Context) error
}

// Releaser lets go of server-side state a fetcher holds between uses
// (IMAP: the selected mailbox, whose STATUS a server may then answer from
// the session's stale view), without waiting for the server's answer.
type Releaser interface {
	Release()
}

// CapsReporter says what the server announced at the fetcher's last
// login (IMAP CAPABILITY, POP3 CAPA), for diagnostics; nil before any.
type CapsReporter interface {
	ServerCaps() []string
}
