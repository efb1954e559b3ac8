package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/protocols/smtp"
)

// The outbox: every message is saved (fsynced) before SMTP starts, and
// leaves the outbox only once the server accepted it. A failed attempt is
// retried by the next sync, then with growing backoff (outboxBackoff); a
// permanent refusal (a 5xx reply other than an authentication problem) is
// kept with its error but retried only on request (RetryOutbox with all).
//
// Several posta processes may send from one outbox (the reader, cron's
// posta sync, posta outbox flush), and one process may flush while it
// sends: a message is claimed (cache.OutboxClaim) before SMTP starts, so
// only one sender submits it. A message claimed by another sender is
// skipped (OutboxBusyError). A claim runs out after cache.OutboxClaimTTL
// and is void at once if its process is gone, so a crashed sender's
// messages are sent by the next flush.

// outboxBackoff is how long automatic retries wait after the attempts-th
// failure: the first failure is retried by the next sync, later ones wait
// 1, 2, 4, ... minutes, at most an hour.
func outboxBackoff(attempts int) time.Duration {
	if attempts <= 1 {
		return 0
	}
	d := time.Minute << min(attempts-2, 6)
	return min(d, time.Hour)
}

// permanentSendError reports whether the server refused the message for
// good (smtp.Permanent): a 5xx reply to MAIL, RCPT or DATA, not an
// authentication failure.
func permanentSendError(err error) bool { return smtp.Permanent(err) }

// OutboxBusyError says an outbox message was skipped, not sent, because
// another posta process (or another send of this one, Self) is sending
// it right now.
type OutboxBusyError struct {
	ID   int64
	PID  int
	Self bool
}

func (e *OutboxBusyError) Error() string {
	if e.Self {
		return fmt.Sprintf("outbox %d: already being sent; skipped", e.ID)
	}
	return fmt.Sprintf("outbox %d: being sent by another posta process (pid %d); skipped", e.ID, e.PID)
}

// claim claims an outbox item for this process; a claim held by another
// sender becomes an *OutboxBusyError.
func (a *Account) claim(id int64) (cache.OutboxItem, error) {
	it, err := a.cache.OutboxClaim(id, cache.OutboxClaimTTL)
	var claimed *cache.OutboxClaimedError
	if errors.As(err, &claimed) {
		return it, &OutboxBusyError{ID: id, PID: claimed.PID, Self: claimed.Self}
	}
	return it, err
}

// Send saves a composed message in the outbox, then submits it. If the
// server does not accept it now, it stays in the outbox, the next sync
// retries, and the error is a *QueuedError; if the server refuses it for
// good (unknown recipient, ...), it stays in the outbox with the error,
// is not retried automatically, and the error is a *RejectedError. from
// is the envelope sender, a bare address.
func (a *Account) Send(ctx context.Context, from string, to []string, raw []byte) error {
	if len(to) == 0 {
		return errors.New("send: no recipients")
	}
	item, err := a.cache.OutboxAdd(a.Name(), from, to, raw)
	if err != nil {
		return fmt.Errorf("send: save to outbox: %w", err)
	}
	// A flush (of this process or another) may have claimed it already.
	if item, err = a.claim(item.ID); err != nil {
		var busy *OutboxBusyError
		switch {
		case errors.As(err, &busy) && busy.Self:
			return &QueuedError{Err: errors.New("this posta process is already sending it")}
		case errors.As(err, &busy):
			return &QueuedError{Err: fmt.Errorf("another posta process (pid %d) is sending it", busy.PID)}
		}
		return &QueuedError{Err: err}
	}
	err = a.sendItem(ctx, item)
	var copyErr *SentCopyError
	var rejected *RejectedError
	if err != nil && !errors.As(err, &copyErr) && !errors.As(err, &rejected) {
		return &QueuedError{Err: err}
	}
	return err
}

// FlushOutbox sends the messages of the account's outbox that are due:
// permanently refused ones and those whose backoff has not elapsed are
// left alone, and so are those another posta process is sending (not an
// error here: that process reports on them). It returns how many the
// server accepted. Sync calls it.
func (a *Account) FlushOutbox(ctx context.Context) (int, error) {
	return a.flushOutbox(ctx, false, func(it cache.OutboxItem) bool {
		return !it.Permanent && it.Due(time.Now())
	})
}

