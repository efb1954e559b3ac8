// Package demo runs embedded mail servers on 127.0.0.1 for `posta demo`,
// tests and benchmarks: IMAP (go-imap's in-memory server), POP3 (the
// small server in demo/pop3server) and SMTP submission (go-smtp) that
// delivers into both, all behind one self-signed certificate generated at
// start. The mailboxes are seeded with deterministic generated mail.
//
// # Accounts
//
// "work" is alice@work.example on IMAP, "home" is bob@home.example on
// POP3; both log in with the password "password". Alice's folders are
// INBOX, Sent, Drafts, Trash, Archive (with special-use attributes) and
// Projects/posta.
package demo

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"sync"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapserver"
	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/demo/pop3server"
)

// Options configures Start. The zero value is ready to use.
type Options struct {
	Messages int   // messages in EACH account's INBOX; 0 means 120
	Seed     int64 // generator seed; 0 means a fixed default
	// Showcase adds invitations and mailing-list mail to alice's INBOX
	// and serves their one-click unsubscribe address (seed_invites.go).
	Showcase bool
}

// Account is one demo account.
type Account struct {
	Name, Kind, Address, Username, Password string // Kind is "imap" or "pop3"
}

// Servers is a running set of demo servers.
type Servers struct {
	IMAPAddr         string // implicit TLS (IMAPS)
	IMAPStartTLSAddr string // plain, offers STARTTLS
	POP3Addr         string // implicit TLS (POP3S)
	POP3STLSAddr     string // plain, offers STLS
	SMTPAddr         string // submission: plain + STARTTLS, AUTH only after TLS
	SMTPSAddr        string // implicit TLS submission
	CACertPEM        []byte // the certificate clients must trust
	UnsubscribeURL   string // with Options.Showcase: the lists' HTTPS server
	Accounts         []Account
	// POP3 is the POP3 server, for tests that inspect or tune it.
	POP3 *pop3server.Server

	serverTLS *tls.Config
	imapUsers map[string]*imapUser
	imap      *imapserver.Server
	smtp      []*smtp.Server

	showcase *showcase

	mu      sync.Mutex
	pop3Up  bool
	closers []net.Listener
}

// DefaultSeed is the seed used when Options.Seed is zero.
const DefaultSeed = 20240601

const demoPassword = "password"

// Start generates the certificate, seeds the mailboxes and starts every
// server on 127.0.0.1 with free ports.
func Start(opts Options) (*Servers, error) {
	if opts.Messages <= 0 {
		opts.Messages = 120
	}
	if opts.Seed == 0 {
		opts.Seed = DefaultSeed
	}
	cert, certPEM, err := newCertificate()
	if err != nil {
		return nil, err
	}
	s := &Servers{
		CACertPEM: certPEM,
		Accounts: []Account{
			{Name: "work", Kind: "imap", Address: "alice@work.example", Username: "alice", Password: demoPassword},
			{Name: "home", Kind: "pop3", Address: "bob@home.example", Username: "bob", Password: demoPassword},
		},
		serverTLS: &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12},
		imapUsers: map[string]*imapUser{"alice": newIMAPUser("alice", demoPassword)},
		POP3:      pop3server.New(),
	}
	s.POP3.TLSConfig = s.serverTLS
	s.POP3.AddUser("bob", demoPassword)
	if err := s.seed(opts); err != nil {
		return nil, err
	}
	if err := s.listen(); err != nil {
		s.Close()
		return nil, err
	}
	if opts.Showcase {
		if err := s.startShowcase(time.Now()); err != nil {
			s.Close()
			return nil, err
		}
	}
	return s, nil
}

