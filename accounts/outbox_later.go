package accounts

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/message"
)

// Send later and undo send. A message given a send time waits in the
// outbox like any other (saved durably first): nobody claims it before
// its time (cache.OutboxClaim checks it in the same UPDATE), then the
// first flush that runs after it — the reader's timer, a sync, cron's
// posta sync — sends it, once, whichever process that is. Taking it back
// (TakeBack) holds it in one UPDATE that fails if a sender claimed it
// already: either it is sent or it is taken back, never both.

// Schedule saves a composed message in the outbox to be sent at at (not
// before; a zero at means with the next flush). Nothing is sent now. from
// is the envelope sender, a bare address: the identity with that address
// chooses the SMTP server and the Sent folder when it is sent.
func (a *Account) Schedule(from string, to []string, raw []byte, at time.Time) (OutboxItem, error) {
	return a.ScheduleDraft(from, to, raw, nil, at)
}

// ScheduleDraft is Schedule keeping draft (the message as
// message.Draft.BuildDraft writes it, with its X-Posta-Crypto field)
// beside a signed or encrypted raw, whose own text cannot be edited back:
// TakeBackDraft then gives the draft, and the message is protected again
// when it is sent anew. A draft that asks for encryption is kept
// encrypted to the sender's own key (SealDraft), never in clear; it
// leaves the outbox with the message. nil keeps none.
func (a *Account) ScheduleDraft(from string, to []string, raw, draft []byte, at time.Time) (OutboxItem, error) {
	if len(to) == 0 {
		return OutboxItem{}, errors.New("send: no recipients")
	}
	if draft != nil {
		d, err := message.DraftFromMessage(draft)
		if err != nil {
			return OutboxItem{}, fmt.Errorf("send: keep the draft: %w", err)
		}
		// Encrypting to oneself needs no secret key: never a pinentry.
		if draft, err = a.SealDraft(draft, from, d.Encrypt, d.SMIME, true); err != nil {
			return OutboxItem{}, fmt.Errorf("send: keep the draft: %w", err)
		}
	}
	it, err := a.cache.OutboxAddDraft(a.Name(), from, to, raw, draft, at)
	if err != nil {
		return OutboxItem{}, fmt.Errorf("send: save to outbox: %w", err)
	}
	return it, nil
}

// TooLateError says a message could not be taken back from the outbox:
// it was sent already, or a posta process is sending it right now.
type TooLateError struct {
	ID   int64
	Sent bool // it left the outbox
	Err  error
}

func (e *TooLateError) Error() string {
	if e.Sent {
		return fmt.Sprintf("outbox %d: too late, it was sent", e.ID)
	}
	return fmt.Sprintf("outbox %d: too late, it is being sent (%v)", e.ID, e.Err)
}

func (e *TooLateError) Unwrap() error { return e.Err }

// TakeBack takes a message back from the outbox to edit it: it is held
// (no process sends it any more) and its raw text returned. The caller
// must then either DropTaken it, once the text is safe elsewhere (in a
// composer's draft file), or GiveBack it. The error is a *TooLateError
// when the message was sent or is being sent.
func (a *Account) TakeBack(id int64) (OutboxItem, []byte, error) {
	it, err := a.cache.OutboxHold(id)
	var claimed *cache.OutboxClaimedError
	switch {
	case errors.Is(err, cache.ErrNotFound):
		return OutboxItem{}, nil, &TooLateError{ID: id, Sent: true, Err: err}
	case errors.As(err, &claimed):
		return OutboxItem{}, nil, &TooLateError{ID: id, Err: err}
	case err != nil:
		return OutboxItem{}, nil, err
	}
	if it.Account != a.Name() {
		a.cache.OutboxUnhold(id)
		return OutboxItem{}, nil, fmt.Errorf("outbox %d belongs to account %s, not %s", id, it.Account, a.Name())
	}
	rc, err := a.cache.OutboxOpen(id)
	if err != nil {
		a.cache.OutboxUnhold(id)
		return OutboxItem{}, nil, err
	}
	defer rc.Close()
	raw, err := io.ReadAll(rc)
	if err != nil {
		a.cache.OutboxUnhold(id)
		return OutboxItem{}, nil, err
	}
	return it, raw, nil
}

