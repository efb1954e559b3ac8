// Package importer reads the accounts other mail clients have written
// down (aerc's accounts.conf, a neomutt or mutt muttrc, himalaya's
// config.toml) and turns them into posta accounts for `posta import`.
//
// Passwords found in clear are never put in the accounts: they are
// returned apart (Account.Passwords), for the caller to move to the OS
// keyring if the user agrees. Commands that print a password become
// password_command (through sh -c, as those programs run them).
package importer

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/posta-mail/posta/accounts"
)

// Account is one imported account.
type Account struct {
	accounts.AccountConfig
	// From names where it came from ("aerc accounts.conf [Work]").
	From string
	// Password is a password written in clear in the source file for
	// the fetch server and the SMTP server ("" if none).
	FetchPassword, SMTPPassword string
	// Notes are remarks for the user to review.
	Notes []string
}

func (a *Account) note(format string, args ...any) {
	a.Notes = append(a.Notes, fmt.Sprintf(format, args...))
}

// shell is how the imported programs run a command line: sh -c.
func shell(cmd string) []string {
	cmd = strings.TrimSpace(cmd)
	if cmd == "" {
		return nil
	}
	return []string{"sh", "-c", cmd}
}

// server is a server read from a URL such as imaps://user@host:993.
type server struct {
	kind     string // imap, pop3, smtp
	security string
	host     string
	port     int
	user     string
	password string
	auth     string // "", login, xoauth2, oauthbearer
}

// parseURL reads a mail server URL. Schemes: imap, imaps, pop, pops,
// pop3, pop3s, smtp, smtps, with aerc's +insecure and +auth suffixes.
// startTLS says what a scheme without s means (STARTTLS in aerc and
// neomutt's default).
func parseURL(raw string) (server, error) {
	var s server
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return s, err
	}
	scheme, extra, _ := strings.Cut(strings.ToLower(u.Scheme), "+")
	secure := strings.HasSuffix(scheme, "s")
	base := strings.TrimSuffix(scheme, "s")
	switch base {
	case "imap":
		s.kind, s.port = "imap", 143
		if secure {
			s.port = 993
		}
	case "pop", "pop3":
		s.kind, s.port = "pop3", 110
		if secure {
			s.port = 995
		}
	case "smtp":
		s.kind, s.port = "smtp", 587
		if secure {
			s.port = 465
		}
	default:
		return s, fmt.Errorf("%s: not an IMAP, POP3 or SMTP URL", u.Scheme)
	}
	s.security = "starttls"
	if secure {
		s.security = "tls"
	}
	switch extra {
	case "", "plain":
	case "insecure":
		s.security = "none"
	case "login", "xoauth2", "oauthbearer":
		s.auth = extra
	case "none":
	default:
		return s, fmt.Errorf("%s: unknown %q", u.Scheme, extra)
	}
	s.host = u.Hostname()
	if p := u.Port(); p != "" {
		n, err := strconv.Atoi(p)
		if err != nil {
			return s, fmt.Errorf("port %q", p)
		}
		s.port = n
	}
	if u.User != nil {
		s.user = u.User.Username()
		s.password, _ = u.User.Password()
	}
	if s.host == "" {
		return s, fmt.Errorf("%s: no host", raw)
	}
	return s, nil
}

func (s server) config() accounts.ServerConfig {
	return accounts.ServerConfig{Host: s.host, Port: s.port, Security: s.security, Username: s.user, Auth: s.auth}
}

// nameFrom makes an account name posta accepts from a section name or
// an address.
func nameFrom(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	if at := strings.IndexByte(s, '@'); at >= 0 {
		s = strings.SplitN(s[at+1:], ".", 2)[0]
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ' || r == '.':
			b.WriteByte('-')
		}
	}
	if b.Len() == 0 {
		return "mail"
	}
	return b.String()
}

// splitFrom reads "Name <addr>" or a bare address.
func splitFrom(from string) (name, addr string) {
	from = strings.TrimSpace(from)
	if i := strings.LastIndexByte(from, '<'); i >= 0 && strings.HasSuffix(from, ">") {
		return strings.Trim(strings.TrimSpace(from[:i]), `"`), from[i+1 : len(from)-1]
	}
	return "", from
}
