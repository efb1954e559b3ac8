package pop3server

import (
	"bufio"
	"crypto/tls"
	"encoding/base64"
	"math/big"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/internal/selfsigned"
)

// testCert returns a server config and a client config trusting it.
func testCert(t *testing.T) (*tls.Config, *tls.Config) {
	t.Helper()
	c, err := selfsigned.New("posta test")
	if err != nil {
		t.Fatal(err)
	}
	return &tls.Config{Certificates: []tls.Certificate{c.TLS}},
		&tls.Config{RootCAs: c.Pool, ServerName: "127.0.0.1"}
}

type client struct {
	t    *testing.T
	conn net.Conn
	r    *bufio.Reader
}

func startPlain(t *testing.T, srv *Server) *client {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv.Start(ln, false)
	t.Cleanup(func() { srv.Stop() })
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	c := &client{t: t, conn: conn, r: bufio.NewReader(conn)}
	if g := c.line(); !strings.HasPrefix(g, "+OK") {
		t.Fatalf("greeting = %q", g)
	}
	return c
}

func (c *client) line() string {
	c.t.Helper()
	c.conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	l, err := c.r.ReadString('\n')
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return strings.TrimRight(l, "\r\n")
}

func (c *client) cmd(line string) string {
	c.t.Helper()
	if _, err := c.conn.Write([]byte(line + "\r\n")); err != nil {
		c.t.Fatalf("write: %v", err)
	}
	return c.line()
}

// multi reads a multi-line body after a +OK line, undoing dot-stuffing.
func (c *client) multi() []string {
	c.t.Helper()
	var out []string
	for {
		l := c.line()
		if l == "." {
			return out
		}
		out = append(out, strings.TrimPrefix(l, "."))
	}
}

func TestSTLSRequiredBeforeAuth(t *testing.T) {
	serverCfg, clientCfg := testCert(t)
	srv := New()
	srv.TLSConfig = serverCfg
	srv.AddUser("bob", "pw")
	srv.Deliver("bob", []byte("Subject: x\n\nbody\n"))
	c := startPlain(t, srv)

	if r := c.cmd("CAPA"); !strings.HasPrefix(r, "+OK") {
		t.Fatalf("CAPA = %q", r)
	}
	caps := strings.Join(c.multi(), "|")
	if !strings.Contains(caps, "STLS") || strings.Contains(caps, "USER") {
		t.Errorf("plain CAPA = %q, want STLS and no USER", caps)
	}
	if r := c.cmd("USER bob"); !strings.HasPrefix(r, "-ERR") {
		t.Errorf("USER before STLS = %q, want -ERR", r)
	}
	if r := c.cmd("AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00bob\x00pw"))); !strings.HasPrefix(r, "-ERR") {
		t.Errorf("AUTH before STLS = %q, want -ERR", r)
	}
	if r := c.cmd("STLS"); !strings.HasPrefix(r, "+OK") {
		t.Fatalf("STLS = %q", r)
	}
	tc := tls.Client(c.conn, clientCfg)
	if err := tc.Handshake(); err != nil {
		t.Fatalf("Handshake() error = %v", err)
	}
	c.conn, c.r = tc, bufio.NewReader(tc)
	c.cmd("CAPA")
	caps = strings.Join(c.multi(), "|")
	if strings.Contains(caps, "STLS") || !strings.Contains(caps, "SASL PLAIN") {
		t.Errorf("CAPA after STLS = %q", caps)
	}
	if r := c.cmd("AUTH PLAIN " + base64.StdEncoding.EncodeToString([]byte("\x00bob\x00bad"))); !strings.HasPrefix(r, "-ERR [AUTH]") {
		t.Errorf("AUTH bad password = %q, want -ERR [AUTH]", r)
	}
	if r := c.cmd("AUTH PLAIN"); r != "+ " {
		t.Fatalf("AUTH PLAIN = %q, want continuation", r)
	}
	if r := c.cmd(base64.StdEncoding.EncodeToString([]byte("\x00bob\x00pw"))); !strings.HasPrefix(r, "+OK") {
		t.Fatalf("AUTH response = %q, want +OK", r)
	}
	if r := c.cmd("STAT"); !strings.HasPrefix(r, "+OK 1 ") {
		t.Errorf("STAT = %q", r)
	}
}