// ErrProtected says a message taken back from the outbox is signed or
// encrypted: its text cannot be edited, only cancelled and written anew.
var ErrProtected = errors.New("it is signed or encrypted, so it cannot be edited: cancel it and write it anew")

// TakeBackDraft is TakeBack with the message turned back into a draft to
// edit: its headers, body and attachments, and as Bcc the recipients of
// the envelope that its To and Cc do not name (Bcc is not written in a
// sent message). A signed or encrypted message gives the draft kept
// beside it (ScheduleDraft), decrypted (noPinentry as for CryptoEngine);
// without one it is given back at once and the error wraps ErrProtected.
func (a *Account) TakeBackDraft(id int64, noPinentry bool) (OutboxItem, message.Draft, error) {
	it, raw, err := a.TakeBack(id)
	if err != nil {
		return OutboxItem{}, message.Draft{}, err
	}
	if protectedMessage(raw) {
		kept, err := a.cache.OutboxDraft(id)
		if err != nil {
			a.GiveBack(id)
			if errors.Is(err, cache.ErrNotFound) {
				err = ErrProtected
			}
			return OutboxItem{}, message.Draft{}, fmt.Errorf("outbox %d: %w", id, err)
		}
		if raw = a.OpenDraft(kept, noPinentry); protectedMessage(raw) {
			a.GiveBack(id)
			return OutboxItem{}, message.Draft{}, fmt.Errorf("outbox %d: its draft is kept encrypted and could not be decrypted (is your key unlocked in gpg-agent?)", id)
		}
	}
	d, err := message.DraftFromMessage(raw)
	if err != nil {
		a.GiveBack(id)
		return OutboxItem{}, message.Draft{}, fmt.Errorf("outbox %d: %w", id, err)
	}
	named := map[string]bool{}
	for _, r := range d.Recipients() {
		named[strings.ToLower(r)] = true
	}
	for _, r := range it.To {
		if !named[strings.ToLower(r)] {
			named[strings.ToLower(r)] = true
			d.Bcc = append(d.Bcc, r)
		}
	}
	return it, d, nil
}

// protectedMessage reports whether raw's top-level Content-Type is a
// signed or encrypted one (PGP/MIME or S/MIME).
func protectedMessage(raw []byte) bool {
	h, _ := message.ParseHeader(bytes.NewReader(raw))
	return h.Security != 0
}

// DropTaken removes a message taken back with TakeBack from the outbox.
func (a *Account) DropTaken(id int64) error { return a.cache.OutboxDone(id) }

// GiveBack returns a message taken back with TakeBack to the outbox,
// where it is sent when due.
func (a *Account) GiveBack(id int64) error { return a.cache.OutboxUnhold(id) }

// CancelOutbox removes a message from the outbox without sending it; the
// error is a *TooLateError when it was sent or is being sent.
func (a *Account) CancelOutbox(id int64) error {
	err := a.cache.OutboxCancel(id)
	var claimed *cache.OutboxClaimedError
	switch {
	case errors.Is(err, cache.ErrNotFound):
		return &TooLateError{ID: id, Sent: true, Err: err}
	case errors.As(err, &claimed):
		return &TooLateError{ID: id, Err: err}
	}
	return err
}

// Reschedule changes when a message of the outbox is sent (zero: with
// the next flush).
func (a *Account) Reschedule(id int64, at time.Time) error {
	err := a.cache.OutboxReschedule(id, at)
	var claimed *cache.OutboxClaimedError
	switch {
	case errors.Is(err, cache.ErrNotFound):
		return &TooLateError{ID: id, Sent: true, Err: err}
	case errors.As(err, &claimed):
		return &TooLateError{ID: id, Err: err}
	}
	return err
}

// OutboxItem returns one message of the outbox, with the account it
// belongs to; the error wraps cache.ErrNotFound when it is not there.
func (s *Set) OutboxItem(id int64) (*Account, OutboxItem, error) {
	it, err := s.cache.OutboxItem(id)
	if err != nil {
		return nil, OutboxItem{}, err
	}
	a, err := s.Get(it.Account)
	if err != nil || it.Account == "" {
		return nil, it, fmt.Errorf("outbox %d: %w", id, err)
	}
	return a, it, nil
}
