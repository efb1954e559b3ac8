package importer

import (
	"bufio"
	"fmt"
	"io"
	"strings"
)

// Aerc reads aerc's accounts.conf: an INI file with one [section] per
// account (options before the first section are global defaults).
// Maildir, notmuch and JMAP accounts are skipped with a note in the
// error list; sendmail outgoing is noted.
func Aerc(r io.Reader) ([]Account, []string, error) {
	type section struct {
		name string
		kv   map[string]string
	}
	global := map[string]string{}
	var sections []*section
	cur := global
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' || line[0] == ';' {
			continue
		}
		if strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]") {
			s := &section{name: strings.TrimSpace(line[1 : len(line)-1]), kv: map[string]string{}}
			sections = append(sections, s)
			cur = s.kv
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			return nil, nil, fmt.Errorf("aerc: line %d: not key = value", n)
		}
		cur[strings.TrimSpace(k)] = unquoteINI(strings.TrimSpace(v))
	}
	if err := sc.Err(); err != nil {
		return nil, nil, fmt.Errorf("aerc: %w", err)
	}
	var out []Account
	var skipped []string
	for _, s := range sections {
		get := func(k string) string {
			if v, ok := s.kv[k]; ok {
				return v
			}
			return global[k]
		}
		a := Account{From: "aerc accounts.conf [" + s.name + "]"}
		a.Name = nameFrom(s.name)
		a.DisplayName, a.Address = splitFrom(get("from"))
		in, err := parseURL(get("source"))
		if err != nil || in.kind == "smtp" {
			skipped = append(skipped, fmt.Sprintf("[%s]: source %q is not an IMAP server posta can use", s.name, redactURL(get("source"))))
			continue
		}
		a.Fetch.Kind = in.kind
		a.Fetch.ServerConfig = in.config()
		if in.security == "none" {
			a.note("aerc reached %s without TLS (+insecure): posta refuses to send a password in clear unless allow_plaintext_auth = true", in.host)
		}
		a.FetchPassword = in.password
		if cmd := get("source-cred-cmd"); cmd != "" && in.password == "" {
			a.Fetch.PasswordCommand = shell(cmd)
		}
		outgoing := get("outgoing")
		switch {
		case outgoing == "":
			a.note("no outgoing server: set [account.smtp]")
		case strings.HasPrefix(outgoing, "/") || !strings.Contains(outgoing, "://"):
			a.note("aerc sent mail with the program %q; posta needs an SMTP server: set [account.smtp]", outgoing)
		default:
			o, err := parseURL(outgoing)
			if err != nil || o.kind != "smtp" {
				a.note("outgoing %q is not an SMTP server: set [account.smtp]", redactURL(outgoing))
				break
			}
			a.SMTP = o.config()
			a.SMTPPassword = o.password
			if cmd := get("outgoing-cred-cmd"); cmd != "" && o.password == "" {
				a.SMTP.PasswordCommand = shell(cmd)
			}
		}
		for _, sc := range []*struct {
			auth string
			n    string
		}{{a.Fetch.Auth, "source"}, {a.SMTP.Auth, "outgoing"}} {
			if sc.auth == "xoauth2" || sc.auth == "oauthbearer" {
				a.note("%s signs in with OAuth2: set oauth2_provider (gmail, microsoft) and run posta oauth %s, or oauth2_token_command", sc.n, a.Name)
			}
		}
		if a.Address == "" {
			a.Address = a.Fetch.Username
			a.note("no from = in aerc: the address was taken from the login name")
		}
		out = append(out, a)
	}
	return out, skipped, nil
}

// unquoteINI removes the double quotes aerc allows around a value.
func unquoteINI(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		return v[1 : len(v)-1]
	}
	return v
}

// redactURL hides a password in a URL for messages.
func redactURL(raw string) string {
	scheme, rest, ok := strings.Cut(raw, "://")
	if !ok {
		return raw
	}
	at := strings.LastIndexByte(rest, '@')
	if at < 0 {
		return raw
	}
	user, _, _ := strings.Cut(rest[:at], ":")
	return scheme + "://" + user + "@" + rest[at+1:]
}
