package smtp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/protocols"
)

// session connects, secures, greets and authenticates, runs fn and quits.
// Cancelling ctx closes the connection; every read and write is bounded
// by the endpoint's timeout.
func (s *Sender) session(ctx context.Context, fn func(*smtp.Client, *deadlineConn) error) error {
	ep := s.opts.Endpoint
	switch ep.Security {
	case protocols.SecurityTLS, protocols.SecurityStartTLS:
	case protocols.SecurityNone:
		if ep.Username != "" && !ep.AllowPlainAuth {
			return fmt.Errorf("smtp: %s: %w", ep.Addr(), protocols.ErrInsecure)
		}
	default:
		return fmt.Errorf("smtp: %s: unknown security mode %q", ep.Addr(), ep.Security)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	raw, err := s.dial(ctx)
	if err != nil {
		return fmt.Errorf("smtp: dial %s: %w", ep.Addr(), err)
	}
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()

	d := &deadlineConn{Conn: raw, addr: ep.Addr(), timeout: ep.IOTimeout()}
	err = s.run(ctx, d, func(c *smtp.Client) error { return fn(c, d) })
	raw.Close()
	if err != nil && ctx.Err() != nil {
		return fmt.Errorf("smtp: %s: %w", ep.Addr(), ctx.Err())
	}
	return err
}

func (s *Sender) dial(ctx context.Context) (net.Conn, error) {
	ep := s.opts.Endpoint
	dctx, cancel := context.WithTimeout(ctx, ep.IOTimeout())
	defer cancel()
	if s.opts.Dial != nil {
		return s.opts.Dial(dctx, "tcp", ep.Addr())
	}
	d := net.Dialer{Timeout: ep.IOTimeout()}
	return d.DialContext(dctx, "tcp", ep.Addr())
}

func (s *Sender) run(ctx context.Context, conn net.Conn, fn func(*smtp.Client) error) error {
	c, err := s.open(ctx, conn)
	if err != nil {
		return err
	}
	defer c.Close()
	if err := authenticate(ctx, c, s.opts.Endpoint); err != nil {
		return err
	}
	if err := fn(c); err != nil {
		return err
	}
	// The server has accepted everything; a failing QUIT changes nothing.
	c.Quit()
	return nil
}

// open secures conn as the endpoint asks and says EHLO, so that TLS and
// certificate errors surface here.
func (s *Sender) open(ctx context.Context, conn net.Conn) (*smtp.Client, error) {
	ep := s.opts.Endpoint
	var c *smtp.Client
	switch ep.Security {
	case protocols.SecurityTLS:
		tc := tls.Client(conn, ep.TLS())
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("smtp: tls %s: %w", ep.Addr(), err)
		}
		c = smtp.NewClient(ep.Traced("smtp", tc))
	case protocols.SecurityStartTLS:
		// The EHLO before STARTTLS uses go-smtp's default "localhost".
		var err error
		if ep.Tracer != nil {
			c, err = startTLSTraced(ctx, conn, ep)
			if err != nil {
				return nil, err
			}
			break
		}
		c, err = smtp.NewClientStartTLS(conn, ep.TLS())
		if err != nil {
			return nil, fmt.Errorf("smtp: starttls %s: %w", ep.Addr(), err)
		}
	default:
		c = smtp.NewClient(ep.Traced("smtp", conn))
	}
	c.CommandTimeout = ep.IOTimeout()
	if err := c.Hello(s.opts.LocalName); err != nil {
		c.Close()
		return nil, fmt.Errorf("smtp: hello %s: %w", ep.Addr(), err)
	}
	return c, nil
}

