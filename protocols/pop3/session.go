package pop3

import (
	"context"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"
	"time"

	gopop3 "github.com/knadh/go-pop3"

	"github.com/posta-mail/posta/protocols"
)

// session is one logged-in POP3 session.
type session struct {
	c          *conn
	pop        *gopop3.Conn // lock-step USER, PASS and QUIT, read through c (gate)
	caps       capabilities // after STLS, if any
	pipelining bool         // RFC 2449 PIPELINING: commands may be sent ahead
	utf8       bool         // RFC 6856 UTF8 was accepted
	stop       func() bool  // detaches the context watcher
	done       bool
}

// open connects, reads the greeting and the capabilities, upgrades with
// STLS, sends UTF8 when offered, logs in and returns the session.
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
	tc, err := f.dial(ctx, ep.Addr())
	if err != nil {
		return nil, err
	}
	c := newConn(tc, ep.Addr())
	s := &session{c: c, stop: context.AfterFunc(ctx, func() { tc.Conn.SetDeadline(time.Now()) })}
	if err := s.start(ctx, f); err != nil {
		s.abort()
		return nil, err
	}
	if err := s.login(ep, pass); err != nil {
		s.abort()
		return nil, err
	}
	return s, nil
}

// start runs the AUTHORIZATION steps before the login itself.
func (s *session) start(ctx context.Context, f *Fetcher) error {
	c := s.c
	if _, err := c.status(); err != nil {
		return c.wrap("greeting", err)
	}
	caps, err := c.capa()
	if err != nil {
		return c.wrap("CAPA", err)
	}
	if f.opts.Endpoint.Security == protocols.SecurityStartTLS {
		if err := f.startTLS(ctx, c, caps); err != nil {
			return err
		}
		// RFC 2595: the capabilities may differ over TLS.
		if caps, err = c.capa(); err != nil {
			return c.wrap("CAPA", err)
		}
	}
	s.caps = caps
	f.caps = f.caps[:0]
	for name := range caps {
		f.caps = append(f.caps, name)
	}
	slices.Sort(f.caps)
	_, s.pipelining = caps["PIPELINING"]
	if _, ok := caps["UTF8"]; ok {
		// RFC 6856: without it a server may replace messages with raw
		// UTF-8 headers by a notice (Courier does), and with
		// leave_on_server = false the original would then be deleted.
		switch _, err := c.cmd("UTF8"); {
		case err == nil:
			s.utf8 = true
		case !errors.As(err, new(*serverError)):
			return c.wrap("UTF8", err)
		}
	}
	s.pop, err = gopop3.New(gopop3.Opt{Host: "gate", Dialer: gateDialer{&gate{Conn: c.tc, c: c, greeting: []byte("+OK\r\n")}}}).NewConn()
	if err != nil {
		return c.wrap("greeting", err)
	}
	return nil
}

// gateDialer hands go-pop3 the gate instead of a connection of its own.
type gateDialer struct{ g *gate }

func (d gateDialer) Dial(string, string) (net.Conn, error) { return d.g, nil }

// wrapAuth turns a refused login into protocols.ErrAuthFailed, unless
// the server said the maildrop is busy or the failure was the network.
func (s *session) wrapAuth(err error) error {
	if s.c.tc.ioErr != nil || errors.Is(err, errProtocol) {
		return s.c.wrap("login", err)
	}
	msg := err.Error()
	for _, code := range []string{"[IN-USE]", "[LOGIN-DELAY]", "[SYS/"} {
		if strings.Contains(msg, code) {
			return fmt.Errorf("pop3: %s: login refused: %s", s.c.addr, msg)
		}
	}
	return fmt.Errorf("pop3: %s: %s: %w", s.c.addr, msg, protocols.ErrAuthFailed)
}

// quit ends the session with QUIT, which commits deletions.
func (s *session) quit() error {
	if s.done {
		return nil
	}
	s.done = true
	defer s.stop()
	defer s.c.tc.Close()
	if err := s.pop.Quit(); err != nil {
		return s.c.wrap("QUIT", err)
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
	s.c.tc.Close()
}
