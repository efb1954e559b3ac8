package pop3server

import (
	"bufio"
	"bytes"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"net"
	"strconv"
	"strings"
	"time"
)

const (
	maxLine      = 1024 // longest command line accepted
	maxBadLines  = 20   // unknown or malformed commands before hanging up
	handshakeMax = 30 * time.Second
)

type session struct {
	srv     *Server
	conn    net.Conn
	r       *bufio.Reader
	w       *bufio.Writer
	isTLS   bool
	user    string // USER argument, or the logged-in user
	authed  bool
	utf8    bool // the client sent UTF8 (RFC 6856)
	msgs    []Message
	deleted map[int]bool // 1-based message numbers marked deleted
	bad     int
}

func newSession(srv *Server, c net.Conn, isTLS bool) *session {
	return &session{srv: srv, conn: c, isTLS: isTLS,
		r: bufio.NewReaderSize(c, 4096), w: bufio.NewWriter(c)}
}

func (s *session) idle() time.Duration {
	if s.srv.IdleTimeout > 0 {
		return s.srv.IdleTimeout
	}
	return 10 * time.Minute
}

func (s *session) run() {
	defer func() {
		if s.authed {
			s.srv.unlock(s.user, nil)
		}
	}()
	if tc, ok := s.conn.(*tls.Conn); ok {
		s.conn.SetDeadline(time.Now().Add(handshakeMax))
		if err := tc.Handshake(); err != nil {
			return
		}
	}
	if s.reply("+OK posta demo POP3 server ready") != nil {
		return
	}
	for {
		line, err := s.readLine()
		if errors.Is(err, errLineTooLong) {
			if s.reply("-ERR line too long") != nil || s.tooBad() {
				return
			}
			continue
		}
		if err != nil {
			return
		}
		verb, arg, _ := strings.Cut(line, " ")
		verb = strings.ToUpper(verb)
		if s.srv.Observe != nil {
			s.srv.Observe(verb)
		}
		if done := s.dispatch(verb, arg); done {
			return
		}
	}
}

var errLineTooLong = errors.New("line too long")

// readLine reads one CRLF- or LF-terminated line. Longer lines than
// maxLine are consumed whole and reported as errLineTooLong.
func (s *session) readLine() (string, error) {
	s.conn.SetReadDeadline(time.Now().Add(s.idle()))
	var buf []byte
	overflow := false
	for {
		frag, err := s.r.ReadSlice('\n')
		if !overflow && len(buf)+len(frag) <= maxLine {
			buf = append(buf, frag...)
		} else {
			overflow = true
		}
		if err == nil {
			break
		}
		if !errors.Is(err, bufio.ErrBufferFull) {
			return "", err
		}
	}
	if overflow {
		return "", errLineTooLong
	}
	return strings.TrimRight(string(buf), "\r\n"), nil
}

func (s *session) tooBad() bool {
	s.bad++
	return s.bad >= maxBadLines
}

func (s *session) reply(line string) error {
	s.conn.SetWriteDeadline(time.Now().Add(s.idle()))
	s.w.WriteString(line)
	s.w.WriteString("\r\n")
	return s.w.Flush()
}

// dispatch runs one command and reports whether the session is over.
func (s *session) dispatch(verb, arg string) bool {
	var err error
	switch {
	case verb == "QUIT":
		return s.quit()
	case verb == "CAPA":
		err = s.capa()
	case !s.authed:
		switch verb {
		case "STLS":
			return s.stls()
		case "UTF8":
			s.utf8 = true
			err = s.reply("+OK UTF8 enabled")
		case "USER", "PASS", "AUTH":
			if !s.isTLS && !s.srv.AllowInsecureAuth {
				err = s.reply("-ERR [AUTH] issue STLS before authenticating")
				break
			}
			err = s.authorize(verb, arg)
		default:
			err = s.unknown()
		}
	default:
		err = s.transaction(verb, arg)
	}
	return err != nil || s.bad >= maxBadLines
}

func (s *session) unknown() error {
	s.bad++
	return s.reply("-ERR unknown command or wrong state")
}

