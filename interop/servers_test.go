//go:build interop

package interop

// The server table: the protocol tests in servers_*_test.go run against
// every server that offers the feature: Dovecot and Postfix from
// scripts/mailstack.sh; Cyrus, Courier, maddy and OpenSMTPD from
// scripts/mailstack-more.sh, whose `env` sets MAILSTACK_<SERVER>_*
// (or MAILSTACK_<SERVER>_SKIP with the reason a server is not running):
//
//	bash scripts/mailstack-more.sh up && eval "$(bash scripts/mailstack-more.sh env)"
//
// Each server's known deviations are written in its row, with the reason.

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
	"github.com/posta-mail/posta/protocols/pop3"
	"github.com/posta-mail/posta/protocols/smtp"
)

// deviations are a server's known departures from what posta can expect
// of most servers. Each is true only with a reason in the row's notes.
type deviations struct {
	noUIDPlus      bool // no UIDPLUS: no COPYUID after MOVE/COPY, posta finds the new UID itself
	noMove         bool // no MOVE: posta moves with COPY + \Deleted + EXPUNGE
	noSpecialUse   bool // no SPECIAL-USE: posta finds Sent, Trash… by name
	lowerKeywords  bool // keywords are stored in lower case
	eightBitToX    bool // raw 8-bit header bytes are replaced by 'X' on delivery
	noUpdatePipe   bool // changes made on one connection are not pushed to another's IDLE
	refusesBadMIME bool // APPEND refuses some malformed MIME
	authTemporary  bool // submission answers a wrong password with 454 (temporary), not 535
}

// server is one row of the table.
type server struct {
	name    string // "dovecot", "cyrus", …
	version string
	skip    string // why the server is not there; "" when it runs
	roots   *x509.CertPool

	imapTLS, imapStartTLS string // "" when the server has no IMAP
	pop3TLS, pop3STLS     string // "" when it has no POP3
	submission, smtps     string // "" when it has no submission service
	// prefix is where a user may create folders ("INBOX." on Courier).
	prefix string
	// roles maps each special-use role to the folder name the server has.
	roles map[mail.Role]string
	// deliversTo names the IMAP row that mail submitted here reaches for
	// bob; maildir is the folder it reaches instead, when it is not IMAP.
	deliversTo, maildir string
	dev                 deviations
	notes               []string // the deviations, with their reasons
}

func rolesUnder(prefix string) map[mail.Role]string {
	return map[mail.Role]string{
		mail.RoleSent: prefix + "Sent", mail.RoleDrafts: prefix + "Drafts", mail.RoleTrash: prefix + "Trash",
		mail.RoleArchive: prefix + "Archive", mail.RoleJunk: prefix + "Junk",
	}
}

// allServers reads the table from the environment. A row whose server is
// not running has skip set.
func allServers(t *testing.T) []*server {
	t.Helper()
	rows := []*server{
		{
			name: "dovecot", version: "Dovecot 2.3 (Debian 12)", roles: rolesUnder(""),
			imapTLS: os.Getenv("MAILSTACK_IMAP"), imapStartTLS: os.Getenv("MAILSTACK_IMAP_STARTTLS"),
			pop3TLS: os.Getenv("MAILSTACK_POP3"), pop3STLS: os.Getenv("MAILSTACK_POP3_STLS"),
		},
		{
			name: "postfix", version: "Postfix 3.7 (Debian 12)", deliversTo: "dovecot",
			submission: os.Getenv("MAILSTACK_SMTP"), smtps: os.Getenv("MAILSTACK_SMTPS"),
		},
		{
			name: "cyrus", prefix: "INBOX/", roles: rolesUnder("INBOX/"),
			dev: deviations{eightBitToX: true},
			notes: []string{
				"folders live under INBOX/ (unixhierarchysep, no altnamespace): user folders cannot be top-level",
				"special-use flags come in lower case (\\sent, \\trash): RFC 6154 flags are case-insensitive",
				"raw 8-bit header bytes are replaced by 'X' on delivery (reject8bit: no, munge8bit: yes by default)",
				"post-login CAPABILITY lists LOGINDISABLED even over TLS, although LOGIN works there",
			},
		},
		{
			name: "courier", prefix: "INBOX.", roles: rolesUnder("INBOX."),
			dev: deviations{noMove: true, noSpecialUse: true},
			notes: []string{
				"folders live under INBOX. (Maildir++ namespace)",
				"no SPECIAL-USE: Sent, Trash… are found by name",
				"no MOVE: a move is COPY (with COPYUID) + \\Deleted + UID EXPUNGE",
				"its POP3 server replaces a message with raw UTF-8 headers by a notice unless the client sends UTF8 (RFC 6856)",
				"the implicit-TLS port still lists STARTTLS before login",
			},
		},
		{
			name: "maddy", roles: rolesUnder(""), deliversTo: "maddy",
			dev: deviations{noUIDPlus: true, lowerKeywords: true, noUpdatePipe: true, refusesBadMIME: true, authTemporary: true},
			notes: []string{
				"no UIDPLUS: no COPYUID, posta finds a moved message's UID in the target folder itself",
				"keywords are stored in lower case ($Label1 comes back as $label1)",
				"built with CGO_ENABLED=0, its pure-Go SQLite has no update pipe: another connection's changes are seen on the next command, not pushed",
				"a folder's message counter can drop by two on an EXPUNGE (seen in a folder that already held a message moved there); once below zero, STATUS of that folder fails with 'I/O error' and LIST-STATUS leaves it out: the suite passes on a fresh maddy, re-runs may need `mailstack-more.sh stop maddy`, removing its state folder, and `start maddy`",
				"submission answers a wrong password with 454 4.7.0 (temporary failure) instead of 535: posta retries such a message later instead of reporting a wrong password",
				"APPEND refuses some malformed MIME; mail that reaches it otherwise can get a multipart BODYSTRUCTURE with no parts, which go-imap cannot parse (issue 17, bug 1)",
			},
		},
		{
			name: "opensmtpd", notes: []string{"delivers to a Maildir (no IMAP server behind it in this stack)"},
		},
	}
	for _, r := range rows {
		switch r.name {
		case "dovecot", "postfix":
			if os.Getenv("MAILSTACK_IMAP") == "" {
				r.skip = "MAILSTACK_IMAP not set: run scripts/mailstack.sh up and eval its env"
				continue
			}
			r.roots = loadRoots(t, os.Getenv("MAILSTACK_CA"))
			continue
		}
		env := func(k string) string { return os.Getenv("MAILSTACK_" + strings.ToUpper(r.name) + "_" + k) }
		if why := env("SKIP"); why != "" {
			r.skip = r.name + " is not running: " + why
			continue
		}
		r.version = env("VERSION")
		if r.version == "" {
			r.skip = "MAILSTACK_" + strings.ToUpper(r.name) + "_VERSION not set: run scripts/mailstack-more.sh up and eval its env"
			continue
		}
		r.roots = loadRoots(t, os.Getenv("MAILSTACK_MORE_CA"))
		r.imapTLS, r.imapStartTLS = env("IMAP"), env("IMAP_STARTTLS")
		r.pop3TLS, r.pop3STLS = env("POP3"), env("POP3_STLS")
		r.submission, r.smtps = env("SMTP"), env("SMTPS")
		r.maildir = env("MAILDIR")
	}
	return rows
}

