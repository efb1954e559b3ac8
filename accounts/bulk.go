package accounts

import (
	"context"
	"errors"
	"fmt"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// Bulk actions: one action on many messages.
//
// FlagMany, MoveMany, CopyMany, ArchiveMany and DeleteMany act on a list
// of messages of the account. On an IMAP account the messages of each
// folder are queued as one action per bulkChunk messages
// (cache.QueueBulkAction) and each is done with one command on a UID set,
// so a thousand messages cost a handful of round trips, through the same
// queue as single actions: offline they are applied locally and replayed
// on the next sync, and a message gone from the server is a conflict of
// its own while the rest is done. POP3 accounts act on their local
// folders message by message.
//
// Each returns a BulkUndo, which Undo takes to reverse the action while
// it is queued (the queued entries are dropped) or, once done, by the
// opposite action: flags changed back, moved messages moved back.

// bulkChunk is the most messages one queued action (one server command)
// holds, so that a command line stays short even for scattered UIDs.
const bulkChunk = 500

// BulkProgress is told how many of the messages are done so far.
type BulkProgress func(done, total int)

// BulkUndo records what a bulk action did, for Undo.
type BulkUndo struct {
	Account string
	Kind    cache.ActionKind // flag, unflag, move (archive too), delete, copy, expunge
	Flag    mail.Flag
	Dest    string
	// Count is how many messages the action touched.
	Count int
	// Actions are the queue entries the action made (IMAP).
	Actions []int64
	// From maps each moved message to the folder it came from.
	From map[int64]string
	// Changed lists the messages whose flag the action changed.
	Changed []int64
	// Expunged counts the messages deleted for good (from Trash), which
	// cannot be brought back once done.
	Expunged int
}

// FlagMany adds or removes a flag on messages; those that already are as
// asked are left alone.
func (a *Account) FlagMany(ctx context.Context, ids []int64, flag mail.Flag, add bool, progress BulkProgress) (BulkUndo, error) {
	kind := cache.ActionUnflag
	if add {
		kind = cache.ActionFlag
	}
	u := BulkUndo{Account: a.Name(), Kind: kind, Flag: flag}
	msgs, err := a.messages(ids)
	if err != nil {
		return u, err
	}
	var todo []Message
	for _, m := range msgs {
		if m.Flags.Has(flag) != add {
			todo = append(todo, m)
			u.Changed = append(u.Changed, m.ID)
		}
	}
	u.Count = len(todo)
	if !a.caps.ServerFlags {
		for i, m := range todo {
			flags := m.Flags.Without(flag)
			if add {
				flags = m.Flags.With(flag)
			}
			if err := a.cache.SetFlags(m.ID, flags); err != nil {
				return u, err
			}
			report(progress, i+1, len(todo))
		}
		return u, nil
	}
	return u, a.queueMany(ctx, &u, cache.PendingAction{Kind: kind, Args: cache.ActionArgs{Flag: flag}}, todo, progress)
}

// MoveMany moves messages to another folder of the account; those already
// there are left alone.
func (a *Account) MoveMany(ctx context.Context, ids []int64, folder string, progress BulkProgress) (BulkUndo, error) {
	return a.moveMany(ctx, ids, folder, cache.ActionMove, progress)
}

// ArchiveMany moves messages to the account's archive folder.
func (a *Account) ArchiveMany(ctx context.Context, ids []int64, progress BulkProgress) (BulkUndo, error) {
	folder, err := a.roleFolder(mail.RoleArchive)
	if err != nil {
		return BulkUndo{Account: a.Name()}, err
	}
	return a.moveMany(ctx, ids, folder, cache.ActionMove, progress)
}

// CopyMany copies messages to another folder (IMAP accounts only).
func (a *Account) CopyMany(ctx context.Context, ids []int64, folder string, progress BulkProgress) (BulkUndo, error) {
	if a.caps.LocalIsRecord {
		return BulkUndo{Account: a.Name()}, fmt.Errorf("%s: copy: %w", a.Name(), protocols.ErrUnsupported)
	}
	return a.moveMany(ctx, ids, folder, cache.ActionCopy, progress)
}

// DeleteMany moves messages to Trash; those already in Trash are deleted
// for good (see Delete).
func (a *Account) DeleteMany(ctx context.Context, ids []int64, progress BulkProgress) (BulkUndo, error) {
	trash, err := a.roleFolder(mail.RoleTrash)
	if err != nil {
		return BulkUndo{Account: a.Name()}, err
	}
	msgs, err := a.messages(ids)
	if err != nil {
		return BulkUndo{Account: a.Name()}, err
	}
	var inTrash, rest []int64
	for _, m := range msgs {
		if m.Folder == trash {
			inTrash = append(inTrash, m.ID)
		} else {
			rest = append(rest, m.ID)
		}
	}
	total := len(msgs)
	u, err := a.moveMany(ctx, rest, trash, cache.ActionDelete, func(done, _ int) { report(progress, done, total) })
	if err != nil && !isPending(err) || len(inTrash) == 0 {
		return u, err
	}
	moveErr := err
	u.Expunged = len(inTrash)
	u.Count += len(inTrash)
	if a.caps.LocalIsRecord {
		for i, id := range inTrash {
			if err := a.cache.PurgePOP(id); err != nil {
				return u, err
			}
			report(progress, len(rest)+i+1, total)
		}
		return u, moveErr
	}
	expMsgs, err := a.messages(inTrash)
	if err != nil {
		return u, err
	}
	err = a.queueMany(ctx, &u, cache.PendingAction{Kind: cache.ActionExpunge}, expMsgs,
		func(done, _ int) { report(progress, len(rest)+done, total) })
	return u, errors.Join(moveErr, err)
}

func (a *Account) moveMany(ctx context.Context, ids []int64, folder string, kind cache.ActionKind, progress BulkProgress) (BulkUndo, error) {
	u := BulkUndo{Account: a.Name(), Kind: kind, From: map[int64]string{}}
	if len(ids) == 0 {
		return u, nil
	}
	dest, err := a.folderNamed(folder)
	if err != nil {
		return u, err
	}
	u.Dest = dest
	msgs, err := a.messages(ids)
	if err != nil {
		return u, err
	}
	var todo []Message
	for _, m := range msgs {
		if m.Folder == dest && kind != cache.ActionCopy {
			continue
		}
		todo = append(todo, m)
		u.From[m.ID] = m.Folder
	}
	u.Count = len(todo)
	if a.caps.LocalIsRecord {
		for i, m := range todo {
			if err := a.cache.MovePOP(m.ID, dest); err != nil {
				return u, err
			}
			report(progress, i+1, len(todo))
		}
		return u, nil
	}
	return u, a.queueMany(ctx, &u, cache.PendingAction{Kind: kind, Args: cache.ActionArgs{Dest: dest}}, todo, progress)
}

// queueMany queues act for msgs, one entry per folder and bulkChunk
// messages, and does each on the server at once. When the server cannot
// be reached the rest is queued without trying again, and the error is a
// *PendingError.
func (a *Account) queueMany(ctx context.Context, u *BulkUndo, act cache.PendingAction, msgs []Message, progress BulkProgress) error {
	var order []string
	byFolder := map[string][]int64{}
	for _, m := range msgs {
		if _, ok := byFolder[m.Folder]; !ok {
			order = append(order, m.Folder)
		}
		byFolder[m.Folder] = append(byFolder[m.Folder], m.ID)
	}
	var errs []error
	var offline error
	done := 0
	for _, folder := range order {
		ids := byFolder[folder]
		for len(ids) > 0 {
			n := min(len(ids), bulkChunk)
			chunk := ids[:n]
			ids = ids[n:]
			queued, err := a.cache.QueueBulkAction(act, chunk)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", a.Name(), err))
				continue
			}
			u.Actions = append(u.Actions, queued.ID)
			if offline == nil {
				conflicts, err := a.replayLocked(ctx, queued.ID)
				for _, c := range conflicts {
					errs = append(errs, c)
				}
				if err != nil {
					offline = &PendingError{Action: queued, Err: err}
				}
			}
			done += n
			report(progress, done, len(msgs))
		}
	}
	if offline != nil {
		errs = append(errs, offline)
	}
	return errors.Join(errs...)
}

