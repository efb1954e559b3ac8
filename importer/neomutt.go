package importer

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// maxSourceDepth bounds `source` nesting (and loops).
const maxSourceDepth = 10

// Neomutt reads a neomuttrc or muttrc, following `source` lines (~ and
// relative paths), and returns the account its settings describe: from,
// realname, imap_user, imap_pass, folder or spoolfile (an imap[s]://
// URL), pop_host, pop_user, pop_pass, smtp_url, smtp_pass,
// ssl_starttls/ssl_force_tls, the authenticators and the OAuth refresh
// commands. A value in backticks is a command: it becomes
// password_command. home expands ~.
func Neomutt(path, home string) ([]Account, error) {
	vars := map[string]string{}
	cmds := map[string]string{}
	if err := readMuttrc(path, home, vars, cmds, 0); err != nil {
		return nil, err
	}
	a := Account{From: "muttrc"}
	a.DisplayName = first(vars, "real_name", "realname")
	name, addr := splitFrom(vars["from"])
	if a.DisplayName == "" {
		a.DisplayName = name
	}
	a.Address = addr
	starttls := vars["ssl_starttls"] != "no"
	var in server
	var err error
	switch {
	case isURL(vars["folder"], "imap"):
		in, err = parseURL(vars["folder"])
	case isURL(vars["spoolfile"], "imap"), isURL(vars["spool_file"], "imap"):
		in, err = parseURL(first(vars, "spoolfile", "spool_file"))
	case vars["pop_host"] != "":
		h := vars["pop_host"]
		if !strings.Contains(h, "://") {
			h = "pop://" + h
		}
		in, err = parseURL(h)
	default:
		return nil, fmt.Errorf("neomutt: %s: no IMAP folder (folder or spoolfile = imaps://…) or pop_host", path)
	}
	if err != nil {
		return nil, fmt.Errorf("neomutt: %s: %w", path, err)
	}
	if in.security == "starttls" && !starttls && vars["ssl_force_tls"] != "yes" {
		in.security = "none"
		a.note("the %s server was used without TLS (ssl_starttls=no): posta refuses passwords in clear unless allow_plaintext_auth = true", in.kind)
	}
	a.Fetch.Kind = in.kind
	a.Fetch.ServerConfig = in.config()
	prefix := "imap"
	if in.kind == "pop3" {
		prefix = "pop"
	}
	if u := first(vars, prefix+"_user", prefix+"_login"); u != "" {
		a.Fetch.Username = u
	}
	if a.Fetch.Username == "" {
		a.Fetch.Username = a.Address
	}
	if c, ok := cmds[prefix+"_pass"]; ok {
		a.Fetch.PasswordCommand = shell(c)
	} else if p := vars[prefix+"_pass"]; p != "" {
		a.FetchPassword = p
	} else {
		a.FetchPassword = in.password
	}
	if auth := strings.ToLower(vars[prefix+"_authenticators"]); strings.Contains(auth, "oauthbearer") || strings.Contains(auth, "xoauth2") {
		a.Fetch.Auth = "oauthbearer"
		if strings.HasPrefix(strings.SplitN(auth, ":", 2)[0], "xoauth2") {
			a.Fetch.Auth = "xoauth2"
		}
		if c := vars[prefix+"_oauth_refresh_command"]; c != "" {
			a.Fetch.OAuth2TokenCommand = shell(c)
		}
	}
	if smtpURL := vars["smtp_url"]; smtpURL != "" {
		o, err := parseURL(smtpURL)
		if err != nil {
			return nil, fmt.Errorf("neomutt: smtp_url: %w", err)
		}
		a.SMTP = o.config()
		if a.SMTP.Username == "" {
			a.SMTP.Username = a.Fetch.Username
		}
		switch c, ok := cmds["smtp_pass"]; {
		case ok:
			a.SMTP.PasswordCommand = shell(c)
		case vars["smtp_pass"] != "":
			a.SMTPPassword = vars["smtp_pass"]
		case o.password != "":
			a.SMTPPassword = o.password
		default:
			// neomutt falls back on the IMAP password for SMTP.
			a.SMTP.PasswordCommand = a.Fetch.PasswordCommand
			a.SMTPPassword = a.FetchPassword
		}
		if auth := strings.ToLower(vars["smtp_authenticators"]); strings.Contains(auth, "oauthbearer") || strings.Contains(auth, "xoauth2") {
			a.SMTP.Auth = a.Fetch.Auth
			if c := vars["smtp_oauth_refresh_command"]; c != "" {
				a.SMTP.OAuth2TokenCommand = shell(c)
			} else {
				a.SMTP.OAuth2TokenCommand = a.Fetch.OAuth2TokenCommand
			}
			if a.SMTP.Auth == "" {
				a.SMTP.Auth = "oauthbearer"
			}
		}
	} else {
		a.note("no smtp_url (mutt sent mail with sendmail): set [account.smtp]")
	}
	if a.Address == "" {
		a.Address = a.Fetch.Username
		a.note("no from: the address was taken from the login name")
	}
	a.Name = nameFrom(a.Address)
	return []Account{a}, nil
}