// RetryOutbox sends the account's outbox now, ignoring backoff (`posta
// outbox flush`); with all, permanently refused messages are retried too.
// Scheduled messages wait for their time, and held ones are left alone.
// It returns how many the server accepted; the error joins every failure.
func (a *Account) RetryOutbox(ctx context.Context, all bool) (int, error) {
	return a.flushOutbox(ctx, true, func(it cache.OutboxItem) bool {
		return (all || !it.Permanent) && !it.Held && !time.Now().Before(it.SendAt)
	})
}

// flushOutbox sends the due items. Each is claimed first and checked
// again as it is then (another process may have sent it or recorded a
// failure meanwhile); one that another sender holds is skipped with an
// *OutboxBusyError among the errors when reportBusy is set, one that
// left the outbox silently.
func (a *Account) flushOutbox(ctx context.Context, reportBusy bool, due func(cache.OutboxItem) bool) (int, error) {
	items, err := a.cache.Outbox(a.Name())
	if err != nil {
		return 0, err
	}
	sent := 0
	var errs []error
	for _, it := range items {
		if !due(it) {
			continue
		}
		it, err := a.claim(it.ID)
		var notDue *cache.OutboxNotDueError
		if errors.Is(err, cache.ErrNotFound) || errors.As(err, &notDue) {
			continue // sent by another process meanwhile, or taken back
		}
		var busy *OutboxBusyError
		if errors.As(err, &busy) && !reportBusy {
			continue
		}
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if !due(it) {
			if err := a.cache.OutboxRelease(it.ID); err != nil {
				errs = append(errs, fmt.Errorf("outbox %d: %w", it.ID, err))
			}
			continue
		}
		err = a.sendItem(ctx, it)
		var copyErr *SentCopyError
		if err != nil {
			errs = append(errs, fmt.Errorf("outbox %d: %w", it.ID, err))
		}
		if err == nil || errors.As(err, &copyErr) {
			sent++
		}
	}
	return sent, errors.Join(errs...)
}

// sendItem submits one outbox item, which this process claimed. Once the
// server accepted it, the item is removed from the outbox before anything
// else happens (so a crash afterwards cannot send it again), then the
// Sent copy is filed. A failure records the attempt and releases the
// claim.
func (a *Account) sendItem(ctx context.Context, it cache.OutboxItem) error {
	rc, err := a.cache.OutboxOpen(it.ID)
	if err != nil {
		a.cache.OutboxRelease(it.ID)
		return err
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		a.cache.OutboxRelease(it.ID)
		return err
	}
	sender, server, token := a.senderFor(it.From)
	a.sendMu.Lock()
	err = retryRefusedToken(token, func() error {
		return sender.Send(ctx, it.From, it.To, bytes.NewReader(raw))
	})
	a.sendMu.Unlock()
	if err != nil {
		err = explain(a.Name(), "smtp", server, err)
		permanent := permanentSendError(err)
		next := time.Now().Add(outboxBackoff(it.Attempts + 1))
		_ = a.cache.OutboxRetryLater(it.ID, err, next, permanent)
		if permanent {
			return &RejectedError{Err: err}
		}
		return err
	}
	if err := a.cache.OutboxDone(it.ID); err != nil {
		return err
	}
	if err := a.keepSent(ctx, a.identityFor(it.From), raw); err != nil {
		return &SentCopyError{Err: err}
	}
	return nil
}

// RejectedError means the server refused a message for good (a 5xx
// reply, such as an unknown recipient). The message stays in the outbox
// with the error but is not retried automatically.
type RejectedError struct{ Err error }

func (e *RejectedError) Error() string {
	return "send: refused by the server: " + e.Err.Error() +
		" (kept in the outbox, not retried; fix it and run \"posta outbox flush --all\")"
}

func (e *RejectedError) Unwrap() error { return e.Err }
