package accounts

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// Message actions.
//
// On an IMAP account every action (SetFlag, Move, Copy, Delete, Archive)
// is first recorded in the cache's queue and applied to the index, then
// tried on the server at once. When the server cannot be reached the
// action stays queued, the method returns a *PendingError, and the next
// Sync replays the queue in order before it fetches anything. A moved or
// copied message is listed in its target folder under a placeholder UID
// ("pending:<n>", see cache.IsPlaceholderUID) until the next sync settles
// it under its real UID; it cannot be acted on again before that
// (cache.ErrPendingMessage). A move done at once on a fetcher that tells
// the new UID (protocols.Placer) settles it right away.
//
// When the server refuses an action (the message or folder is gone:
// protocols.ErrNotFound, or any other refusal) the action is dropped and
// its local effect undone: the error is a *ConflictError, and during Sync
// it is listed in SyncReport.Conflicts.
//
// POP3 accounts do the same actions on their local folders, with no
// queue: Move and Archive move the Maildir file, Delete moves it to Trash
// or, in Trash, deletes the file for good.

// PendingAction is a queued message action (see Account.Pending).
type PendingAction = cache.PendingAction

// ErrNoFolder means the account has no such folder (or no folder with the
// role an action needs) in its folder list.
var ErrNoFolder = errors.New("no such folder")

// PendingError means the server could not be reached: the action is
// applied locally and queued, and the next Sync replays it. It must not
// be retried by hand.
type PendingError struct {
	Action PendingAction
	Err    error
}

func (e *PendingError) Error() string {
	return fmt.Sprintf("%s message %d: %v (queued, replayed on the next sync)", e.Action.Kind, e.Action.MessageID, e.Err)
}

func (e *PendingError) Unwrap() error { return e.Err }

// ConflictError means the server refused an action (for example the
// message or the target folder is gone): the action was dropped from the
// queue and its local effect undone.
type ConflictError struct {
	Action PendingAction
	Err    error
}

func (e *ConflictError) Error() string {
	return fmt.Sprintf("%s: %v (action dropped)", describeAction(e.Action), e.Err)
}

func (e *ConflictError) Unwrap() error { return e.Err }

// describeAction says what an action does, for reports and the CLI.
func describeAction(p PendingAction) string {
	if n := len(p.Args.Members); n > 0 {
		return describeBulk(p, n)
	}
	switch p.Kind {
	case cache.ActionFlag:
		return fmt.Sprintf("flag +%s on %s/%s", p.Args.Flag, p.Folder, p.UID)
	case cache.ActionUnflag:
		return fmt.Sprintf("flag -%s on %s/%s", p.Args.Flag, p.Folder, p.UID)
	case cache.ActionMove, cache.ActionCopy, cache.ActionDelete:
		return fmt.Sprintf("%s %s/%s to %s", p.Kind, p.Folder, p.UID, p.Args.Dest)
	}
	return fmt.Sprintf("%s %s/%s", p.Kind, p.Folder, p.UID)
}

// DescribeAction returns a one-line description of a queued action.
func DescribeAction(p PendingAction) string { return describeAction(p) }

// Pending lists the account's queued actions, oldest first.
func (a *Account) Pending() ([]PendingAction, error) {
	return a.cache.PendingActions(a.Name())
}

// Move moves a message to another folder of the account.
func (a *Account) Move(ctx context.Context, id int64, folder string) error {
	return a.moveTo(ctx, id, folder, cache.ActionMove)
}

// Copy copies a message to another folder (IMAP accounts only).
func (a *Account) Copy(ctx context.Context, id int64, folder string) error {
	if a.caps.LocalIsRecord {
		return fmt.Errorf("%s: copy: %w", a.Name(), protocols.ErrUnsupported)
	}
	return a.moveTo(ctx, id, folder, cache.ActionCopy)
}

// Archive moves a message to the account's archive folder.
func (a *Account) Archive(ctx context.Context, id int64) error {
	folder, err := a.roleFolder(mail.RoleArchive)
	if err != nil {
		return err
	}
	return a.Move(ctx, id, folder)
}