func first(vars map[string]string, keys ...string) string {
	for _, k := range keys {
		if v := vars[k]; v != "" {
			return v
		}
	}
	return ""
}

func isURL(v, kind string) bool {
	return strings.HasPrefix(strings.ToLower(v), kind+"://") || strings.HasPrefix(strings.ToLower(v), kind+"s://")
}

// readMuttrc reads the set and source commands of one file.
func readMuttrc(path, home string, vars, cmds map[string]string, depth int) error {
	if depth > maxSourceDepth {
		return fmt.Errorf("neomutt: %s: source nested more than %d deep", path, maxSourceDepth)
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("neomutt: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	var cont string
	for sc.Scan() {
		line := cont + sc.Text()
		cont = ""
		if strings.HasSuffix(line, `\`) {
			cont = strings.TrimSuffix(line, `\`)
			continue
		}
		words := muttWords(line)
		if len(words) == 0 {
			continue
		}
		switch words[0].text {
		case "source":
			if len(words) < 2 {
				continue
			}
			p := expandHome(words[1].text, home)
			if !filepath.IsAbs(p) {
				p = filepath.Join(filepath.Dir(path), p)
			}
			if strings.HasSuffix(p, "|") {
				continue // the output of a command: not followed
			}
			if err := readMuttrc(p, home, vars, cmds, depth+1); err != nil {
				return err
			}
		case "set":
			for i := 1; i < len(words); i++ {
				k := words[i].text
				if i+2 < len(words) && words[i+1].text == "=" && !words[i+1].quoted {
					v := words[i+2]
					if v.command {
						cmds[k] = v.text
					} else {
						vars[k] = v.text
						delete(cmds, k)
					}
					i += 2
					continue
				}
				// A boolean: set x, set nox.
				if strings.HasPrefix(k, "no") {
					vars[k[2:]] = "no"
				} else {
					vars[k] = "yes"
				}
			}
		}
	}
	return sc.Err()
}

// muttWord is one word of a muttrc line.
type muttWord struct {
	text    string
	quoted  bool
	command bool // the whole word was a `command`
}

// muttWords splits a muttrc line into words: quotes ('…', "…"),
// backslash escapes, # comments, "=" as a word of its own, and a word
// that is entirely `…` marked as a command.
func muttWords(line string) []muttWord {
	var words []muttWord
	var cur strings.Builder
	in := false
	var w muttWord
	flush := func() {
		if in {
			w.text = cur.String()
			if t := strings.TrimSpace(w.text); len(t) >= 2 && t[0] == '`' && t[len(t)-1] == '`' {
				w.text, w.command = t[1:len(t)-1], true
			}
			words = append(words, w)
		}
		cur.Reset()
		in, w = false, muttWord{}
	}
	for i := 0; i < len(line); i++ {
		ch := line[i]
		switch {
		case ch == '#':
			flush()
			return words
		case ch == ' ' || ch == '\t' || ch == ';':
			flush()
		case ch == '=':
			flush()
			words = append(words, muttWord{text: "="})
		case ch == '\\' && i+1 < len(line):
			i++
			cur.WriteByte(line[i])
			in = true
		case ch == '"' || ch == '\'' || ch == '`':
			end := strings.IndexByte(line[i+1:], ch)
			if end < 0 {
				end = len(line) - i - 1
			}
			part := line[i+1 : i+1+end]
			if ch == '`' {
				part = "`" + part + "`"
			} else {
				w.quoted = true
			}
			cur.WriteString(part)
			in = true
			i += end + 1
		default:
			cur.WriteByte(ch)
			in = true
		}
	}
	flush()
	return words
}

func expandHome(p, home string) string {
	if p == "~" {
		return home
	}
	if strings.HasPrefix(p, "~/") {
		return filepath.Join(home, p[2:])
	}
	return p
}
