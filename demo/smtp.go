package demo

import (
	"bytes"
	"crypto/subtle"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// maxMessageBytes is the submission server's message size limit.
const maxMessageBytes = 50 << 20

// smtpBackend accepts submissions from the demo users and delivers them
// through Servers.Deliver.
type smtpBackend struct{ s *Servers }

func (b smtpBackend) NewSession(*smtp.Conn) (smtp.Session, error) {
	return &smtpSession{s: b.s}, nil
}

type smtpSession struct {
	s      *Servers
	authed bool
	from   string
	rcpts  []string
}

var _ smtp.AuthSession = (*smtpSession)(nil)

func (ss *smtpSession) AuthMechanisms() []string { return []string{sasl.Plain, sasl.Login} }

func (ss *smtpSession) Auth(mech string) (sasl.Server, error) {
	check := func(user, pass string) error {
		if !ss.s.checkPassword(user, pass) {
			return smtp.ErrAuthFailed
		}
		ss.authed = true
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(identity, user, pass string) error {
			if identity != "" && identity != user {
				return smtp.ErrAuthFailed
			}
			return check(user, pass)
		}), nil
	case sasl.Login:
		return &loginServer{check: check}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (ss *smtpSession) Mail(from string, _ *smtp.MailOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	ss.from = from
	return nil
}

func (ss *smtpSession) Rcpt(to string, _ *smtp.RcptOptions) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	if !ss.s.knownRecipient(to) {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1},
			Message: "no such user here: " + to}
	}
	ss.rcpts = append(ss.rcpts, to)
	return nil
}

func (ss *smtpSession) Data(r io.Reader) error {
	if !ss.authed {
		return smtp.ErrAuthRequired
	}
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return err
	}
	for _, rcpt := range ss.rcpts {
		if err := ss.s.Deliver(rcpt, buf.Bytes()); err != nil {
			return &smtp.SMTPError{Code: 451, EnhancedCode: smtp.EnhancedCode{4, 3, 0},
				Message: "delivery failed: " + err.Error()}
		}
	}
	return nil
}

func (ss *smtpSession) Reset()        { ss.from, ss.rcpts = "", nil }
func (ss *smtpSession) Logout() error { return nil }

// loginServer is the server side of the LOGIN SASL mechanism, which
// go-sasl only implements for clients.
type loginServer struct {
	check func(user, pass string) error
	user  string
	step  int
}

func (l *loginServer) Next(response []byte) ([]byte, bool, error) {
	switch l.step {
	case 0:
		l.step = 1
		if response == nil {
			return []byte("Username:"), false, nil
		}
		fallthrough
	case 1:
		l.user, l.step = string(response), 2
		return []byte("Password:"), false, nil
	case 2:
		l.step = 3
		return nil, true, l.check(l.user, string(response))
	}
	return nil, false, errors.New("unexpected LOGIN response")
}

// checkPassword reports whether user/pass (user as the login name or the
// address) are a demo account's credentials.
func (s *Servers) checkPassword(user, pass string) bool {
	for _, a := range s.Accounts {
		if user == a.Username || strings.EqualFold(user, a.Address) {
			return subtle.ConstantTimeCompare([]byte(pass), []byte(a.Password)) == 1
		}
	}
	return false
}

func (s *Servers) knownRecipient(rcpt string) bool {
	_, err := s.accountFor(rcpt)
	return err == nil
}

func (s *Servers) accountFor(rcpt string) (Account, error) {
	addr := strings.Trim(strings.TrimSpace(rcpt), "<>")
	for _, a := range s.Accounts {
		if strings.EqualFold(addr, a.Address) {
			return a, nil
		}
	}
	return Account{}, fmt.Errorf("demo: no such recipient %q", rcpt)
}
