// Package pop3server is a small RFC 1939 POP3 server holding its
// maildrops in memory, for posta's demo mode and its tests.
//
// It speaks USER/PASS and AUTH PLAIN (RFC 5034), CAPA with RESP-CODES and
// PIPELINING (RFC 2449), STLS (RFC 2595), UTF8 (RFC 6856), STAT, LIST,
// UIDL, TOP, RETR, DELE, RSET, NOOP and QUIT. Deletions are applied only when a session QUITs from the
// TRANSACTION state. A maildrop is locked by one session at a time
// ([IN-USE]); each session works on a snapshot taken at login, so mail
// delivered meanwhile appears in the next session.
//
// # Security
//
// On a plain connection the server refuses USER, PASS and AUTH until
// the client has issued STLS, unless AllowInsecureAuth is set.
package pop3server

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"
)

// Message is one message of a maildrop.
type Message struct {
	UID  string // unique, stable UIDL
	Data []byte // CRLF line endings
}

type maildrop struct {
	password string
	msgs     []Message
	locked   bool
	nextUID  int
}

// Server is an in-memory POP3 server. Set its exported fields before the
// first call to Serve.
type Server struct {
	// TLSConfig enables STLS on plain listeners when not nil.
	TLSConfig *tls.Config
	// AllowInsecureAuth permits USER/PASS/AUTH on a connection without TLS.
	AllowInsecureAuth bool
	// IdleTimeout closes sessions silent for that long; zero means 10 min.
	IdleTimeout time.Duration
	// Observe, if not nil, is called with the verb (never the arguments)
	// of every command the server receives, for tests.
	Observe func(verb string)
	// CutRETR, if not nil, is asked before each RETR with the message's
	// UIDL and size; a result n >= 0 makes the server send the reply's
	// first n bytes (status line included) and drop the connection, as a
	// server crashing mid-download would. For tests.
	CutRETR func(uid string, size int) int
	// NoPipelining leaves PIPELINING (RFC 2449) out of CAPA. The server
	// answers pipelined commands in order either way.
	NoPipelining bool
	// DowngradeUTF8 makes RETR answer a client that did not send UTF8
	// (RFC 6856) with a notice instead of any message whose header has
	// raw 8-bit bytes, the original attached, as Courier does.
	DowngradeUTF8 bool
	// AcceptToken, if not nil, enables SASL XOAUTH2 and OAUTHBEARER: it
	// says whether an OAuth2 bearer token is valid for user.
	AcceptToken func(user, token string) bool

	mu        sync.Mutex
	users     map[string]*maildrop
	listeners map[net.Listener]struct{}
	conns     map[net.Conn]struct{}
	uidPrefix string
}

// New returns a server with no users.
func New() *Server {
	return &Server{
		users:     make(map[string]*maildrop),
		listeners: make(map[net.Listener]struct{}),
		conns:     make(map[net.Conn]struct{}),
		uidPrefix: fmt.Sprintf("%x", time.Now().Unix()),
	}
}

// AddUser creates an empty maildrop for user (or changes its password).
func (s *Server) AddUser(user, password string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if d, ok := s.users[user]; ok {
		d.password = password
		return
	}
	s.users[user] = &maildrop{password: password}
}

// ErrNoSuchUser is returned by Deliver for an unknown maildrop.
var ErrNoSuchUser = errors.New("pop3server: no such user")

// Deliver appends raw to the user's maildrop, converting line endings to
// CRLF, and returns the new message's UIDL. The server may keep raw
// itself: the caller must not modify it afterwards.
func (s *Server) Deliver(user string, raw []byte) (string, error) {
	data := toCRLF(raw)
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.users[user]
	if !ok {
		return "", ErrNoSuchUser
	}
	d.nextUID++
	uid := fmt.Sprintf("%s.%07d", s.uidPrefix, d.nextUID)
	d.msgs = append(d.msgs, Message{UID: uid, Data: data})
	return uid, nil
}

// Messages returns a copy of the user's maildrop as it is now.
func (s *Server) Messages(user string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.users[user]
	if !ok {
		return nil
	}
	return append([]Message(nil), d.msgs...)
}

