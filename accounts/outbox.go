package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	gosmtp "github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/protocols"
)

// The outbox: every message is saved (fsynced) before SMTP starts, and
// leaves the outbox only once the server accepted it. A failed attempt is
// retried by the next sync, then with growing backoff (outboxBackoff); a
// permanent refusal (a 5xx reply other than an authentication problem) is
// kept with its error but retried only on request (RetryOutbox with all).

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
// good: a 5xx reply to MAIL, RCPT or DATA (for example an unknown
// recipient). Authentication failures are not permanent: fixing the
// password makes the next attempt work.
func permanentSendError(err error) bool {
	if err == nil || errors.Is(err, protocols.ErrAuthFailed) {
		return false
	}
	permanent := false
	walkErrors(err, func(e error) {
		var serr *gosmtp.SMTPError
		if se, ok := e.(*gosmtp.SMTPError); ok {
			serr = se
		}
		if serr == nil || serr.Code < 500 {
			return
		}
		switch serr.Code {
		case 530, 534, 535, 538: // authentication required / failed
			return
		}
		permanent = true
	})
	return permanent
}

// walkErrors calls fn on err and everything it wraps, joined errors too.
func walkErrors(err error, fn func(error)) {
	for depth := 0; err != nil && depth < 100; depth++ {
		fn(err)
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walkErrors(e, fn)
			}
			return
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return
		}
	}
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
// left alone. It returns how many the server accepted. Sync calls it.
func (a *Account) FlushOutbox(ctx context.Context) (int, error) {
	return a.flushOutbox(ctx, func(it cache.OutboxItem) bool {
		return !it.Permanent && !time.Now().Before(it.NextAttempt)
	})
}

// RetryOutbox sends the account's outbox now, ignoring backoff (`posta
// outbox flush`); with all, permanently refused messages are retried too.
// It returns how many the server accepted; the error joins every failure.
func (a *Account) RetryOutbox(ctx context.Context, all bool) (int, error) {
	return a.flushOutbox(ctx, func(it cache.OutboxItem) bool { return all || !it.Permanent })
}

func (a *Account) flushOutbox(ctx context.Context, due func(cache.OutboxItem) bool) (int, error) {
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
		err := a.sendItem(ctx, it)
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

// sendItem submits one outbox item. Once the server accepted it, the
// item is removed from the outbox before anything else happens (so a
// crash afterwards cannot send it again), then the Sent copy is filed.
func (a *Account) sendItem(ctx context.Context, it cache.OutboxItem) error {
	rc, err := a.cache.OutboxOpen(it.ID)
	if err != nil {
		return err
	}
	raw, err := io.ReadAll(rc)
	rc.Close()
	if err != nil {
		return err
	}
	a.sendMu.Lock()
	err = retryRefusedToken(a.outToken, func() error {
		return a.sender.Send(ctx, it.From, it.To, bytes.NewReader(raw))
	})
	a.sendMu.Unlock()
	if err != nil {
		err = explain(a.Name(), "smtp", a.cfg.SMTP, err)
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
	if err := a.keepSent(ctx, raw); err != nil {
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