func (s *Servers) listen() error {
	plain := func() (net.Listener, error) { return net.Listen("tcp", "127.0.0.1:0") }
	secure := func() (net.Listener, error) { return tls.Listen("tcp", "127.0.0.1:0", s.serverTLS) }
	var lns [6]net.Listener
	for i := range lns {
		open := plain
		if i%2 == 0 {
			open = secure
		}
		ln, err := open()
		if err != nil {
			return fmt.Errorf("demo: listen: %w", err)
		}
		lns[i] = ln
		s.closers = append(s.closers, ln)
	}
	s.IMAPAddr, s.IMAPStartTLSAddr = lns[0].Addr().String(), lns[1].Addr().String()
	s.POP3Addr, s.POP3STLSAddr = lns[2].Addr().String(), lns[3].Addr().String()
	s.SMTPSAddr, s.SMTPAddr = lns[4].Addr().String(), lns[5].Addr().String()
	s.closers = s.closers[:0] // POP3 listeners are owned by the POP3 server
	s.closers = append(s.closers, lns[0], lns[1], lns[4], lns[5])

	s.imap = newIMAPServer(s.imapUsers, s.serverTLS)
	go s.imap.Serve(lns[0])
	go s.imap.Serve(lns[1])
	for _, ln := range []net.Listener{lns[4], lns[5]} {
		srv := smtp.NewServer(smtpBackend{s})
		srv.Domain = "localhost"
		srv.TLSConfig = s.serverTLS
		srv.AllowInsecureAuth = false
		srv.MaxMessageBytes = maxMessageBytes
		srv.MaxRecipients = 50
		srv.ReadTimeout, srv.WriteTimeout = 5*time.Minute, 5*time.Minute
		s.smtp = append(s.smtp, srv)
		go srv.Serve(ln)
	}
	s.pop3Up = true
	s.POP3.Start(lns[2], true)
	s.POP3.Start(lns[3], false)
	return nil
}

// Close stops every server and closes every connection.
func (s *Servers) Close() error {
	var errs []error
	for _, srv := range s.smtp {
		errs = append(errs, srv.Close())
	}
	if s.imap != nil {
		errs = append(errs, s.imap.Close())
	}
	errs = append(errs, s.showcase.close())
	for _, ln := range s.closers {
		ln.Close()
	}
	s.mu.Lock()
	s.pop3Up = false
	s.mu.Unlock()
	errs = append(errs, s.POP3.Stop())
	var kept []error
	for _, err := range errs {
		if err != nil && !errors.Is(err, net.ErrClosed) && !errors.Is(err, smtp.ErrServerClosed) {
			kept = append(kept, err)
		}
	}
	return errors.Join(kept...)
}

// TLSConfig returns a client configuration that trusts exactly the demo
// certificate.
func (s *Servers) TLSConfig() *tls.Config {
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(s.CACertPEM)
	return &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}
}

// Deliver stores raw for rcpt (an account address) as SMTP delivery does:
// alice's mail is appended to her IMAP INBOX, bob's to his POP3 maildrop.
func (s *Servers) Deliver(rcpt string, raw []byte) error {
	a, err := s.accountFor(rcpt)
	if err != nil {
		return err
	}
	switch a.Kind {
	case "imap":
		_, err := s.imapUsers[a.Username].mem.Append("INBOX", literal{bytesReader(raw)},
			&imap.AppendOptions{Time: time.Now()})
		return err
	default:
		_, err := s.POP3.Deliver(a.Username, raw)
		return err
	}
}

// StopPOP3 closes both POP3 listeners and cuts every POP3 session (no
// deletions are applied), so clients see the server as down.
func (s *Servers) StopPOP3() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.pop3Up {
		return nil
	}
	s.pop3Up = false
	return s.POP3.Stop()
}

// StartPOP3 listens again on the same two POP3 addresses after StopPOP3.
func (s *Servers) StartPOP3() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pop3Up {
		return nil
	}
	lnTLS, err := tls.Listen("tcp", s.POP3Addr, s.serverTLS)
	if err != nil {
		return fmt.Errorf("demo: relisten %s: %w", s.POP3Addr, err)
	}
	lnPlain, err := net.Listen("tcp", s.POP3STLSAddr)
	if err != nil {
		lnTLS.Close()
		return fmt.Errorf("demo: relisten %s: %w", s.POP3STLSAddr, err)
	}
	s.pop3Up = true
	s.POP3.Start(lnTLS, true)
	s.POP3.Start(lnPlain, false)
	return nil
}
