package ui

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// Messages that background work sends back to the UI. Every command is a
// closure over copied arguments: none reads the model off the UI
// goroutine.
type (
	// syncEventMsg is one event of a running sync: progress, the folder
	// list stored, a batch of messages stored, a folder done.
	syncEventMsg struct{ ev accounts.Event }
	syncDoneMsg  struct {
		report accounts.SyncReport
		err    error
	}
	bodyMsg struct {
		account string
		id      int64
		raw     []byte
		err     error
		crypto  message.Crypto // see prepareCrypto; nil when nothing is signed or encrypted
	}
	sentMsg struct {
		account string
		to      []string
		err     error
	}
	flagDoneMsg   struct{ err error }
	editorDoneMsg struct {
		path string
		err  error
	}
	replyReadyMsg struct {
		account  string
		draft    message.Draft
		resumeOf int64 // the draft message this resumes, 0 if none
		// encrypted: the message answered or forwarded was encrypted, so
		// the draft starts encrypted too (compose_crypto.go).
		encrypted bool
		err       error
	}
	syncTickMsg struct{}
	// actionDoneMsg reports a delete, archive or move.
	actionDoneMsg struct {
		done string // "Deleted", "Archived", "Moved to X"
		err  error
	}
	// newMailMsg says an account may have new mail in folder (pushed by
	// IDLE), or anywhere ("": its poll timer fired).
	newMailMsg struct{ account, folder string }
)

// watchCmd runs the accounts' watchers until ctx ends; each notification
// reaches the model through events.
func watchCmd(ctx context.Context, set *accounts.Set, poll time.Duration, events chan<- tea.Msg) tea.Cmd {
	return func() tea.Msg {
		set.Watch(ctx, accounts.WatchOptions{Poll: poll}, func(name, folder string) {
			select {
			case events <- newMailMsg{account: name, folder: folder}:
			case <-ctx.Done():
			}
		})
		return nil
	}
}

// syncCmd syncs one account as opts says. Its events go to the UI as
// they happen: progress without blocking (a later update follows one
// dropped), the others in order, since the index reloads on them.
func syncCmd(ctx context.Context, a *accounts.Account, opts accounts.SyncOptions, events chan<- tea.Msg) tea.Cmd {
	return func() tea.Msg {
		opts.Warm = true // the user may open a message while it runs
		opts.Events = func(e accounts.Event) {
			msg := syncEventMsg{ev: e}
			if e.Kind == accounts.EventProgress {
				select {
				case events <- msg:
				default: // the UI is behind: drop this update
				}
				return
			}
			select {
			case events <- msg:
			case <-ctx.Done():
			}
		}
		rep, err := a.SyncWith(ctx, opts)
		return syncDoneMsg{report: rep, err: err}
	}
}

// tidyCmd does the indexing a sync that brought new mail left for
// later (threads, the full-text index) off the screen's path; its error
// is left for the search or threaded listing that would redo the work.
func tidyCmd(ctx context.Context, a *accounts.Account) tea.Cmd {
	return func() tea.Msg {
		a.Tidy(ctx) // stops when the reader quits
		return nil
	}
}

// waitEvent delivers the next event from a background goroutine; the
// model re-arms it after each one.
func waitEvent(events <-chan tea.Msg) tea.Cmd {
	return func() tea.Msg { return <-events }
}

func syncTick(every time.Duration) tea.Cmd {
	return tea.Tick(every, func(time.Time) tea.Msg { return syncTickMsg{} })
}

func bodyCmd(ctx context.Context, a *accounts.Account, id int64) tea.Cmd {
	return func() tea.Msg {
		raw, err := a.Body(ctx, id)
		var crypto message.Crypto
		if err == nil {
			crypto = prepareCrypto(a, id, raw)
		}
		return bodyMsg{account: a.Name(), id: id, raw: raw, err: err, crypto: crypto}
	}
}

func flagCmd(ctx context.Context, a *accounts.Account, id int64, flag mail.Flag, add bool) tea.Cmd {
	return func() tea.Msg {
		return flagDoneMsg{err: a.SetFlag(ctx, id, flag, add)}
	}
}

func sendCmd(ctx context.Context, a *accounts.Account, d message.Draft) tea.Cmd {
	return func() tea.Msg {
		raw, from, to, err := buildOutgoing(a, d)
		if err != nil {
			return sentMsg{account: a.Name(), err: err}
		}
		return sentMsg{account: a.Name(), to: to, err: a.Send(ctx, from, to, raw)}
	}
}