// Serve accepts connections on ln until ln is closed. implicitTLS says
// that ln already yields TLS connections (POP3S), so STLS is not offered.
func (s *Server) Serve(ln net.Listener, implicitTLS bool) error {
	s.track(ln)
	defer func() {
		s.mu.Lock()
		delete(s.listeners, ln)
		s.mu.Unlock()
	}()
	var delay time.Duration
	for {
		c, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				delay = min(max(2*delay, 5*time.Millisecond), time.Second)
				time.Sleep(delay)
				continue
			}
			if errors.Is(err, net.ErrClosed) {
				return nil
			}
			return err
		}
		delay = 0
		s.mu.Lock()
		_, open := s.listeners[ln]
		s.conns[c] = struct{}{}
		s.mu.Unlock()
		if !open { // Stop ran meanwhile
			c.Close()
			return nil
		}
		go func() {
			defer func() {
				s.mu.Lock()
				delete(s.conns, c)
				s.mu.Unlock()
				c.Close()
			}()
			newSession(s, c, implicitTLS).run()
		}()
	}
}

// Start registers ln at once (so that a following Stop closes it) and
// serves it in a new goroutine.
func (s *Server) Start(ln net.Listener, implicitTLS bool) {
	s.track(ln)
	go s.Serve(ln, implicitTLS)
}

func (s *Server) track(ln net.Listener) {
	s.mu.Lock()
	s.listeners[ln] = struct{}{}
	s.mu.Unlock()
}

// Stop closes every listener and every open connection. Sessions cut off
// this way apply no deletions. Serve may be called again afterwards.
func (s *Server) Stop() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var first error
	for ln := range s.listeners {
		if err := ln.Close(); err != nil && first == nil {
			first = err
		}
		delete(s.listeners, ln)
	}
	for c := range s.conns {
		c.Close()
	}
	return first
}

// login checks credentials and locks the maildrop, returning a snapshot.
func (s *Server) login(user, password string) ([]Message, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.users[user]
	if !ok || !constantTimeEqual(d.password, password) {
		return nil, errAuth
	}
	return s.lockLocked(d)
}

// loginToken locks user's maildrop after a valid bearer token.
func (s *Server) loginToken(user, token string) ([]Message, error) {
	if s.AcceptToken == nil || !s.AcceptToken(user, token) {
		return nil, errAuth
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.users[user]
	if !ok {
		return nil, errAuth
	}
	return s.lockLocked(d)
}

// lockLocked locks d and returns its snapshot; s.mu is held.
func (s *Server) lockLocked(d *maildrop) ([]Message, error) {
	if d.locked {
		return nil, errInUse
	}
	d.locked = true
	return append([]Message(nil), d.msgs...), nil
}

// unlock releases the maildrop and removes the messages with the given
// UIDs (the session's deletions, empty unless it QUIT properly).
func (s *Server) unlock(user string, deleted map[string]bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	d, ok := s.users[user]
	if !ok {
		return
	}
	d.locked = false
	if len(deleted) == 0 {
		return
	}
	kept := d.msgs[:0]
	for _, m := range d.msgs {
		if !deleted[m.UID] {
			kept = append(kept, m)
		}
	}
	clear(d.msgs[len(kept):])
	d.msgs = kept
}

var (
	errAuth  = errors.New("[AUTH] invalid user name or password")
	errInUse = errors.New("[IN-USE] maildrop already locked by another session")
)

func constantTimeEqual(a, b string) bool {
	if len(a) != len(b) {
		return false
	}
	var v byte
	for i := 0; i < len(a); i++ {
		v |= a[i] ^ b[i]
	}
	return v == 0
}

// toCRLF returns raw with every line ending (LF or CRLF) as CRLF and a
// final line ending. Input already in that form is returned as is.
func toCRLF(raw []byte) []byte {
	if isCRLF(raw) {
		return raw
	}
	out := make([]byte, 0, len(raw)+len(raw)/40+2)
	for len(raw) > 0 {
		i := bytes.IndexByte(raw, '\n')
		if i < 0 {
			out = append(out, raw...)
			out = append(out, '\r', '\n')
			break
		}
		line := bytes.TrimSuffix(raw[:i], []byte("\r"))
		out = append(out, line...)
		out = append(out, '\r', '\n')
		raw = raw[i+1:]
	}
	return out
}

func isCRLF(raw []byte) bool {
	if len(raw) < 2 || !bytes.HasSuffix(raw, []byte("\r\n")) {
		return false
	}
	for off := 0; ; {
		i := bytes.IndexByte(raw[off:], '\n')
		if i < 0 {
			return true
		}
		if off+i == 0 || raw[off+i-1] != '\r' {
			return false
		}
		off += i + 1
	}
}