func loadRoots(t *testing.T, file string) *x509.CertPool {
	t.Helper()
	pem, err := os.ReadFile(file)
	if err != nil {
		t.Fatalf("read the stack's CA: %v", err)
	}
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(pem) {
		t.Fatalf("%s holds no certificate", file)
	}
	return roots
}

// row returns the named row of the table.
func row(t *testing.T, name string) *server {
	t.Helper()
	for _, s := range allServers(t) {
		if s.name == name {
			return s
		}
	}
	t.Fatalf("no server %q in the table", name)
	return nil
}

// forEach runs fn as a subtest for every server that has the feature
// (has reports it), skipping with the reason the servers that are down.
func forEach(t *testing.T, has func(*server) bool, fn func(t *testing.T, s *server)) {
	t.Helper()
	for _, s := range allServers(t) {
		if !has(s) {
			continue
		}
		t.Run(s.name, func(t *testing.T) {
			if s.skip != "" {
				t.Skip(s.skip)
			}
			t.Logf("%s", s.version)
			fn(t, s)
		})
	}
}

func hasIMAP(s *server) bool { return s.roles != nil }
func hasPOP3(s *server) bool { return s.name == "dovecot" || s.name == "cyrus" || s.name == "courier" }
func hasSubmission(s *server) bool {
	return s.name == "postfix" || s.name == "maddy" || s.name == "opensmtpd"
}

func (s *server) imapFetcher(t *testing.T, sec protocols.Security, user, pass string) *imap.Fetcher {
	t.Helper()
	addr := s.imapTLS
	if sec == protocols.SecurityStartTLS {
		addr = s.imapStartTLS
	}
	f := imap.New(imap.Options{Endpoint: endpoint(t, addr, sec, user, pass, s.roots)})
	t.Cleanup(func() { f.Close() })
	return f
}

func (s *server) pop3Fetcher(t *testing.T, sec protocols.Security, user, pass string, leave bool) *pop3.Fetcher {
	t.Helper()
	addr := s.pop3TLS
	if sec == protocols.SecurityStartTLS {
		addr = s.pop3STLS
	}
	f := pop3.New(pop3.Options{Endpoint: endpoint(t, addr, sec, user, pass, s.roots), LeaveOnServer: leave})
	t.Cleanup(func() { f.Close() })
	return f
}

func (s *server) sender(t *testing.T, sec protocols.Security, user, pass string) *smtp.Sender {
	t.Helper()
	addr := s.submission
	if sec == protocols.SecurityTLS {
		addr = s.smtps
	}
	return smtp.New(smtp.Options{Endpoint: endpoint(t, addr, sec, user, pass, s.roots)})
}

// rawIMAP logs user in with go-imap directly, over implicit TLS: the
// server's own view, independent of posta.
func (s *server) rawIMAP(t *testing.T, user, pass string) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(s.imapTLS, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: s.roots, ServerName: "127.0.0.1"}})
	if err != nil {
		t.Fatalf("%s: dial %s: %v", s.name, s.imapTLS, err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login(user, pass).Wait(); err != nil {
		t.Fatalf("%s: login %s: %v", s.name, user, err)
	}
	return c
}

// TestServerTable lists the servers, their versions and deviations, and
// which of them run.
func TestServerTable(t *testing.T) {
	for _, s := range allServers(t) {
		state := "running"
		if s.skip != "" {
			state = "SKIPPED: " + s.skip
		}
		t.Logf("%-9s %-28s %s", s.name, s.version, state)
		for _, n := range s.notes {
			t.Logf("          deviation: %s", n)
		}
	}
}