// Delete moves a message to the account's Trash folder; a message already
// in Trash is deleted for good (IMAP: \Deleted and UID EXPUNGE; POP3: the
// Maildir file is removed).
func (a *Account) Delete(ctx context.Context, id int64) error {
	m, err := a.Message(id)
	if err != nil {
		return err
	}
	trash, err := a.roleFolder(mail.RoleTrash)
	if err != nil {
		return err
	}
	if m.Folder == trash {
		if a.caps.LocalIsRecord {
			return a.cache.PurgePOP(id)
		}
		return a.perform(ctx, cache.PendingAction{Kind: cache.ActionExpunge, MessageID: id})
	}
	return a.moveTo(ctx, id, trash, cache.ActionDelete)
}

func (a *Account) moveTo(ctx context.Context, id int64, folder string, kind cache.ActionKind) error {
	m, err := a.Message(id)
	if err != nil {
		return err
	}
	dest, err := a.folderNamed(folder)
	if err != nil {
		return err
	}
	if dest == m.Folder && kind != cache.ActionCopy {
		return nil
	}
	if a.caps.LocalIsRecord {
		return a.cache.MovePOP(id, dest)
	}
	return a.perform(ctx, cache.PendingAction{Kind: kind, MessageID: id, Args: cache.ActionArgs{Dest: dest}})
}

// folderNamed returns the account's folder called name (INBOX in any
// case), or an error wrapping ErrNoFolder.
func (a *Account) folderNamed(name string) (string, error) {
	folders, err := a.cache.Folders(a.Name())
	if err != nil {
		return "", err
	}
	for _, f := range folders {
		if f.Name == name || (strings.EqualFold(name, "INBOX") && strings.EqualFold(f.Name, "INBOX")) {
			return f.Name, nil
		}
	}
	return "", fmt.Errorf("%s: %w: %q (sync to refresh the folder list)", a.Name(), ErrNoFolder, name)
}

// roleFolder returns the account's folder with the given special use.
func (a *Account) roleFolder(role mail.Role) (string, error) {
	folders, err := a.cache.Folders(a.Name())
	if err != nil {
		return "", err
	}
	for _, f := range folders {
		if f.Role == role {
			return f.Name, nil
		}
	}
	return "", fmt.Errorf("%s: %w: the account has no %s folder", a.Name(), ErrNoFolder, role)
}

// perform queues an IMAP action, applies it locally and replays the queue
// (which ends with it) on the server. See the package notes above.
func (a *Account) perform(ctx context.Context, act PendingAction) error {
	if _, err := a.Message(act.MessageID); err != nil {
		return err
	}
	queued, err := a.cache.QueueAction(act)
	if err != nil {
		return fmt.Errorf("%s: %w", a.Name(), err)
	}
	a.lockFG()
	defer a.fg.mu.Unlock()
	conflicts, err := a.replayQueue(ctx, queued.ID)
	var errs []error
	for _, c := range conflicts {
		errs = append(errs, c)
	}
	if err != nil {
		errs = append(errs, &PendingError{Action: queued, Err: err})
	}
	return errors.Join(errs...)
}

// replayPending replays the account's queued actions before a sync and
// settles the placeholders of those done. Conflicts go into rep. It
// returns an error only when the server cannot be reached: the remaining
// actions stay queued, in order.
func (a *Account) replayPending(ctx context.Context, rep *SyncReport) error {
	if a.caps.LocalIsRecord {
		return nil
	}
	a.lockFG()
	defer a.fg.mu.Unlock()
	conflicts, err := a.replayQueue(ctx, 0)
	for _, c := range conflicts {
		rep.Conflicts = append(rep.Conflicts, c.Error())
	}
	if err != nil {
		return fmt.Errorf("%s: replay queued actions: %w", a.Name(), err)
	}
	_, err = a.cache.DropSettledPlaceholders(a.Name())
	return err
}