func TestTransactionCommands(t *testing.T) {
	srv := New()
	srv.AllowInsecureAuth = true
	var mu sync.Mutex
	var verbs []string
	srv.Observe = func(v string) { mu.Lock(); verbs = append(verbs, v); mu.Unlock() }
	srv.AddUser("bob", "pw")
	body := "Subject: dots\r\n\r\n.leading\r\n..two\r\nline3\r\nline4\r\n"
	uid1, _ := srv.Deliver("bob", []byte(body))
	srv.Deliver("bob", []byte("Subject: second\n\nbare LF\n"))
	c := startPlain(t, srv)

	if r := c.cmd("STAT"); !strings.HasPrefix(r, "-ERR") {
		t.Errorf("STAT before login = %q", r)
	}
	c.cmd("USER bob")
	if r := c.cmd("PASS pw"); !strings.HasPrefix(r, "+OK") {
		t.Fatalf("PASS = %q", r)
	}
	c.cmd("RETR 1")
	if got := strings.Join(c.multi(), "\r\n") + "\r\n"; got != body {
		t.Errorf("RETR 1 = %q, want %q", got, body)
	}
	c.cmd("TOP 1 1")
	if got := c.multi(); len(got) != 3 || got[2] != ".leading" {
		t.Errorf("TOP 1 1 = %q", got)
	}
	if r := c.cmd("UIDL 1"); r != "+OK 1 "+uid1 {
		t.Errorf("UIDL 1 = %q, want uid %q", r, uid1)
	}
	if r := c.cmd("LIST 2"); r != "+OK 2 "+itoa(len("Subject: second\r\n\r\nbare LF\r\n")) {
		t.Errorf("LIST 2 = %q (sizes count CRLF)", r)
	}
	for _, garbage := range []string{"", "FOO", "RETR", "RETR x", "RETR 99", "TOP 1 -1", strings.Repeat("A", 5000), "\x00\xff"} {
		if r := c.cmd(garbage); !strings.HasPrefix(r, "-ERR") {
			t.Errorf("%.20q = %q, want -ERR", garbage, r)
		}
	}
	c.cmd("DELE 1")
	if r := c.cmd("STAT"); !strings.HasPrefix(r, "+OK 1 ") {
		t.Errorf("STAT after DELE = %q", r)
	}
	c.cmd("RSET")
	c.cmd("DELE 2")
	if r := c.cmd("QUIT"); !strings.HasPrefix(r, "+OK") {
		t.Errorf("QUIT = %q", r)
	}
	waitFor(t, func() bool { return len(srv.Messages("bob")) == 1 })
	if m := srv.Messages("bob"); m[0].UID != uid1 {
		t.Errorf("after QUIT maildrop = %v, want only message 1", m)
	}
	mu.Lock()
	defer mu.Unlock()
	if strings.Contains(strings.Join(verbs, " "), "pw") {
		t.Error("Observe saw a password")
	}
}

func TestDisconnectAppliesNoDeletes(t *testing.T) {
	srv := New()
	srv.AllowInsecureAuth = true
	srv.AddUser("bob", "pw")
	srv.Deliver("bob", []byte("Subject: a\r\n\r\nx\r\n"))
	c := startPlain(t, srv)
	c.cmd("USER bob")
	c.cmd("PASS pw")
	c.cmd("DELE 1")
	c.conn.Close()
	// The maildrop must be unlocked and still hold the message.
	c2 := startPlain(t, srv)
	waitFor(t, func() bool {
		c2.cmd("USER bob")
		return strings.HasPrefix(c2.cmd("PASS pw"), "+OK")
	})
	if r := c2.cmd("STAT"); !strings.HasPrefix(r, "+OK 1 ") {
		t.Errorf("STAT after dropped session = %q, want 1 message", r)
	}
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(3 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatal("condition not reached in time")
}

func itoa(n int) string { return big.NewInt(int64(n)).String() }

// TestUTF8Downgrade: with DowngradeUTF8, a client that did not send UTF8
// gets a notice instead of a message with a raw UTF-8 header; one that
// did gets the message.
func TestUTF8Downgrade(t *testing.T) {
	srv := New()
	srv.AllowInsecureAuth = true
	srv.DowngradeUTF8 = true
	srv.AddUser("bob", "pw")
	srv.Deliver("bob", []byte("Subject: Formação\r\n\r\nbody\r\n"))
	for _, sendUTF8 := range []bool{false, true} {
		c := startPlain(t, srv)
		c.cmd("CAPA")
		if caps := strings.Join(c.multi(), " "); !strings.Contains(caps, "UTF8") || !strings.Contains(caps, "PIPELINING") {
			t.Errorf("CAPA = %s, want UTF8 and PIPELINING", caps)
		}
		if sendUTF8 {
			if r := c.cmd("UTF8"); !strings.HasPrefix(r, "+OK") {
				t.Fatalf("UTF8 = %q", r)
			}
		}
		c.cmd("USER bob")
		if r := c.cmd("PASS pw"); !strings.HasPrefix(r, "+OK") {
			t.Fatalf("PASS = %q", r)
		}
		c.cmd("RETR 1")
		got := strings.Join(c.multi(), "\n")
		if sendUTF8 != strings.HasPrefix(got, "Subject: Formação") {
			t.Errorf("UTF8 sent %v: RETR = %q", sendUTF8, got)
		}
		c.cmd("QUIT")
	}
}
