package demo

import (
	"crypto/tls"
	"net"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
	pop3 "github.com/knadh/go-pop3"
)

func startDemo(t *testing.T, opts Options) *Servers {
	t.Helper()
	s, err := Start(opts)
	if err != nil {
		t.Fatalf("Start() error = %v", err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

func dialIMAP(t *testing.T, s *Servers) *imapclient.Client {
	t.Helper()
	cfg := s.TLSConfig()
	cfg.ServerName = "127.0.0.1"
	c, err := imapclient.DialTLS(s.IMAPAddr, &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("DialTLS() error = %v", err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("alice", "password").Wait(); err != nil {
		t.Fatalf("Login() error = %v", err)
	}
	return c
}

func TestIMAPFoldersAndCounts(t *testing.T) {
	s := startDemo(t, Options{Messages: 30})
	c := dialIMAP(t, s)
	list, err := c.List("", "*", &imap.ListOptions{
		ReturnStatus: &imap.StatusOptions{NumMessages: true, NumUnseen: true},
	}).Collect()
	if err != nil {
		t.Fatalf("List() error = %v", err)
	}
	got := map[string]*imap.ListData{}
	for _, l := range list {
		got[l.Mailbox] = l
	}
	want := map[string]uint32{"INBOX": 30, "Sent": 12, "Drafts": 4, "Trash": 6, "Archive": 15, "Projects/posta": 8}
	for name, n := range want {
		l, ok := got[name]
		if !ok {
			t.Errorf("folder %q missing from LIST", name)
			continue
		}
		if l.Status == nil || l.Status.NumMessages == nil || *l.Status.NumMessages != n {
			t.Errorf("folder %q status = %+v, want %d messages", name, l.Status, n)
		}
		if l.Delim != '/' {
			t.Errorf("folder %q delim = %q, want '/'", name, l.Delim)
		}
	}
	if !slices.Contains(got["Sent"].Attrs, imap.MailboxAttrSent) || !slices.Contains(got["Trash"].Attrs, imap.MailboxAttrTrash) {
		t.Errorf("special-use attrs missing: Sent %v, Trash %v", got["Sent"].Attrs, got["Trash"].Attrs)
	}
	if !c.Caps().Has(imap.CapMove) || !c.Caps().Has(imap.CapSpecialUse) {
		t.Errorf("caps = %v, want MOVE and SPECIAL-USE", c.Caps())
	}
	if u := got["INBOX"].Status.NumUnseen; u == nil || *u == 0 || *u == 30 {
		t.Errorf("INBOX unseen = %v, want some but not all", u)
	}
}

func TestIMAPStartTLSAndBadPassword(t *testing.T) {
	s := startDemo(t, Options{Messages: 5})
	cfg := s.TLSConfig()
	cfg.ServerName = "localhost"
	c, err := imapclient.DialStartTLS(s.IMAPStartTLSAddr, &imapclient.Options{TLSConfig: cfg})
	if err != nil {
		t.Fatalf("DialStartTLS() error = %v", err)
	}
	defer c.Close()
	if err := c.Login("alice", "wrong").Wait(); err == nil {
		t.Fatal("Login(wrong password) = nil, want error")
	}
	if err := c.Login("alice", "password").Wait(); err != nil {
		t.Fatalf("Login() error = %v", err)
	}
}

type tlsDialer struct{ cfg *tls.Config }

func (d tlsDialer) Dial(network, addr string) (net.Conn, error) {
	return tls.DialWithDialer(&net.Dialer{Timeout: 5 * time.Second}, network, addr, d.cfg)
}

func popConn(t *testing.T, s *Servers) *pop3.Conn {
	t.Helper()
	host, port, _ := net.SplitHostPort(s.POP3Addr)
	cfg := s.TLSConfig()
	cfg.ServerName = host
	p, _ := strconv.Atoi(port)
	c, err := pop3.New(pop3.Opt{Host: host, Port: p, Dialer: tlsDialer{cfg}}).NewConn()
	if err != nil {
		t.Fatalf("NewConn() error = %v", err)
	}
	if err := c.Auth("bob", "password"); err != nil {
		t.Fatalf("Auth() error = %v", err)
	}
	return c
}

func TestPOP3RetrDeleQuit(t *testing.T) {
	s := startDemo(t, Options{Messages: 10})
	c := popConn(t, s)
	n, size, err := c.Stat()
	if err != nil || n != 10 || size == 0 {
		t.Fatalf("Stat() = %d, %d, %v; want 10 messages", n, size, err)
	}
	uids, err := c.Uidl(0)
	if err != nil || len(uids) != 10 {
		t.Fatalf("Uidl() = %v, %v", uids, err)
	}
	raw, err := c.RetrRaw(1)
	if err != nil {
		t.Fatalf("RetrRaw() error = %v", err)
	}
	if want := s.POP3.Messages("bob")[0].Data; raw.String() != string(want) {
		t.Errorf("RetrRaw(1) differs from the stored message")
	}
	if err := c.Dele(1, 2); err != nil {
		t.Fatalf("Dele() error = %v", err)
	}
	if _, err := c.RetrRaw(1); err == nil {
		t.Error("RetrRaw(deleted) = nil error, want error")
	}
	if err := c.Quit(); err != nil {
		t.Fatalf("Quit() error = %v", err)
	}
	c = popConn(t, s)
	defer c.Quit()
	after, err := c.Uidl(0)
	if err != nil || len(after) != 8 {
		t.Fatalf("after reconnect Uidl() = %v, %v; want 8", after, err)
	}
	if after[0].UID != uids[2].UID {
		t.Errorf("first UIDL after delete = %q, want %q (stable UIDLs)", after[0].UID, uids[2].UID)
	}
}

func TestPOP3InUse(t *testing.T) {
	s := startDemo(t, Options{Messages: 2})
	c := popConn(t, s)
	defer c.Quit()
	host, port, _ := net.SplitHostPort(s.POP3Addr)
	cfg := s.TLSConfig()
	cfg.ServerName = host
	p, _ := strconv.Atoi(port)
	c2, err := pop3.New(pop3.Opt{Host: host, Port: p, Dialer: tlsDialer{cfg}}).NewConn()
	if err != nil {
		t.Fatalf("NewConn() error = %v", err)
	}
	defer c2.Quit()
	if err := c2.Auth("bob", "password"); err == nil || !strings.Contains(err.Error(), "[IN-USE]") {
		t.Errorf("second Auth() error = %v, want [IN-USE]", err)
	}
}

func TestSMTPDelivery(t *testing.T) {
	s := startDemo(t, Options{Messages: 3})
	cfg := s.TLSConfig()
	cfg.ServerName = "127.0.0.1"
	c, err := smtp.DialStartTLS(s.SMTPAddr, cfg)
	if err != nil {
		t.Fatalf("DialStartTLS() error = %v", err)
	}
	defer c.Close()
	if err := c.Auth(sasl.NewPlainClient("", "alice", "password")); err != nil {
		t.Fatalf("Auth() error = %v", err)
	}
	msg := "From: alice@work.example\r\nTo: bob@home.example, alice@work.example\r\nSubject: hello\r\n\r\n.leading dot\r\nbody\r\n"
	if err := c.SendMail("alice@work.example", []string{"bob@home.example", "alice@work.example"}, strings.NewReader(msg)); err != nil {
		t.Fatalf("SendMail() error = %v", err)
	}
	err = c.SendMail("alice@work.example", []string{"nobody@work.example"}, strings.NewReader(msg))
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 550 {
		t.Errorf("SendMail(unknown rcpt) error = %v, want 550", err)
	}
	c.Quit()

	msgs := s.POP3.Messages("bob")
	if len(msgs) != 4 || string(msgs[3].Data) != msg {
		t.Errorf("bob's maildrop: %d messages, last = %q; want the sent message", len(msgs), msgs[len(msgs)-1].Data)
	}
	st, err := dialIMAP(t, s).Status("INBOX", &imap.StatusOptions{NumMessages: true}).Wait()
	if err != nil || *st.NumMessages != 4 {
		t.Errorf("alice INBOX status = %v, %v; want 4 messages", st, err)
	}
}

func TestSMTPAuthRules(t *testing.T) {
	s := startDemo(t, Options{Messages: 1})
	plain, err := smtp.Dial(s.SMTPAddr)
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	if ok, _ := plain.Extension("AUTH"); ok {
		t.Error("AUTH advertised before STARTTLS")
	}
	if err := plain.Mail("alice@work.example", nil); err == nil {
		t.Error("MAIL without auth accepted")
	}
	cfg := s.TLSConfig()
	cfg.ServerName = "localhost"
	c, err := smtp.DialTLS(s.SMTPSAddr, cfg)
	if err != nil {
		t.Fatalf("DialTLS() error = %v", err)
	}
	defer c.Close()
	err = c.Auth(sasl.NewPlainClient("", "bob", "nope"))
	if se, ok := err.(*smtp.SMTPError); !ok || se.Code != 535 {
		t.Errorf("Auth(bad password) error = %v, want 535", err)
	}
	if err := c.Auth(sasl.NewLoginClient("bob", "password")); err != nil {
		t.Errorf("Auth(LOGIN) error = %v", err)
	}
}
