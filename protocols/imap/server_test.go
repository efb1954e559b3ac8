package imap

import (
	"bytes"
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/posta-mail/posta/internal/selfsigned"
	"github.com/posta-mail/posta/internal/syncbuf"
	"github.com/posta-mail/posta/protocols"
)

const (
	testUser     = "bob"
	testPassword = "s3cret"
)

// testServer is an in-process IMAP server on 127.0.0.1 with an implicit
// TLS listener and a plain listener that offers STARTTLS.
type testServer struct {
	user     *imapmemserver.User
	tlsAddr  *net.TCPAddr
	tcpAddr  *net.TCPAddr
	roots    *x509.CertPool
	received syncbuf.Buffer // everything the server read and wrote
}

func startServer(t *testing.T) *testServer {
	t.Helper()
	cert, roots := selfSignedCert(t)
	serverTLS := &tls.Config{Certificates: []tls.Certificate{cert}}

	mem := imapmemserver.New()
	user := imapmemserver.NewUser(testUser, testPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	ts := &testServer{user: user, roots: roots}

	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}, imap.CapIMAP4rev2: {}},
		TLSConfig:    serverTLS,
		InsecureAuth: true, // lets the AllowPlainAuth test log in; the client must refuse on its own
		DebugWriter:  &ts.received,
		Logger:       quietLogger{},
	})
	tlsLn, err := tls.Listen("tcp", "127.0.0.1:0", serverTLS)
	if err != nil {
		t.Fatal(err)
	}
	tcpLn, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(tlsLn)
	go srv.Serve(tcpLn)
	t.Cleanup(func() { srv.Close() })
	ts.tlsAddr = tlsLn.Addr().(*net.TCPAddr)
	ts.tcpAddr = tcpLn.Addr().(*net.TCPAddr)
	return ts
}

type quietLogger struct{}

func (quietLogger) Printf(string, ...any) {}

// endpoint returns an endpoint for the given security mode.
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

func (ts *testServer) fetcher(t *testing.T, sec protocols.Security) *Fetcher {
	t.Helper()
	f := New(Options{Endpoint: ts.endpoint(sec)})
	t.Cleanup(func() { f.Close() })
	return f
}

// seed appends raw to mailbox directly in the server's store.
func (ts *testServer) seed(t *testing.T, mailbox, raw string, flags []imap.Flag, date time.Time) imap.UID {
	t.Helper()
	raw = strings.ReplaceAll(raw, "\n", "\r\n")
	data, err := ts.user.Append(mailbox, bytes.NewReader([]byte(raw)), &imap.AppendOptions{Flags: flags, Time: date})
	if err != nil {
		t.Fatalf("seed %s: %v", mailbox, err)
	}
	return data.UID
}

// otherClient logs a second, independent client in over implicit TLS.
func (ts *testServer) otherClient(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(ts.tlsAddr.String(), &imapclient.Options{
		TLSConfig: &tls.Config{RootCAs: ts.roots, ServerName: "127.0.0.1"},
	})
	if err != nil {
		t.Fatal(err)
	}
	if err := c.Login(testUser, testPassword).Wait(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c
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