// replyCmd loads the original message (from the cache, or the server)
// and builds the reply draft.
func replyCmd(ctx context.Context, a *accounts.Account, m accounts.Message, all bool) tea.Cmd {
	return func() tea.Msg {
		raw, err := a.Body(ctx, m.ID)
		if err != nil {
			return replyReadyMsg{account: a.Name(), err: err}
		}
		body := replyText(a, raw, m.Security)
		orig := m.Header
		if h, err := message.ParseHeader(bytes.NewReader(raw)); err == nil {
			// The index keeps no Reply-To, and only the first addresses
			// of a long To or Cc (mail.MaxAddresses): the message has all.
			orig.ReplyTo, orig.To, orig.Cc = h.ReplyTo, h.To, h.Cc
		}
		// From the identity the message was addressed to; none of the
		// account's identities is a recipient of the reply.
		id := a.ReplyIdentity(raw)
		d := message.ReplyDraft(orig, body, id.From(), identityAddresses(a), all)
		return replyReadyMsg{account: a.Name(), draft: signedAs(a, id, d), encrypted: m.Security.Has(mail.Encrypted)}
	}
}

// editorCmd writes the draft to a private temporary file and hands the
// terminal to the user's editor.
func editorCmd(editor string, d message.Draft, dir string) tea.Cmd {
	f, err := os.CreateTemp(dir, "posta-draft-*.eml")
	if err != nil {
		return func() tea.Msg { return editorDoneMsg{err: err} }
	}
	path := f.Name()
	_, err = f.WriteString(d.EditorText())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return func() tea.Msg { return editorDoneMsg{path: path, err: err} }
	}
	return reopenEditorCmd(editor, path)
}

func reopenEditorCmd(editor, path string) tea.Cmd {
	argv := editorArgv(editor)
	if useBuiltinEditor(argv) {
		return func() tea.Msg { return inlineEditMsg{path: path} }
	}
	c := exec.Command(argv[0], append(argv[1:], path)...)
	return execEditor(c, func(err error) tea.Msg { return editorDoneMsg{path: path, err: err} })
}

// editorArgv splits the editor setting into a program and its arguments,
// without a shell: $VISUAL, then $EDITOR, then a platform default.
func editorArgv(editor string) []string {
	for _, e := range []string{editor, os.Getenv("VISUAL"), os.Getenv("EDITOR")} {
		if f := strings.Fields(e); len(f) > 0 {
			return f
		}
	}
	if runtime.GOOS == "windows" {
		return []string{"notepad"}
	}
	return []string{"vi"}
}

// messageRef is a message as the index lists it.
type messageRef = accounts.Message

// ctxT shortens the signatures of action closures.
type ctxT = context.Context

// actionCmd runs an action on a message (delete, archive, move). When the
// server is unreachable the accounts layer queues it and says so.
func actionCmd(ctx context.Context, a *accounts.Account, id int64, done string, act func(context.Context) error) tea.Cmd {
	return func() tea.Msg {
		return actionDoneMsg{done: done, err: act(ctx)}
	}
}

// forwardCmd loads the original and builds a forward: inline, or with
// the original attached as message/rfc822.
func forwardCmd(ctx context.Context, a *accounts.Account, m accounts.Message, asAttachment bool) tea.Cmd {
	return func() tea.Msg {
		raw, err := a.Body(ctx, m.ID)
		if err != nil {
			return replyReadyMsg{account: a.Name(), err: err}
		}
		id := a.ReplyIdentity(raw)
		return replyReadyMsg{account: a.Name(), draft: signedAs(a, id, message.ForwardDraft(m.Header, raw, id.From(), asAttachment)), encrypted: m.Security.Has(mail.Encrypted)}
	}
}

// draftSavedMsg reports a postponed message filed in Drafts.
type draftSavedMsg struct {
	account string
	err     error
}

func saveDraftCmd(ctx context.Context, a *accounts.Account, d message.Draft) tea.Cmd {
	return func() tea.Msg {
		raw, err := d.BuildDraft(time.Now())
		if err == nil {
			raw, err = sealDraft(a, raw, d) // encrypted to self when it is to be sent encrypted
		}
		if err == nil {
			err = a.SaveDraft(ctx, raw)
		}
		return draftSavedMsg{account: a.Name(), err: err}
	}
}

// resumeCmd opens a saved message (a draft, or any message to edit as
// new) in the composer.
func resumeCmd(ctx context.Context, a *accounts.Account, m accounts.Message) tea.Cmd {
	return func() tea.Msg {
		raw, err := a.Body(ctx, m.ID)
		if err != nil {
			return replyReadyMsg{account: a.Name(), err: err}
		}
		d, err := message.DraftFromMessage(a.OpenDraft(raw, noPinentry()))
		if err != nil {
			return replyReadyMsg{account: a.Name(), err: err}
		}
		if d.From == "" {
			d.From = a.From()
		}
		var of int64
		if m.Flags.Has(mail.FlagDraft) || m.Folder == draftsFolder(a) {
			of = m.ID // sending it replaces the saved draft
		}
		return replyReadyMsg{account: a.Name(), draft: d, resumeOf: of}
	}
}

// draftsFolder names the account's Drafts folder, "" if it has none.
func draftsFolder(a *accounts.Account) string {
	fs, _ := a.Folders()
	for _, f := range fs {
		if f.Role == mail.RoleDrafts {
			return f.Name
		}
	}
	return ""
}
