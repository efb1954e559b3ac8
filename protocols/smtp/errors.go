package smtp

import (
	"errors"

	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/protocols"
)

// Permanent reports whether err, from Sender.Send, means the server
// refused the message for good: a 5xx reply to MAIL, RCPT or DATA (for
// example an unknown recipient), anywhere in err's chain, joined errors
// included. Sending it again unchanged would fail the same way.
// Authentication failures (protocols.ErrAuthFailed, replies 530, 534,
// 535 and 538) are not permanent: fixing the password or the token makes
// the next attempt work. Neither are 4xx replies and network errors.
func Permanent(err error) bool {
	if err == nil || errors.Is(err, protocols.ErrAuthFailed) {
		return false
	}
	permanent := false
	walk(err, func(e error) {
		serr, ok := e.(*smtp.SMTPError)
		if !ok || serr.Code < 500 {
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

// walk calls fn on err and everything it wraps, joined errors too.
func walk(err error, fn func(error)) {
	for depth := 0; err != nil && depth < 100; depth++ {
		fn(err)
		switch u := err.(type) {
		case interface{ Unwrap() []error }:
			for _, e := range u.Unwrap() {
				walk(e, fn)
			}
			return
		case interface{ Unwrap() error }:
			err = u.Unwrap()
		default:
			return
		}
	}
}
