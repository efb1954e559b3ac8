// Package ui is posta's terminal interface: a Bubble Tea program over the
// accounts package. It reaches the network only through tea.Cmds that
// call accounts and report back with messages, so it never blocks.
package ui

import (
	"context"
	"crypto/x509"
	"errors"
	"io"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textarea"
	"github.com/charmbracelet/bubbles/viewport"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// Options configures the TUI. A zero value is valid.
type Options struct {
	// Account names the account to open on; "" means the default.
	Account string
	// Editor overrides $VISUAL/$EDITOR for composing.
	Editor string
	// SyncEvery is the interval of background syncs; 0 means 2 minutes.
	SyncEvery time.Duration
	// NoSyncOnStart skips the initial sync (the index still opens from
	// the cache).
	NoSyncOnStart bool
	// NoWatch turns off push (IDLE) and polling; only $ and the timer
	// sync then.
	NoWatch bool
	// DraftDir is where drafts are written for the editor; "" means the
	// system's temporary folder.
	DraftDir string
	// DownloadDir is where attachments are saved; "" means ~/Downloads
	// (or the home folder when there is none).
	DownloadDir string
	// Compose, if not nil, opens the composer on this draft at start (a
	// mailto: link).
	Compose *message.Draft
	// Keys are the bindings; nil means the defaults.
	Keys keymap.Map
	// Theme overrides the default colours.
	Theme ThemeOptions
	// NotifyCommand runs on new mail with the sender and the subject as
	// two more arguments, sanitized, without a shell.
	NotifyCommand []string
	// Bell rings the terminal bell on new mail.
	Bell bool
	// UnsubscribeRoots, when set, are the certificates a one-click
	// unsubscription trusts instead of the system's (the demo).
	UnsubscribeRoots *x509.CertPool
	// Output is the terminal, for the bell; nil means os.Stdout.
	Output io.Writer
	// Log receives the errors the reader shows (sync failures with their
	// account); nil means none are kept.
	Log *slog.Logger
	// LogPath is the log file's path, named in the status line when an
	// error is longer than the line.
	LogPath string
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// UndoSendDelay is how long a sent message waits in the outbox,
	// where u takes it back (schedule.go); 0 sends at once.
	UndoSendDelay time.Duration
}

type mode int

const (
	modeIndex mode = iota
	modePager
	modeCompose
	modeHelp
	modeEditInline
	modeOutbox // the outbox screen (outbox.go)
)

// Model is the root of the TUI.
type Model struct {
	ctx    context.Context
	cancel context.CancelFunc
	set    *accounts.Set
	opts   Options
	theme  Theme
	keys   KeyMap
	events chan tea.Msg

	width, height int
	mode, back    mode

	acct    int
	folders []mail.Folder
	folder  int
	index   index
	pager   pager
	compose compose
	inline  inlineEditor
	prompt  prompt
	help    viewport.Model // the help screen, or a command's output (pipe.go), scrollable
	// fullHeaders shows every header field in the pager (h), for every
	// message until h again.
	fullHeaders bool
	lastPipe    string // the command | piped to last, offered again
	// search, when not nil, replaces the folder in the index.
	search *searchListing
	// unified shows every account's inbox merged, instead of a folder.
	unified bool
	// threaded lists folders in thread order instead of by date.
	threaded bool
	// moveTarget is the message a "move to folder" prompt is about.
	moveTarget messageRef
	// marks are the marked messages and the last bulk action (marks.go).
	marks marks
	// later is the outbox's scheduled mail and the undo delay
	// (schedule.go, outbox.go).
	later later
	// saved keeps each account's folder and position while another one
	// is shown, so switching back returns to the same place.
	saved map[int]position

	newMail int             // messages arrived since start, for the status line
	primed  map[string]bool // accounts that had synced once: later mail is news
	syncing map[string]bool
	// again holds the syncs asked for while the account was syncing,
	// started when that sync ends (see queueSync).
	again    map[string]accounts.SyncOptions
	acctErr  map[string]string // last sync error per account
	outbox   map[string]string // accounts with mail waiting to be sent: the last error
	progress string
	// heard is when each running sync started or last reported; opening
	// and openedAt the account and time of the message being loaded;
	// waiting the line that says what has been waited for (waiting.go).
	heard       map[string]time.Time
	opening     string
	openedAt    time.Time
	waiting     string
	waitTicking bool
	status      string
	isError     bool
	// opened holds the copies of attachments opened with o (attach.go).
	opened *openedFiles
	// inv is what an invitation or unsubscribe prompt is about (invite.go).
	inv inviteState
}

// New builds the TUI over the accounts of set.
func New(set *accounts.Set, opts Options) Model {
	ctx, cancel := context.WithCancel(context.Background())
	if opts.SyncEvery <= 0 {
		opts.SyncEvery = 2 * time.Minute
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	m := Model{
		ctx: ctx, cancel: cancel, set: set, opts: opts,
		theme: NewTheme(opts.Theme), keys: DefaultKeyMap(),
		events: make(chan tea.Msg, 64),
		width:  80, height: 24,
		opened:  newOpenedFiles(),
		syncing: map[string]bool{},
		heard:   map[string]time.Time{},
		again:   map[string]accounts.SyncOptions{},
		acctErr: map[string]string{},
		saved:   map[int]position{},
	}
	if opts.Keys != nil {
		m.keys = NewKeyMap(opts.Keys)
	}
	m.primed = map[string]bool{}
	for _, a := range set.Accounts {
		st, err := a.State()
		if err != nil {
			continue
		}
		// A failure recorded by an earlier run shows until a sync works.
		if st.LastError != "" {
			m.acctErr[a.Name()] = sanitize.Line(st.LastError)
		}
		m.primed[a.Name()] = !st.LastOK.IsZero()
	}
	for i, a := range set.Accounts {
		if a == set.Default {
			m.acct = i
		}
		if opts.Account != "" && a.Name() == opts.Account {
			m.acct = i
		}
	}
	m.layout()
	m.openAccount(m.acct) // reads the folders and the first page
	m.reloadOutbox()
	if opts.Compose != nil {
		m.compose = compose{account: m.account().Name(), orig: *opts.Compose}
	}
	return m
}

// Init starts the first sync of every account.
func (m Model) Init() tea.Cmd {
	// The window title is set by the caller before the program starts
	// (WindowTitle): tea.SetWindowTitle writes to the terminal outside
	// the renderer's lock, a data race with the first frame.
	cmds := []tea.Cmd{waitEvent(m.events), syncTick(m.opts.SyncEvery)}
	if !m.opts.NoSyncOnStart {
		cmds = append(cmds, m.syncAll(false)...)
	}
	if !m.opts.NoWatch {
		cmds = append(cmds, watchCmd(m.ctx, m.set, m.opts.SyncEvery, m.events))
	}
	cmds = append(cmds, m.outboxTimer()) // scheduled mail goes when due
	if d := m.opts.Compose; d != nil {
		cmds = append(cmds, editorCmd(m.opts.Editor, *d, m.opts.DraftDir))
	}
	return tea.Batch(cmds...)
}

func (m *Model) account() *accounts.Account { return m.set.Accounts[m.acct] }

func (m *Model) folderName() string {
	if m.folder < len(m.folders) {
		return m.folders[m.folder].Name
	}
	return "INBOX"
}

// position is where the user was in an account.
type position struct {
	folder      string
	cursor, top int
}

// listing is what the index shows now.
func (m *Model) listing() listing {
	if m.search != nil {
		return m.search
	}
	if m.unified {
		return unifiedListing{set: m.set}
	}
	return folderListing{a: m.account(), folder: m.folderName(), threaded: m.threaded, sort: m.folderSort()}
}

// accountOf returns the account a message belongs to: search results mix
// accounts, so actions go to the message's own.
func (m *Model) accountOf(msg accounts.Message) *accounts.Account {
	if a, err := m.set.Get(msg.Account); err == nil && msg.Account != "" {
		return a
	}
	return m.account()
}

// openAccount switches to account i: where the user left it, or its inbox.
func (m *Model) openAccount(i int) {
	if m.folders != nil {
		m.saved[m.acct] = position{folder: m.folderName(), cursor: m.index.cursor, top: m.index.top}
	}
	m.search = nil
	m.unified = false
	m.acct = i
	m.folder = 0
	m.folders = nil
	pos, ok := m.saved[i]
	m.reloadFolders()
	for j, f := range m.folders {
		if (ok && f.Name == pos.folder) || (!ok && (f.Role == mail.RoleInbox || strings.EqualFold(f.Name, "INBOX"))) {
			m.folder = j
			break
		}
	}
	m.index = index{height: m.index.height, cursor: pos.cursor, top: pos.top}
	m.index.load(m.listing())
}

// reloadFolders re-reads the folder list and counts from the cache,
// keeping the selected folder.
func (m *Model) reloadFolders() {
	name := m.folderName()
	fs, err := m.account().Folders()
	if err != nil {
		m.setError(err)
		return
	}
	m.folders = fs
	m.folder = 0
	for j, f := range fs {
		if f.Name == name {
			m.folder = j
		}
	}
}

// syncAll syncs every account, the folder on screen first; full syncs
// even the folders whose state on the server did not change ("sync
// now"), else they are skipped (start-up, the timer).
func (m *Model) syncAll(full bool) []tea.Cmd {
	var cmds []tea.Cmd
	for _, a := range m.set.Accounts {
		if cmd := m.queueSync(a, accounts.SyncOptions{Full: full}); cmd != nil {
			cmds = append(cmds, cmd)
		}
	}
	return cmds
}

// queueSync starts a sync of a (the folder on screen first), or, while
// one runs, keeps it to start when that one ends: merged with what was
// already kept, a whole-account sync covering a scoped one.
func (m *Model) queueSync(a *accounts.Account, opts accounts.SyncOptions) tea.Cmd {
	name := a.Name()
	if m.syncing[name] {
		prev, ok := m.again[name]
		switch {
		case !ok:
		case prev.Folders == nil || opts.Folders == nil:
			opts.Folders = nil
			opts.Full = opts.Full || prev.Full
		default:
			opts.Folders = appendNew(prev.Folders, opts.Folders...)
		}
		m.again[name] = opts
		return nil
	}
	if m.account() == a && !m.unified && m.search == nil {
		opts.First = m.folderName()
	}
	m.syncing[name] = true
	m.heard[name] = m.opts.Now()
	return tea.Batch(syncCmd(m.ctx, a, opts, m.events), m.armWait())
}

// appendNew appends to list the names it lacks.
func appendNew(list []string, names ...string) []string {
	for _, n := range names {
		if !slices.Contains(list, n) {
			list = append(list, n)
		}
	}
	return list
}

func (m *Model) setError(err error) { m.setAccountError("", err) }

// setAccountError shows err in the status line and keeps it in the log,
// with the account it concerns ("" when none).
func (m *Model) setAccountError(account string, err error) {
	m.status, m.isError = sanitize.Line(err.Error()), true
	if m.opts.Log != nil {
		m.opts.Log.Warn("reader: error", "account", account, "err", err.Error())
	}
}

func (m *Model) setInfo(s string) { m.status, m.isError = s, false }

// layout sizes the panes for the terminal.
func (m *Model) layout() {
	m.index.height = max(m.height-2, 1)
	m.pager.setSize(m.theme, m.width, max(m.height-1, 1))
}

// Update handles one message.
func (m Model) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case tea.WindowSizeMsg:
		m.width, m.height = msg.Width, msg.Height
		m.layout()
		m.index.load(m.listing())
		return m, nil
	case tea.KeyMsg:
		return m.handleKey(msg)
	case syncEventMsg:
		m.handleSyncEvent(msg.ev)
		return m, waitEvent(m.events)
	case tea.MouseMsg:
		return m.handleMouse(msg), nil
	case syncDoneMsg:
		return m.handleSyncDone(msg)
	case newMailMsg:
		var cmd tea.Cmd
		if a, err := m.set.Get(msg.account); err == nil {
			opts := accounts.SyncOptions{}
			if msg.folder != "" {
				opts.Folders = []string{msg.folder} // IDLE: that folder only
			}
			cmd = m.queueSync(a, opts)
		}
		return m, tea.Batch(cmd, waitEvent(m.events))
	case waitTickMsg:
		return m.handleWaitTick()
	case syncTickMsg:
		return m, tea.Batch(append(m.syncAll(false), syncTick(m.opts.SyncEvery))...)
	case bodyMsg:
		return m.handleBody(msg)
	case invitesMsg, inviteDoneMsg, unsubscribePlanMsg, unsubscribeDoneMsg:
		return m.handleInviteMsgs(msg)
	case flagDoneMsg:
		if msg.err != nil {
			m.setError(msg.err)
		}
		m.refresh()
		return m, nil
	case replyReadyMsg:
		if msg.err != nil {
			m.setError(msg.err)
			return m, nil
		}
		m.compose = compose{account: msg.account, orig: msg.draft, resumeOf: msg.resumeOf}
		if a, err := m.set.Get(msg.account); err == nil {
			msg.draft = m.compose.setCryptoDefaults(a, msg.draft)
			msg.draft = m.compose.answeringEncrypted(msg.draft, msg.encrypted)
		}
		return m, editorCmd(m.opts.Editor, msg.draft, m.opts.DraftDir)
	case inlineEditMsg:
		ed, err := newInlineEditor(msg.path, m.width, m.height-2)
		if err != nil {
			m.setError(err)
			return m, nil
		}
		m.inline = ed
		m.compose.path = msg.path
		m.mode = modeEditInline
		return m, textarea.Blink
	case editorDoneMsg:
		m = m.handleEditorDone(msg)
		return m, m.cryptoPlanCmd()
	case cryptoPlanMsg:
		return m.handleCryptoPlan(msg), nil
	case sentMsg:
		return m.handleSent(msg)
	case scheduledMsg:
		return m.handleScheduled(msg)
	case undoTickMsg:
		return m.handleUndoTick(msg)
	case outboxTickMsg:
		return m.handleOutboxTick(msg)
	case outboxFlushedMsg:
		return m.handleOutboxFlushed(msg)
	case takenBackMsg:
		return m.handleTakenBack(msg)
	case outboxActionMsg:
		return m.handleOutboxAction(msg)
	case attachmentDoneMsg:
		return m.handleAttachmentDone(msg), nil
	case pipeDoneMsg:
		return m.handlePipeDone(msg), nil
	case linkOpenedMsg:
		return m.handleLinkOpened(msg), nil
	case serverResultsMsg:
		return m.mergeServerResults(msg), nil
	case draftSavedMsg:
		m.compose.sending = false
		if msg.err != nil {
			m.setError(msg.err) // stay on the draft: nothing is lost
			return m, nil
		}
		m.compose.discard()
		m.mode = modeIndex
		m.setInfo("Saved to Drafts of " + sanitize.Line(msg.account))
		m.refresh()
		return m, nil
	case bulkProgressMsg, bulkDoneMsg:
		return m.handleBulk(msg)
	case actionDoneMsg:
		var pending *accounts.PendingError
		switch {
		case errors.As(msg.err, &pending):
			m.setInfo(msg.done + " here; the server is unreachable, so it is queued and replayed on the next sync")
		case msg.err != nil:
			m.setError(msg.err)
		default:
			m.setInfo(msg.done)
		}
		m.refresh()
		return m, nil
	}
	if m.prompt.kind != promptNone {
		var cmd tea.Cmd
		m.prompt.input, cmd = m.prompt.input.Update(msg)
		return m, cmd
	}
	return m, nil
}

// openHelp shows the help screen, generated from the live key map.
func (m *Model) openHelp() { m.openText(helpView(m.theme, m.keys, m.width)) }

// openText shows text (sanitized already) in the help screen's
// scrollable view, which q closes.
func (m *Model) openText(text string) {
	m.back, m.mode = m.mode, modeHelp
	m.help = viewport.New(m.width, max(m.height-1, 1))
	m.help.SetContent(text)
}

// WindowTitle is the escape sequence that names the terminal window
// "posta" (OSC 2); write it to the terminal before the program starts.
const WindowTitle = "\x1b]2;posta\x07"

// Quit ends background work and removes the copies of attachments
// opened with o; call it after the program returns.
func (m Model) Quit() {
	m.cancel()
	m.opened.removeAll()
}