// authenticate logs in when the endpoint has a username. A 535 reply
// wraps protocols.ErrAuthFailed and keeps the *smtp.SMTPError reachable.
func authenticate(ctx context.Context, c *smtp.Client, ep protocols.Endpoint) error {
	if ep.Username == "" {
		return nil
	}
	ok, offered := c.Extension("AUTH")
	if !ok {
		return fmt.Errorf("smtp: %s offers no AUTH, but a username is configured: %w", ep.Addr(), protocols.ErrUnsupported)
	}
	if ep.Password == nil {
		return fmt.Errorf("smtp: login %s: no password source", ep.Addr())
	}
	secret, err := ep.Password(ctx)
	if err != nil {
		return fmt.Errorf("smtp: login %s: password: %w", ep.Addr(), err)
	}
	mech, client, err := saslClient(ep, secret)
	if err != nil {
		return err
	}
	if !c.SupportsAuth(mech) {
		return fmt.Errorf("smtp: %s does not offer AUTH %s (offers %s): %w", ep.Addr(), mech, offered, protocols.ErrUnsupported)
	}
	if err := c.Auth(client); err != nil {
		var serr *smtp.SMTPError
		if errors.As(err, &serr) && serr.Code == 535 {
			return fmt.Errorf("smtp: login %s as %s: %w: %w", ep.Addr(), ep.Username, protocols.ErrAuthFailed, err)
		}
		return fmt.Errorf("smtp: login %s as %s: %w", ep.Addr(), ep.Username, err)
	}
	return nil
}

func saslClient(ep protocols.Endpoint, secret string) (string, sasl.Client, error) {
	switch strings.ToLower(ep.Auth) {
	case "", "plain":
		return sasl.Plain, sasl.NewPlainClient("", ep.Username, secret), nil
	case "login":
		return sasl.Login, sasl.NewLoginClient(ep.Username, secret), nil
	case "xoauth2":
		return "XOAUTH2", protocols.NewXOAuth2Client(ep.Username, secret), nil
	case "oauthbearer":
		return sasl.OAuthBearer, sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
			Username: ep.Username, Token: secret, Host: ep.Host, Port: ep.Port,
		}), nil
	}
	return "", nil, fmt.Errorf("smtp: unknown auth mechanism %q: %w", ep.Auth, protocols.ErrUnsupported)
}

// maxReplyBytes bounds everything a server may send in one session:
// SMTP replies are a few lines each, and go-smtp keeps every line of a
// multi-line reply.
const maxReplyBytes = 1 << 20

// deadlineConn bounds every read and write by timeout, and what the
// server sends in all by maxReplyBytes (counted under TLS, so TLS's own
// records count too).
type deadlineConn struct {
	net.Conn
	addr    string
	timeout time.Duration
	read    int64
	// patience, when longer than timeout, bounds the reads until the
	// next reply arrives instead (the reply to the end of DATA).
	patience time.Duration
}

// awaitSlowReply gives the next reply up to d (RFC 5321 §4.5.3.2.6: the
// reply to the end of the message data may take ten minutes, while the
// server checks the message; giving up sooner leaves the message in the
// outbox to be sent again, and delivered twice).
func (d *deadlineConn) awaitSlowReply(wait time.Duration) { d.patience = wait }

// connError is a silent or flooding server, named.
type connError struct {
	addr, what string
	err        error
}

func (e *connError) Error() string { return fmt.Sprintf("smtp server %s %s", e.addr, e.what) }
func (e *connError) Unwrap() error { return e.err }

func (d *deadlineConn) Read(p []byte) (int, error) {
	if d.read > maxReplyBytes {
		return 0, &connError{addr: d.addr, what: fmt.Sprintf("sent more than %d KiB of replies", maxReplyBytes>>10)}
	}
	timeout := max(d.timeout, d.patience)
	d.Conn.SetReadDeadline(time.Now().Add(timeout))
	n, err := d.Conn.Read(p)
	d.read += int64(n)
	if n > 0 {
		d.patience = 0
	}
	if err != nil && timeout != d.timeout {
		return n, (&deadlineConn{addr: d.addr, timeout: timeout}).named(err, "sent nothing")
	}
	return n, d.named(err, "sent nothing")
}

func (d *deadlineConn) Write(p []byte) (int, error) {
	d.Conn.SetWriteDeadline(time.Now().Add(d.timeout))
	n, err := d.Conn.Write(p)
	return n, d.named(err, "took nothing")
}

// named turns a timeout into an error naming the server.
func (d *deadlineConn) named(err error, what string) error {
	var ne net.Error
	if err != nil && errors.As(err, &ne) && ne.Timeout() {
		return &connError{addr: d.addr, what: fmt.Sprintf("%s for %s (timed out)", what, d.timeout), err: os.ErrDeadlineExceeded}
	}
	return err
}