func (s *session) capa() error {
	lines := []string{"+OK capability list follows", "TOP", "UIDL", "RESP-CODES"}
	if !s.srv.NoPipelining {
		lines = append(lines, "PIPELINING")
	}
	lines = append(lines, "UTF8")
	if !s.authed && (s.isTLS || s.srv.AllowInsecureAuth) {
		lines = append(lines, "USER", s.saslLine())
	}
	if !s.authed && !s.isTLS && s.srv.TLSConfig != nil {
		lines = append(lines, "STLS")
	}
	lines = append(lines, "IMPLEMENTATION posta-demo", ".")
	return s.reply(strings.Join(lines, "\r\n"))
}

func (s *session) stls() bool {
	if s.isTLS || s.srv.TLSConfig == nil || s.user != "" {
		return s.unknown() != nil
	}
	if s.reply("+OK begin TLS negotiation") != nil {
		return true
	}
	if s.r.Buffered() > 0 { // plaintext pipelined after STLS: refuse it
		return true
	}
	tc := tls.Server(s.conn, s.srv.TLSConfig)
	tc.SetDeadline(time.Now().Add(handshakeMax))
	if err := tc.Handshake(); err != nil {
		return true
	}
	s.conn, s.isTLS = tc, true
	s.r.Reset(tc)
	s.w.Reset(tc)
	return false
}

func (s *session) authorize(verb, arg string) error {
	switch verb {
	case "USER":
		if arg == "" {
			return s.reply("-ERR missing user name")
		}
		s.user = arg
		return s.reply("+OK send PASS")
	case "PASS":
		if s.user == "" {
			return s.reply("-ERR send USER first")
		}
		return s.login(s.user, arg)
	}
	mech, initial, _ := strings.Cut(arg, " ")
	if s.srv.AcceptToken != nil && (strings.EqualFold(mech, "XOAUTH2") || strings.EqualFold(mech, "OAUTHBEARER")) {
		return s.authToken(initial)
	}
	if !strings.EqualFold(mech, "PLAIN") {
		return s.reply("-ERR unsupported SASL mechanism")
	}
	if initial == "" {
		if err := s.reply("+ "); err != nil {
			return err
		}
		line, err := s.readLine()
		if err != nil && !errors.Is(err, errLineTooLong) {
			return err
		}
		if line == "*" {
			return s.reply("-ERR authentication cancelled")
		}
		initial = line
	}
	raw, err := base64.StdEncoding.DecodeString(initial)
	parts := bytes.Split(raw, []byte{0})
	if err != nil || len(parts) != 3 {
		return s.reply("-ERR [AUTH] malformed PLAIN response")
	}
	if len(parts[0]) > 0 && !bytes.Equal(parts[0], parts[1]) {
		return s.reply("-ERR [AUTH] authorization identity not allowed")
	}
	return s.login(string(parts[1]), string(parts[2]))
}

func (s *session) login(user, password string) error {
	msgs, err := s.srv.login(user, password)
	return s.finishLogin(user, msgs, err)
}

// finishLogin ends a login attempt: the session holds the maildrop
// snapshot msgs, or err is reported.
func (s *session) finishLogin(user string, msgs []Message, err error) error {
	if err != nil {
		s.user = ""
		return s.reply("-ERR " + err.Error())
	}
	s.user, s.authed, s.msgs = user, true, msgs
	s.deleted = make(map[int]bool)
	return s.reply("+OK maildrop locked and ready")
}

func (s *session) quit() bool {
	if !s.authed {
		s.reply("+OK bye")
		return true
	}
	gone := make(map[string]bool, len(s.deleted))
	for n := range s.deleted {
		gone[s.msgs[n-1].UID] = true
	}
	s.authed = false
	s.srv.unlock(s.user, gone)
	s.reply("+OK bye, " + strconv.Itoa(len(gone)) + " messages deleted")
	return true
}

// writeMultiline sends a +OK line then data dot-stuffed, then ".".
func (s *session) writeMultiline(first string, data []byte) error {
	s.conn.SetWriteDeadline(time.Now().Add(s.idle()))
	s.w.WriteString(first + "\r\n")
	for len(data) > 0 {
		i := bytes.IndexByte(data, '\n')
		line := data
		if i >= 0 {
			line, data = data[:i+1], data[i+1:]
		} else {
			data = nil
		}
		if line[0] == '.' {
			s.w.WriteByte('.')
		}
		s.w.Write(line)
		if !bytes.HasSuffix(line, []byte("\n")) {
			s.w.WriteString("\r\n")
		}
	}
	s.w.WriteString(".\r\n")
	return s.w.Flush()
}
