package imap

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-imap/v2/imapserver/imapmemserver"

	"github.com/posta-mail/posta/internal/syncbuf"
	"github.com/posta-mail/posta/protocols"
)

// TestStartTLSNotOfferedIsRefused: with security = "starttls", a server
// that does not offer STARTTLS is an error, never a silent downgrade,
// and no password is sent.
func TestStartTLSNotOfferedIsRefused(t *testing.T) {
	mem := imapmemserver.New()
	user := imapmemserver.NewUser(testUser, testPassword)
	if err := user.Create("INBOX", nil); err != nil {
		t.Fatal(err)
	}
	mem.AddUser(user)
	var received syncbuf.Buffer
	srv := imapserver.New(&imapserver.Options{
		NewSession: func(*imapserver.Conn) (imapserver.Session, *imapserver.GreetingData, error) {
			return mem.NewSession(), nil, nil
		},
		Caps:         imap.CapSet{imap.CapIMAP4rev1: {}},
		InsecureAuth: true, // the server would take a plain password: posta must not send it
		DebugWriter:  &received,
		Logger:       quietLogger{},
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	f := New(Options{Endpoint: protocols.Endpoint{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: protocols.SecurityStartTLS,
		TLSConfig: &tls.Config{}, Username: testUser, Timeout: 5 * time.Second,
		Password: func(context.Context) (string, error) { return testPassword, nil },
	}})
	t.Cleanup(func() { f.Close() })
	if _, err := f.Folders(testCtx(t)); err == nil {
		t.Fatal("Folders over a server without STARTTLS succeeded")
	}
	if strings.Contains(received.String(), testPassword) || strings.Contains(strings.ToUpper(received.String()), "LOGIN") {
		t.Errorf("the client sent credentials in clear:\n%s", received.String())
	}
}
