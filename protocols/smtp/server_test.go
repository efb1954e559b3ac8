package smtp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/internal/selfsigned"
	"github.com/posta-mail/posta/internal/syncbuf"
	"github.com/posta-mail/posta/protocols"
)

const (
	testUser     = "bob@example.org"
	testPassword = "s3cret"
	testToken    = "ya29.token"
)

// delivery is one message the test server accepted.
type delivery struct {
	authMech string
	from     string
	to       []string
	data     []byte
}

// testServer is an in-process SMTP server on 127.0.0.1 with a plain
// listener offering STARTTLS and an implicit TLS listener. It refuses any
// recipient whose address starts with "nobody".
type testServer struct {
	tcpAddr, tlsAddr *net.TCPAddr
	roots            *x509.CertPool
	transcript       syncbuf.Buffer // every byte the server read or wrote

	mu         sync.Mutex
	deliveries []delivery
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	cert, roots := selfSignedCert(t)
	cfg := &tls.Config{Certificates: []tls.Certificate{cert}}
	ts := &testServer{roots: roots}

	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: ts}, nil
	}))
	srv.Domain = "localhost"
	srv.TLSConfig = cfg
	srv.MaxMessageBytes = 1 << 20
	srv.ReadTimeout = 10 * time.Second
	srv.WriteTimeout = 10 * time.Second
	srv.Debug = &ts.transcript

	tcpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	tlsLn, err := tls.Listen("tcp", "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(tcpLn)
	go srv.Serve(tlsLn)
	t.Cleanup(func() { srv.Close() })
	ts.tcpAddr = tcpLn.Addr().(*net.TCPAddr)
	ts.tlsAddr = tlsLn.Addr().(*net.TCPAddr)
	return ts
}

func (ts *testServer) received() []delivery {
	ts.mu.Lock()
	defer ts.mu.Unlock()
	return append([]delivery(nil), ts.deliveries...)
}

func (ts *testServer) endpoint(sec protocols.Security) protocols.Endpoint {
	addr := ts.tcpAddr
	if sec == protocols.SecurityTLS {
		addr = ts.tlsAddr
	}
	return protocols.Endpoint{
		Host:      "127.0.0.1",
		Port:      addr.Port,
		Security:  sec,
		TLSConfig: &tls.Config{RootCAs: ts.roots},
		Username:  testUser,
		Password:  func(context.Context) (string, error) { return testPassword, nil },
		Timeout:   5 * time.Second,
	}
}

type session struct {
	server   *testServer
	authMech string
	cur      delivery
}

func (s *session) AuthMechanisms() []string {
	return []string{sasl.Plain, sasl.Login, "XOAUTH2"}
}

func (s *session) Auth(mech string) (sasl.Server, error) {
	check := func(user, secret, want string) error {
		if user != testUser || secret != want {
			return smtp.ErrAuthFailed
		}
		s.authMech = mech
		return nil
	}
	switch mech {
	case sasl.Plain:
		return sasl.NewPlainServer(func(_, user, pass string) error { return check(user, pass, testPassword) }), nil
	case sasl.Login:
		return &loginServer{check: func(u, p string) error { return check(u, p, testPassword) }}, nil
	case "XOAUTH2":
		return &xoauth2Server{check: func(u, tok string) error { return check(u, tok, testToken) }}, nil
	}
	return nil, smtp.ErrAuthUnknownMechanism
}

func (s *session) Mail(from string, _ *smtp.MailOptions) error {
	if s.authMech == "" {
		return smtp.ErrAuthRequired
	}
	s.cur = delivery{authMech: s.authMech, from: from}
	return nil
}

func (s *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	if strings.HasPrefix(to, "nobody") {
		return &smtp.SMTPError{Code: 550, EnhancedCode: smtp.EnhancedCode{5, 1, 1}, Message: "mailbox unavailable"}
	}
	s.cur.to = append(s.cur.to, to)
	return nil
}

func (s *session) Data(r io.Reader) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	s.cur.data = data
	s.server.mu.Lock()
	s.server.deliveries = append(s.server.deliveries, s.cur)
	s.server.mu.Unlock()
	return nil
}

func (s *session) Reset()        { s.cur = delivery{} }
func (s *session) Logout() error { return nil }

// loginServer is the server side of SASL LOGIN (go-sasl has only the
// client): the username arrives as the initial response.
type loginServer struct {
	check func(user, pass string) error
	user  []byte
	step  int
}

func (l *loginServer) Next(resp []byte) ([]byte, bool, error) {
	l.step++
	switch {
	case l.step == 1 && resp == nil:
		return []byte("Username:"), false, nil
	case l.user == nil:
		l.user = resp
		return []byte("Password:"), false, nil
	default:
		return nil, true, l.check(string(l.user), string(resp))
	}
}

// xoauth2Server checks "user=U\x01auth=Bearer T\x01\x01".
type xoauth2Server struct {
	check func(user, token string) error
}

func (x *xoauth2Server) Next(resp []byte) ([]byte, bool, error) {
	if resp == nil {
		return []byte{}, false, nil
	}
	fields := strings.Split(string(resp), "\x01")
	if len(fields) != 4 || fields[2] != "" || fields[3] != "" ||
		!strings.HasPrefix(fields[0], "user=") || !strings.HasPrefix(fields[1], "auth=Bearer ") {
		return nil, true, errors.New("malformed XOAUTH2 response")
	}
	return nil, true, x.check(strings.TrimPrefix(fields[0], "user="), strings.TrimPrefix(fields[1], "auth=Bearer "))
}

func selfSignedCert(t *testing.T) (tls.Certificate, *x509.CertPool) {
	t.Helper()
	c, err := selfsigned.New("posta test")
	if err != nil {
		t.Fatal(err)
	}
	return c.TLS, c.Pool
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	t.Cleanup(cancel)
	return ctx
}