// replayQueue does the queued actions in order. Actions queued before
// fresh (all of them when fresh is 0) are checked first: a message gone
// from the server or a folder whose UIDVALIDITY changed is a conflict,
// since a UID STORE or MOVE on a missing UID succeeds silently. It stops
// at the first action the server cannot be reached for, and returns that
// error; every action the server refused is dropped and returned as a
// conflict. the interactive lane (a.fg) must be held.
func (a *Account) replayQueue(ctx context.Context, fresh int64) ([]*ConflictError, error) {
	acts, err := a.cache.PendingActions(a.Name())
	if err != nil {
		return nil, err
	}
	gone, conflicts, err := a.probeQueued(ctx, acts, fresh)
	if err != nil {
		for _, act := range acts {
			_ = a.cache.ActionFailed(act.ID, err)
		}
		return conflicts, err
	}
	for i, act := range acts {
		err := gone[act.ID]
		if err == nil {
			err = a.doAction(ctx, act)
		}
		switch {
		case err == nil:
			if derr := a.cache.ActionDone(act.ID); derr != nil {
				return conflicts, derr
			}
		case unreachable(err):
			for _, rest := range acts[i:] {
				_ = a.cache.ActionFailed(rest.ID, err)
			}
			return conflicts, err
		default:
			if derr := a.cache.DropAction(act); derr != nil {
				return conflicts, derr
			}
			conflicts = append(conflicts, &ConflictError{Action: act, Err: err})
		}
	}
	return conflicts, nil
}

// probeQueued checks, one round of commands per source folder, that the
// messages of the actions queued before fresh are still on the server.
// It returns the conflict error of each action whose message is gone.
// The members of a bulk action that are gone are taken out of it (acts
// is updated) and returned as conflicts; the rest of it is done.
func (a *Account) probeQueued(ctx context.Context, acts []PendingAction, fresh int64) (map[int64]error, []*ConflictError, error) {
	byFolder := map[string][]string{}
	var order []string
	for _, act := range acts {
		if fresh != 0 && act.ID >= fresh {
			continue
		}
		if _, ok := byFolder[act.Folder]; !ok {
			order = append(order, act.Folder)
		}
		byFolder[act.Folder] = append(byFolder[act.Folder], act.UIDs()...)
	}
	gone := map[int64]error{}
	var conflicts []*ConflictError
	for _, folder := range order {
		meta, err := a.cache.FolderMeta(a.Name(), folder)
		if err != nil {
			return nil, conflicts, err
		}
		res, err := a.fg.f.Sync(ctx, protocols.SyncRequest{
			Folder: folder,
			State: protocols.FolderState{
				UIDValidity: meta.UIDValidity,
				Known:       func(string) bool { return true },
				KnownUIDs:   byFolder[folder],
			},
		})
		var folderErr error
		vanished := map[string]bool{}
		switch {
		case errors.Is(err, protocols.ErrNotFound):
			folderErr = fmt.Errorf("folder %s: %w", folder, protocols.ErrNotFound)
		case err != nil:
			return nil, conflicts, err
		case res.Reset:
			folderErr = fmt.Errorf("folder %s was recreated on the server (UIDVALIDITY changed): %w", folder, protocols.ErrNotFound)
		default:
			for _, uid := range res.Vanished {
				vanished[uid] = true
			}
		}
		for i, act := range acts {
			if act.Folder != folder || (fresh != 0 && act.ID >= fresh) {
				continue
			}
			if folderErr != nil {
				gone[act.ID] = folderErr
			} else if len(act.Args.Members) > 0 {
				lost := map[string]bool{}
				for _, uid := range act.UIDs() {
					if vanished[uid] {
						lost[uid] = true
					}
				}
				switch {
				case len(lost) == len(act.Args.Members):
					gone[act.ID] = fmt.Errorf("messages gone from the server: %w", protocols.ErrNotFound)
				case len(lost) > 0:
					rest, err := a.cache.DropMembers(act, lost)
					if err != nil {
						return nil, conflicts, err
					}
					acts[i] = rest
					conflicts = append(conflicts, &ConflictError{Action: lostMembers(act, lost),
						Err: fmt.Errorf("messages gone from the server: %w", protocols.ErrNotFound)})
				}
			} else if vanished[act.UID] {
				gone[act.ID] = fmt.Errorf("message gone from the server: %w", protocols.ErrNotFound)
			}
		}
	}
	return gone, conflicts, nil
}

