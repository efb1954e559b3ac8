package imap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"mime"
	"net"
	"strings"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-sasl"

	"github.com/posta-mail/posta/protocols"
)

// dial connects, secures and logs in according to opts.Endpoint. handler,
// if not nil, receives unsolicited server data (used by Idle).
func dial(ctx context.Context, opts Options, handler *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	ep := opts.Endpoint
	if ep.Security == protocols.SecurityNone && !ep.AllowPlainAuth {
		return nil, fmt.Errorf("imap: %s: %w", ep.Addr(), protocols.ErrInsecure)
	}
	switch ep.Security {
	case protocols.SecurityTLS, protocols.SecurityStartTLS, protocols.SecurityNone:
	default:
		return nil, fmt.Errorf("imap: %s: unknown security mode %q", ep.Addr(), ep.Security)
	}

	raw, err := dialTCP(ctx, opts)
	if err != nil {
		return nil, fmt.Errorf("imap: dial %s: %w", ep.Addr(), err)
	}
	// Until login completes, a cancelled ctx or a silent server must not
	// block us: close the socket on cancellation and bound the handshake.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	raw.SetDeadline(time.Now().Add(ep.IOTimeout()))

	c, err := open(ctx, raw, ep, handler)
	if err == nil {
		err = login(ctx, c, ep)
		if err != nil {
			c.Close()
		}
	} else {
		raw.Close()
	}
	if err != nil {
		if ctx.Err() != nil {
			return nil, fmt.Errorf("imap: connect %s: %w", ep.Addr(), ctx.Err())
		}
		return nil, err
	}
	// imapclient manages its own per-command deadlines from here on.
	raw.SetDeadline(time.Time{})
	return c, nil
}

func dialTCP(ctx context.Context, opts Options) (net.Conn, error) {
	ep := opts.Endpoint
	dctx, cancel := context.WithTimeout(ctx, ep.IOTimeout())
	defer cancel()
	if opts.Dial != nil {
		return opts.Dial(dctx, "tcp", ep.Addr())
	}
	d := net.Dialer{Timeout: ep.IOTimeout()}
	return d.DialContext(dctx, "tcp", ep.Addr())
}

// open wraps raw in TLS as the endpoint asks and waits for the greeting.
func open(ctx context.Context, raw net.Conn, ep protocols.Endpoint, handler *imapclient.UnilateralDataHandler) (*imapclient.Client, error) {
	copts := &imapclient.Options{
		TLSConfig:             ep.TLS(),
		UnilateralDataHandler: handler,
		WordDecoder:           newWordDecoder(),
	}
	var c *imapclient.Client
	switch ep.Security {
	case protocols.SecurityTLS:
		cfg := ep.TLS()
		if cfg.NextProtos == nil {
			cfg.NextProtos = []string{"imap"}
		}
		tc := tls.Client(raw, cfg)
		if err := tc.HandshakeContext(ctx); err != nil {
			return nil, fmt.Errorf("imap: tls %s: %w", ep.Addr(), err)
		}
		c = imapclient.New(tc, copts)
	case protocols.SecurityStartTLS:
		var err error
		c, err = imapclient.NewStartTLS(raw, copts)
		if err != nil {
			return nil, fmt.Errorf("imap: starttls %s: %w", ep.Addr(), err)
		}
	default:
		c = imapclient.New(raw, copts)
	}
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		return nil, fmt.Errorf("imap: greeting from %s: %w", ep.Addr(), err)
	}
	return c, nil
}

// login authenticates with the endpoint's mechanism. A server refusal
// wraps protocols.ErrAuthFailed.
func login(ctx context.Context, c *imapclient.Client, ep protocols.Endpoint) error {
	if c.State() == imap.ConnStateAuthenticated {
		return nil // PREAUTH (never accepted after STARTTLS by imapclient)
	}
	if ep.Password == nil {
		return fmt.Errorf("imap: login %s: no password source", ep.Addr())
	}
	secret, err := ep.Password(ctx)
	if err != nil {
		return fmt.Errorf("imap: login %s: password: %w", ep.Addr(), err)
	}
	caps := c.Caps()
	switch strings.ToLower(ep.Auth) {
	case "", "plain":
		if caps.Has(imap.CapLoginDisabled) {
			err = c.Authenticate(sasl.NewPlainClient("", ep.Username, secret))
		} else {
			err = c.Login(ep.Username, secret).Wait()
		}
	case "login":
		err = c.Login(ep.Username, secret).Wait()
	case "xoauth2":
		err = c.Authenticate(protocols.NewXOAuth2Client(ep.Username, secret))
	case "oauthbearer":
		err = c.Authenticate(sasl.NewOAuthBearerClient(&sasl.OAuthBearerOptions{
			Username: ep.Username, Token: secret, Host: ep.Host, Port: ep.Port,
		}))
	default:
		return fmt.Errorf("imap: login %s: unknown auth mechanism %q", ep.Addr(), ep.Auth)
	}
	if err != nil {
		var ierr *imap.Error
		if errors.As(err, &ierr) && ierr.Type == imap.StatusResponseTypeNo {
			return fmt.Errorf("imap: login %s as %s: %w: %s", ep.Addr(), ep.Username, protocols.ErrAuthFailed, ierr.Text)
		}
		return fmt.Errorf("imap: login %s as %s: %w", ep.Addr(), ep.Username, err)
	}
	return nil
}

// newWordDecoder decodes RFC 2047 words in any charset go-message knows,
// not only the UTF-8 and ISO-8859-1 of the standard library.
func newWordDecoder() *mime.WordDecoder {
	return &mime.WordDecoder{CharsetReader: charset.Reader}
}
