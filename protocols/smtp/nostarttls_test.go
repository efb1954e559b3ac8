package smtp

import (
	"context"
	"crypto/tls"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/protocols"
)

// TestStartTLSNotOfferedIsRefused: with security = "starttls", a server
// that does not offer STARTTLS is an error, never a silent downgrade, and
// no AUTH is sent.
func TestStartTLSNotOfferedIsRefused(t *testing.T) {
	ts := &testServer{}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{server: ts}, nil
	}))
	srv.Domain = "localhost"
	srv.AllowInsecureAuth = true // it would take a password in clear: posta must not send it
	srv.Debug = &ts.transcript
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })

	s := New(Options{Endpoint: protocols.Endpoint{
		Host: "127.0.0.1", Port: ln.Addr().(*net.TCPAddr).Port, Security: protocols.SecurityStartTLS,
		TLSConfig: &tls.Config{}, Username: "alice", Timeout: 5 * time.Second,
		Password: func(context.Context) (string, error) { return "secret", nil },
	}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	err = s.Send(ctx, "alice@example.com", []string{"bob@example.com"}, strings.NewReader("Subject: x\r\n\r\nx\r\n"))
	if err == nil {
		t.Fatal("Send over a server without STARTTLS succeeded")
	}
	for _, line := range strings.Split(ts.transcript.String(), "\n") {
		if strings.HasPrefix(strings.ToUpper(line), "AUTH ") { // the client's command, not the 250-AUTH offer
			t.Errorf("the client sent AUTH in clear:\n%s", ts.transcript.String())
		}
	}
}
