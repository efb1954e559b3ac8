package imap

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"mime"
	"net"
	"strings"
	"sync/atomic"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/charset"
	"github.com/emersion/go-sasl"

	"github.com/posta-mail/posta/protocols"
)

// dial connects, secures and logs in according to opts.Endpoint. handler,
// if not nil, receives unsolicited server data (used by Idle). busy is
// the counter of running calls that gives the connection's reads a
// deadline (see wire.go); dial counts itself in it until it returns.
func dial(ctx context.Context, opts Options, handler *imapclient.UnilateralDataHandler, busy *atomic.Int32) (*imapclient.Client, *wire, error) {
	ep := opts.Endpoint
	if ep.Security == protocols.SecurityNone && !ep.AllowPlainAuth {
		return nil, nil, fmt.Errorf("imap: %s: %w", ep.Addr(), protocols.ErrInsecure)
	}
	switch ep.Security {
	case protocols.SecurityTLS, protocols.SecurityStartTLS, protocols.SecurityNone:
	default:
		return nil, nil, fmt.Errorf("imap: %s: unknown security mode %q", ep.Addr(), ep.Security)
	}
	if busy == nil {
		busy = new(atomic.Int32)
	}
	busy.Add(1)
	defer busy.Add(-1)

	raw, err := dialTCP(ctx, opts)
	if err != nil {
		return nil, nil, fmt.Errorf("imap: dial %s: %w", ep.Addr(), err)
	}
	// Until login completes, a cancelled ctx must not block us: close the
	// socket on cancellation. The wire bounds every read and write.
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()

	c, w, err := open(ctx, raw, opts, handler, busy)
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
			return nil, nil, fmt.Errorf("imap: connect %s: %w", ep.Addr(), ctx.Err())
		}
		if w != nil {
			if werr := w.failure(); werr != nil {
				return nil, nil, fmt.Errorf("imap: connect: %w", werr)
			}
		}
		return nil, nil, err
	}
	return c, w, nil
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
// go-imap is given the wire above TLS, so that the wire sees the bytes
// it parses; STARTTLS is therefore done here, before go-imap starts.
func open(ctx context.Context, raw net.Conn, opts Options, handler *imapclient.UnilateralDataHandler, busy *atomic.Int32) (*imapclient.Client, *wire, error) {
	ep := opts.Endpoint
	copts := &imapclient.Options{
		TLSConfig:             ep.TLS(),
		UnilateralDataHandler: handler,
		WordDecoder:           newWordDecoder(),
	}
	timeout := ep.IOTimeout()
	var conn net.Conn = raw
	switch ep.Security {
	case protocols.SecurityTLS:
		cfg := ep.TLS()
		if cfg.NextProtos == nil {
			cfg.NextProtos = []string{"imap"}
		}
		tc, err := handshake(ctx, raw, cfg, timeout)
		if err != nil {
			return nil, nil, fmt.Errorf("imap: tls %s: %w", ep.Addr(), err)
		}
		conn = ep.Traced("imap", tc)
	case protocols.SecurityStartTLS:
		tc, err := startTLS(ctx, raw, ep, busy)
		if err != nil {
			return nil, nil, err
		}
		// go-imap waits for a greeting; the server sent it before TLS
		// (and the trace has it).
		traced := ep.Traced("imap", tc)
		conn = &prefixConn{Conn: traced, r: io.MultiReader(strings.NewReader("* OK TLS started (posta)\r\n"), traced)}
	default:
		conn = ep.Traced("imap", raw)
	}
	w := newWire(conn, ep.Addr(), timeout, busy)
	w.onAlert = opts.OnAlert
	if opts.maxUntagged > 0 {
		w.maxUntagged = opts.maxUntagged
	}
	c := imapclient.New(w, copts)
	if err := c.WaitGreeting(); err != nil {
		c.Close()
		if werr := w.failure(); werr != nil {
			err = werr
		}
		return nil, w, fmt.Errorf("imap: greeting from %s: %w", ep.Addr(), err)
	}
	return c, w, nil
}

// handshake runs a TLS client handshake on raw within timeout.
func handshake(ctx context.Context, raw net.Conn, cfg *tls.Config, timeout time.Duration) (*tls.Conn, error) {
	raw.SetDeadline(time.Now().Add(timeout))
	tc := tls.Client(raw, cfg)
	if err := tc.HandshakeContext(ctx); err != nil {
		return nil, err
	}
	raw.SetDeadline(time.Time{})
	return tc, nil
}

// startTLS reads the greeting, asks for STARTTLS and does the TLS
// handshake. A server that does not agree, greets with PREAUTH or sends
// anything after its OK (which a man in the middle could have injected)
// is refused before any credential is sent.
func startTLS(ctx context.Context, raw net.Conn, ep protocols.Endpoint, busy *atomic.Int32) (*tls.Conn, error) {
	w := newWire(ep.Traced("imap", raw), ep.Addr(), ep.IOTimeout(), busy)
	br := bufio.NewReader(w)
	fail := func(err error) (*tls.Conn, error) {
		if werr := w.failure(); werr != nil {
			err = werr
		}
		return nil, fmt.Errorf("imap: starttls %s: %w", ep.Addr(), err)
	}
	line, err := br.ReadString('\n')
	if err != nil {
		return fail(err)
	}
	greeting := strings.Fields(line)
	switch {
	case len(greeting) >= 2 && strings.EqualFold(greeting[1], "PREAUTH"):
		return fail(errors.New("server sent PREAUTH on an unencrypted connection"))
	case len(greeting) < 2 || greeting[0] != "*" || !strings.EqualFold(greeting[1], "OK"):
		return fail(fmt.Errorf("unexpected greeting %q", strings.TrimSpace(line)))
	}
	if _, err := io.WriteString(w, "P0 STARTTLS\r\n"); err != nil {
		return fail(err)
	}
	for {
		line, err = br.ReadString('\n')
		if err != nil {
			return fail(err)
		}
		if strings.HasPrefix(line, "* ") {
			continue // bounded by the wire: one response, each at most maxResponseBytes
		}
		if !strings.HasPrefix(line, "P0 ") {
			return fail(fmt.Errorf("unexpected answer %q", strings.TrimSpace(line)))
		}
		break
	}
	if status := strings.Fields(line); len(status) < 2 || !strings.EqualFold(status[1], "OK") {
		return fail(fmt.Errorf("server refused: %s", strings.TrimSpace(strings.TrimPrefix(line, "P0 "))))
	}
	if br.Buffered() > 0 {
		return fail(errors.New("server sent data after its STARTTLS answer, before TLS began"))
	}
	tc, err := handshake(ctx, raw, ep.TLS(), ep.IOTimeout())
	if err != nil {
		return fail(err)
	}
	return tc, nil
}

// prefixConn reads r (a prefix, then the connection) instead of Conn.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(p []byte) (int, error) { return c.r.Read(p) }

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
