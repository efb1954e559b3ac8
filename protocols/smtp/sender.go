// Package smtp implements protocols.Sender with
// github.com/emersion/go-smtp.
//
// Every Send opens a connection, secures it (implicit TLS or STARTTLS,
// always with certificate verification), says EHLO, authenticates with
// the endpoint's SASL mechanism (PLAIN, LOGIN, XOAUTH2 or OAUTHBEARER),
// submits the message and quits. The package-level smtp.SendMail helpers
// are deliberately not used: they hide certificate errors.
//
// With protocols.SecurityNone and a username, the Sender refuses to
// authenticate (protocols.ErrInsecure) unless the endpoint sets
// AllowPlainAuth; the refusal happens before anything is sent.
package smtp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/protocols"
)

// Options configures a Sender.
type Options struct {
	Endpoint protocols.Endpoint
	// LocalName is the name given in EHLO; "" means "localhost".
	LocalName string
	// Dial opens the TCP connection; nil means a net.Dialer bounded by
	// Endpoint.IOTimeout. TLS is layered on top by the Sender.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// DataTimeout bounds the wait for the server's reply to the end of
	// the message; 0 means ten minutes (RFC 5321 §4.5.3.2.6), and it is
	// never shorter than the endpoint's I/O timeout.
	DataTimeout time.Duration
}

func (o Options) dataTimeout() time.Duration {
	if o.DataTimeout <= 0 {
		return 10 * time.Minute
	}
	return o.DataTimeout
}

// Sender is an SMTP protocols.Sender. It holds no connection between
// calls, so it may be used from several goroutines.
type Sender struct {
	opts Options
}

var _ protocols.Sender = (*Sender)(nil)

// New returns a Sender for opts. It does not connect.
func New(opts Options) *Sender {
	if opts.LocalName == "" {
		opts.LocalName = "localhost"
	}
	return &Sender{opts: opts}
}

// RecipientError reports recipients the server refused. Err is the
// server's reply, usually an *smtp.SMTPError.
type RecipientError struct {
	Addr string
	Err  error
}

func (e *RecipientError) Error() string {
	return fmt.Sprintf("recipient %s refused: %v", e.Addr, e.Err)
}

func (e *RecipientError) Unwrap() error { return e.Err }

// Send submits the message r from the envelope sender to the
// recipients. Line endings are normalised to CRLF while streaming. If
// the server refuses any recipient, nothing is sent and the error names
// every refused address (each a *RecipientError).
func (s *Sender) Send(ctx context.Context, from string, to []string, r io.Reader) error {
	if len(to) == 0 {
		return errors.New("smtp: send: no recipients")
	}
	return s.session(ctx, func(c *smtp.Client, d *deadlineConn) error {
		return submit(c, d, s.opts.dataTimeout(), from, to, r)
	})
}

// Check connects, secures the connection, says EHLO, authenticates and
// quits, reporting the first problem (for `posta config check`).
func (s *Sender) Check(ctx context.Context) error {
	return s.session(ctx, func(*smtp.Client, *deadlineConn) error { return nil })
}

func submit(c *smtp.Client, d *deadlineConn, dataTimeout time.Duration, from string, to []string, r io.Reader) error {
	var mailOpts *smtp.MailOptions
	if !isASCII(from) || !isASCII(strings.Join(to, "")) {
		mailOpts = &smtp.MailOptions{UTF8: true}
	}
	if err := c.Mail(from, mailOpts); err != nil {
		return fmt.Errorf("smtp: sender %s refused: %w", from, err)
	}
	var refused []error
	for _, addr := range to {
		if err := c.Rcpt(addr, nil); err != nil {
			var serr *smtp.SMTPError
			if !errors.As(err, &serr) {
				return fmt.Errorf("smtp: rcpt %s: %w", addr, err) // connection trouble
			}
			refused = append(refused, &RecipientError{Addr: addr, Err: err})
		}
	}
	if len(refused) > 0 {
		c.Reset()
		return fmt.Errorf("smtp: %w", errors.Join(refused...))
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("smtp: data: %w", err)
	}
	cw := &crlfWriter{w: w}
	if _, err := io.Copy(cw, r); err != nil {
		w.Close()
		return fmt.Errorf("smtp: sending message: %w", err)
	}
	if err := cw.Flush(); err != nil {
		return fmt.Errorf("smtp: sending message: %w", err)
	}
	d.awaitSlowReply(dataTimeout)
	if err := w.Close(); err != nil {
		var serr *smtp.SMTPError
		if !errors.As(err, &serr) {
			// No answer: the server may or may not have taken it.
			return fmt.Errorf("smtp: waiting for the server to accept the message: %w", err)
		}
		return fmt.Errorf("smtp: message refused: %w", err)
	}
	return nil
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