// replayLocked replays the queue up to the action fresh, holding the
// interactive lane.
func (a *Account) replayLocked(ctx context.Context, fresh int64) ([]*ConflictError, error) {
	a.lockFG()
	defer a.fg.mu.Unlock()
	return a.replayQueue(ctx, fresh)
}

// Undo reverses a bulk action: entries still queued are dropped (their
// local effect undone); what the server already did is reversed by the
// opposite action. A deletion from Trash and a copy already made cannot be
// undone.
func (a *Account) Undo(ctx context.Context, u BulkUndo, progress BulkProgress) error {
	if u.Account != a.Name() {
		return fmt.Errorf("undo: the action was on account %s, not %s", u.Account, a.Name())
	}
	done := 0
	if !a.caps.LocalIsRecord && len(u.Actions) > 0 {
		a.lockFG()
		for _, id := range u.Actions {
			act, err := a.cache.PendingAction(a.Name(), id)
			if errors.Is(err, cache.ErrNotFound) {
				continue // done on the server already
			}
			if err == nil {
				err = a.cache.DropAction(act)
			}
			if err != nil {
				a.fg.mu.Unlock()
				return err
			}
			done++
		}
		a.fg.mu.Unlock()
	}
	switch u.Kind {
	case cache.ActionFlag, cache.ActionUnflag:
		_, err := a.FlagMany(ctx, u.Changed, u.Flag, u.Kind != cache.ActionFlag, progress)
		return err
	case cache.ActionMove, cache.ActionDelete:
		back := map[string][]int64{}
		var order []string
		waiting, lost := 0, 0
		for id, from := range u.From {
			m, err := a.Message(id)
			if errors.Is(err, cache.ErrNotFound) {
				lost++ // a sync listed it again under a new id, or it was deleted
				continue
			}
			if err != nil || m.Folder != u.Dest {
				continue // moved back already
			}
			if cache.IsPlaceholderUID(m.UID) {
				waiting++
				continue
			}
			if _, ok := back[from]; !ok {
				order = append(order, from)
			}
			back[from] = append(back[from], id)
		}
		var errs []error
		for _, from := range order {
			if _, err := a.moveMany(ctx, back[from], from, cache.ActionMove, progress); err != nil {
				errs = append(errs, err)
			}
		}
		if lost > 0 {
			errs = append(errs, fmt.Errorf("undo: %s no longer as the action left them in %s (synced again or deleted since); move them back by hand", plural(lost, "message is", "messages are"), u.Dest))
		}
		if waiting > 0 {
			errs = append(errs, fmt.Errorf("undo: %s not settled in %s yet; sync, then move them back", plural(waiting, "message is", "messages are"), u.Dest))
		}
		if u.Expunged > 0 && done < len(u.Actions) {
			errs = append(errs, fmt.Errorf("undo: %s deleted from Trash cannot be brought back", plural(u.Expunged, "message", "messages")))
		}
		return errors.Join(errs...)
	case cache.ActionCopy, cache.ActionExpunge:
		if done < len(u.Actions) {
			return fmt.Errorf("undo: a %s already done on the server cannot be undone", u.Kind)
		}
	}
	return nil
}

