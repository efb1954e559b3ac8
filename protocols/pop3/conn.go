package pop3

import (
	"bufio"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	gopop3 "github.com/knadh/go-pop3"

	"github.com/posta-mail/posta/protocols"
)

// errTooLarge aborts a download bigger than Options.MaxMessageBytes.
var errTooLarge = errors.New("pop3: message exceeds the size limit")

// timedConn gives every Read and Write a deadline, can cap how much one
// command may read, and remembers the first I/O error, which tells
// transport failures apart from -ERR replies.
type timedConn struct {
	net.Conn
	timeout time.Duration
	budget  int64 // bytes Read may still return; <0 means no limit
	ioErr   error
}

func (c *timedConn) Read(p []byte) (int, error) {
	if c.budget == 0 {
		c.ioErr = errTooLarge
		return 0, errTooLarge
	}
	if c.budget > 0 && int64(len(p)) > c.budget {
		p = p[:c.budget]
	}
	c.Conn.SetReadDeadline(time.Now().Add(c.timeout))
	n, err := c.Conn.Read(p)
	if c.budget > 0 {
		c.budget -= int64(n)
	}
	if err != nil && c.ioErr == nil {
		c.ioErr = err
	}
	return n, err
}

func (c *timedConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	n, err := c.Conn.Write(p)
	if err != nil && c.ioErr == nil {
		c.ioErr = err
	}
	return n, err
}