// doAction carries out one queued action on the server. the interactive lane (a.fg) must be held.
func (a *Account) doAction(ctx context.Context, act PendingAction) error {
	bulk := len(act.Args.Members) > 0 // one command on the members' UID set
	uids := []string{act.UID}
	if bulk {
		uids = act.UIDs()
	}
	switch act.Kind {
	case cache.ActionFlag, cache.ActionUnflag:
		return a.fg.f.SetFlags(ctx, act.Folder, uids, []mail.Flag{act.Args.Flag}, act.Kind == cache.ActionFlag)
	case cache.ActionMove, cache.ActionDelete:
		if p := a.fg.opt.placer; p != nil {
			placed, err := p.MoveUIDs(ctx, act.Folder, uids, act.Args.Dest)
			if err != nil {
				return err
			}
			// The move is done: the placeholder rows take the real UIDs
			// now, so the messages can be acted on before the next sync.
			// Should that fail, the next sync settles them as before.
			if bulk {
				_ = a.cache.SettleBulk(act, placed)
			} else {
				_ = a.cache.SettlePlaceholder(act, placed[act.UID])
			}
			return nil
		}
		return a.fg.f.Move(ctx, act.Folder, uids, act.Args.Dest)
	case cache.ActionExpunge:
		return a.fg.f.Delete(ctx, act.Folder, uids)
	case cache.ActionCopy:
		if bulk {
			return a.copyBulk(ctx, act, uids)
		}
		return a.copyOnServer(ctx, act)
	}
	return fmt.Errorf("unknown action %q", act.Kind)
}

// copyOnServer copies with the fetcher's Copy when it has one, else by
// fetching the message and appending it to the target folder.
func (a *Account) copyOnServer(ctx context.Context, act PendingAction) error {
	if c := a.fg.opt.copier; c != nil {
		return c.Copy(ctx, act.Folder, []string{act.UID}, act.Args.Dest)
	}
	ap := a.fg.opt.appender
	if ap == nil {
		return protocols.ErrUnsupported
	}
	return a.appendCopy(ctx, ap, act.Folder, act.UID, act.Args.Dest, act.Args.Flags, act.Args.Date)
}

// appendCopy copies one message to dest where the server has no COPY:
// its bytes are fetched and appended with flags and date. The
// interactive lane (a.fg) must be held.
func (a *Account) appendCopy(ctx context.Context, ap protocols.Appender, folder, uid, dest string, flags []mail.Flag, date time.Time) error {
	rc, err := a.fg.f.FetchBody(ctx, folder, uid)
	if err != nil {
		return err
	}
	var buf bytes.Buffer
	_, err = io.Copy(&buf, rc)
	if cerr := rc.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return err
	}
	return ap.Append(ctx, dest, flags, date, buf.Bytes())
}

// unreachable reports whether err means the server could not be reached
// or the connection broke (the action may be retried later), as opposed
// to an answer from the server. Certificate and authentication failures
// are answers: queueing would only hide them.
func unreachable(err error) bool {
	if err == nil {
		return false
	}
	var certErr *tls.CertificateVerificationError
	var unknownCA x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var alert tls.AlertError
	if errors.Is(err, protocols.ErrAuthFailed) || errors.Is(err, protocols.ErrInsecure) ||
		errors.As(err, &certErr) || errors.As(err, &unknownCA) || errors.As(err, &hostErr) || errors.As(err, &alert) {
		return false
	}
	if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, net.ErrClosed) {
		return true
	}
	var opErr *net.OpError
	if errors.As(err, &opErr) && opErr.Op == "remote error" {
		return false // a TLS alert from the server
	}
	var netErr net.Error
	return errors.As(err, &netErr)
}