// copyBulk copies a bulk action's members on the server: one COPY of
// their UID set, or without COPY each message fetched and appended. The
// interactive lane (a.fg) must be held.
func (a *Account) copyBulk(ctx context.Context, act PendingAction, uids []string) error {
	if c := a.fg.opt.copier; c != nil {
		return c.Copy(ctx, act.Folder, uids, act.Args.Dest)
	}
	ap := a.fg.opt.appender
	if ap == nil {
		return protocols.ErrUnsupported
	}
	for _, m := range act.Targets() {
		if err := a.appendCopy(ctx, ap, act.Folder, m.UID, act.Args.Dest, m.Flags, m.Date); err != nil {
			return err
		}
	}
	return nil
}

// describeBulk says what a bulk action of n messages does.
func describeBulk(p PendingAction, n int) string {
	switch p.Kind {
	case cache.ActionFlag:
		return fmt.Sprintf("flag +%s on %s of %s", p.Args.Flag, plural(n, "message", "messages"), p.Folder)
	case cache.ActionUnflag:
		return fmt.Sprintf("flag -%s on %s of %s", p.Args.Flag, plural(n, "message", "messages"), p.Folder)
	case cache.ActionMove, cache.ActionCopy, cache.ActionDelete:
		return fmt.Sprintf("%s %s of %s to %s", p.Kind, plural(n, "message", "messages"), p.Folder, p.Args.Dest)
	}
	return fmt.Sprintf("%s %s of %s", p.Kind, plural(n, "message", "messages"), p.Folder)
}

// lostMembers returns the part of a bulk action whose members' UIDs are
// in lost, for a conflict report.
func lostMembers(act PendingAction, lost map[string]bool) PendingAction {
	var ms []cache.ActionMember
	for _, m := range act.Args.Members {
		if lost[m.UID] {
			ms = append(ms, m)
		}
	}
	out := act
	out.Args.Members = ms
	if len(ms) == 1 {
		out.Args.Members = nil
		out.MessageID, out.UID = ms[0].MessageID, ms[0].UID
	}
	return out
}

// messages reads the account's messages by id, in order.
func (a *Account) messages(ids []int64) ([]Message, error) {
	out := make([]Message, 0, len(ids))
	for _, id := range ids {
		m, err := a.Message(id)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, nil
}

func isPending(err error) bool {
	var p *PendingError
	return errors.As(err, &p) && !errors.As(err, new(*ConflictError))
}

func report(p BulkProgress, done, total int) {
	if p != nil {
		p(done, total)
	}
}