// replayConn returns prefix to the first Reads, then reads from Conn. It
// hands go-pop3 a synthetic greeting after STLS.
type replayConn struct {
	net.Conn
	prefix []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.prefix) > 0 {
		n := copy(p, c.prefix)
		c.prefix = c.prefix[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// session is one logged-in POP3 session.
type session struct {
	c    *gopop3.Conn
	tc   *timedConn
	w    *wire       // for the replies go-pop3 cannot stream (RETR, AUTH)
	stop func() bool // detaches the context watcher
	done bool
}

// dialer adapts the fetcher's context-aware dialing to go-pop3's Dialer.
type dialer struct {
	ctx context.Context
	f   *Fetcher
	tc  *timedConn
}

func (d *dialer) Dial(network, addr string) (net.Conn, error) {
	tc, err := d.f.dial(d.ctx, network, addr)
	if err != nil {
		return nil, err
	}
	d.tc = tc
	if d.f.opts.Endpoint.Security == protocols.SecurityStartTLS {
		return &replayConn{Conn: tc, prefix: []byte("+OK ready after STLS\r\n")}, nil
	}
	return tc, nil
}

func (f *Fetcher) dial(ctx context.Context, network, addr string) (*timedConn, error) {
	ep := f.opts.Endpoint
	timeout := ep.IOTimeout()
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var raw net.Conn
	var err error
	if f.opts.Dial != nil {
		raw, err = f.opts.Dial(dctx, network, addr)
	} else {
		raw, err = (&net.Dialer{}).DialContext(dctx, network, addr)
	}
	if err != nil {
		return nil, fmt.Errorf("pop3: dial %s: %w", addr, err)
	}
	tc := &timedConn{Conn: raw, timeout: timeout, budget: -1}
	switch ep.Security {
	case protocols.SecurityTLS:
		err = f.handshake(dctx, tc)
	case protocols.SecurityStartTLS:
		err = f.startTLS(dctx, tc)
	case protocols.SecurityNone:
	default:
		err = fmt.Errorf("pop3: unknown security %q", ep.Security)
	}
	if err != nil {
		raw.Close()
		return nil, err
	}
	return tc, nil
}

// handshake replaces tc's connection by a verified TLS client on it.
func (f *Fetcher) handshake(ctx context.Context, tc *timedConn) error {
	conn := tls.Client(tc.Conn, f.opts.Endpoint.TLS())
	if err := conn.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("pop3: TLS handshake: %w", err)
	}
	tc.Conn = conn
	return nil
}

// startTLS reads the greeting, checks CAPA for STLS, sends STLS and
// upgrades tc to TLS.
func (f *Fetcher) startTLS(ctx context.Context, tc *timedConn) error {
	r := bufio.NewReader(tc)
	line := func() (string, error) {
		l, err := r.ReadString('\n')
		if err != nil {
			return "", fmt.Errorf("pop3: STLS: %w", err)
		}
		return strings.TrimRight(l, "\r\n"), nil
	}
	send := func(cmd string) (string, error) {
		if _, err := io.WriteString(tc, cmd+"\r\n"); err != nil {
			return "", fmt.Errorf("pop3: STLS: %w", err)
		}
		return line()
	}
	if g, err := line(); err != nil || !strings.HasPrefix(g, "+OK") {
		return fmt.Errorf("pop3: bad greeting %q: %v", g, err)
	}
	resp, err := send("CAPA")
	if err != nil {
		return err
	}
	hasSTLS := false
	for ok := strings.HasPrefix(resp, "+OK"); ok; {
		l, err := line()
		if err != nil {
			return err
		}
		if l == "." {
			break
		}
		if strings.EqualFold(strings.TrimSpace(l), "STLS") {
			hasSTLS = true
		}
	}
	if !hasSTLS {
		return fmt.Errorf("pop3: server does not offer STLS: %w", protocols.ErrUnsupported)
	}
	if resp, err = send("STLS"); err != nil {
		return err
	}
	if !strings.HasPrefix(resp, "+OK") {
		return fmt.Errorf("pop3: STLS refused: %q", resp)
	}
	if r.Buffered() > 0 {
		return errors.New("pop3: server sent data before the TLS handshake")
	}
	return f.handshake(ctx, tc)
}

// open connects, logs in and returns the session.
func (f *Fetcher) open(ctx context.Context) (*session, error) {
	ep := f.opts.Endpoint
	if ep.Security == protocols.SecurityNone && !ep.AllowPlainAuth {
		return nil, fmt.Errorf("pop3: %s: %w", ep.Addr(), protocols.ErrInsecure)
	}
	switch strings.ToLower(ep.Auth) {
	case "", "plain", "login", "xoauth2", "oauthbearer":
	default:
		return nil, fmt.Errorf("pop3: auth %q: %w", ep.Auth, protocols.ErrUnsupported)
	}
	if ep.Password == nil {
		return nil, errors.New("pop3: no password source")
	}
	pass, err := ep.Password(ctx)
	if err != nil {
		return nil, fmt.Errorf("pop3: password: %w", err)
	}
	d := &dialer{ctx: ctx, f: f}
	c, err := gopop3.New(gopop3.Opt{Host: ep.Host, Port: ep.Port, Dialer: d}).NewConn()
	if err != nil {
		if d.tc != nil {
			d.tc.Close()
		}
		return nil, wrapErr("connect", err, nil)
	}
	tc := d.tc
	s := &session{c: c, tc: tc, w: newWire(tc), stop: context.AfterFunc(ctx, func() { tc.Conn.SetDeadline(time.Now()) })}
	if err := s.login(ep, pass); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

// wrapAuth turns a refused USER/PASS into protocols.ErrAuthFailed, unless
// the server said the maildrop is busy or the failure was the network.
func wrapAuth(err error, tc *timedConn) error {
	if tc.ioErr != nil {
		return wrapErr("login", err, tc)
	}
	msg := err.Error()
	for _, code := range []string{"[IN-USE]", "[LOGIN-DELAY]", "[SYS/"} {
		if strings.Contains(msg, code) {
			return fmt.Errorf("pop3: login refused: %s", msg)
		}
	}
	return fmt.Errorf("pop3: %s: %w", msg, protocols.ErrAuthFailed)
}

// wrapErr adds context, preferring the transport error when there is one.
func wrapErr(op string, err error, tc *timedConn) error {
	if tc != nil && tc.ioErr != nil && !errors.Is(err, tc.ioErr) {
		return fmt.Errorf("pop3: %s: %w (%v)", op, tc.ioErr, err)
	}
	return fmt.Errorf("pop3: %s: %w", op, err)
}

// quit ends the session with QUIT, which commits deletions.
func (s *session) quit() error {
	if s.done {
		return nil
	}
	s.done = true
	defer s.stop()
	if err := s.c.Quit(); err != nil {
		return wrapErr("quit", err, s.tc)
	}
	return nil
}

// abort drops the connection without QUIT: no deletion is applied.
func (s *session) abort() {
	if s.done {
		return
	}
	s.done = true
	s.stop()
	s.tc.Close()
}
