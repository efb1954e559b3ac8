package importer

import (
	"fmt"
	"sort"

	"github.com/BurntSushi/toml"

	"github.com/posta-mail/posta/accounts"
)

type serverConfig = accounts.ServerConfig

// Himalaya reads himalaya's config.toml: version 1's [accounts.NAME]
// tables (backend.* for IMAP, message.send.backend.* for SMTP, with
// auth.cmd, auth.raw or auth.keyring), and the older top-level tables
// with imap-host, imap-passwd-cmd, smtp-host… keys.
func Himalaya(data string) ([]Account, []string, error) {
	var raw map[string]any
	if _, err := toml.Decode(data, &raw); err != nil {
		return nil, nil, fmt.Errorf("himalaya: %w", err)
	}
	tables := map[string]map[string]any{}
	if accts, ok := raw["accounts"].(map[string]any); ok {
		for name, v := range accts {
			if t, ok := v.(map[string]any); ok {
				tables[name] = t
			}
		}
	} else {
		for name, v := range raw {
			if t, ok := v.(map[string]any); ok {
				if _, isAccount := t["email"]; isAccount {
					tables[name] = t
				}
			}
		}
	}
	names := make([]string, 0, len(tables))
	for n := range tables {
		names = append(names, n)
	}
	sort.Strings(names)
	// The default account first, then by name.
	sort.SliceStable(names, func(i, j int) bool {
		return boolAt(tables[names[i]], "default") && !boolAt(tables[names[j]], "default")
	})
	var out []Account
	var skipped []string
	globalName := strAt(raw, "display-name")
	if globalName == "" {
		globalName = strAt(raw, "name")
	}
	for _, n := range names {
		t := tables[n]
		a := Account{From: "himalaya config.toml [" + n + "]"}
		a.Name = nameFrom(n)
		a.Address = strAt(t, "email")
		a.DisplayName = strAt(t, "display-name")
		if a.DisplayName == "" {
			a.DisplayName = strAt(t, "name")
		}
		if a.DisplayName == "" {
			a.DisplayName = globalName
		}
		a.Signature = strAt(t, "signature")
		var ok bool
		if _, v1 := t["backend"].(map[string]any); v1 {
			ok = himalayaV1(&a, t)
		} else {
			ok = himalayaOld(&a, t)
		}
		if !ok {
			skipped = append(skipped, fmt.Sprintf("[%s]: not an IMAP account (maildir and notmuch are not supported)", n))
			continue
		}
		if a.Fetch.Username == "" {
			a.Fetch.Username = a.Address
		}
		out = append(out, a)
	}
	return out, skipped, nil
}

func himalayaV1(a *Account, t map[string]any) bool {
	b := tableAt(t, "backend")
	if strAt(b, "type") != "imap" {
		return false
	}
	a.Fetch.Kind = "imap"
	a.Fetch.ServerConfig, a.FetchPassword = himalayaServer(a, b, "imap")
	send := tableAt(tableAt(tableAt(t, "message"), "send"), "backend")
	switch strAt(send, "type") {
	case "smtp":
		a.SMTP, a.SMTPPassword = himalayaServer(a, send, "smtp")
	case "":
		a.note("no message.send.backend: set [account.smtp]")
	default:
		a.note("himalaya sent mail with %q; posta needs an SMTP server: set [account.smtp]", strAt(send, "type"))
	}
	return true
}

// himalayaServer reads a version 1 backend table.
func himalayaServer(a *Account, b map[string]any, kind string) (s serverConfig, password string) {
	s.Host = strAt(b, "host")
	s.Port = intAt(b, "port")
	enc := strAt(b, "encryption")
	if enc == "" {
		enc = strAt(tableAt(b, "encryption"), "type")
	}
	switch enc {
	case "", "tls":
		s.Security = "tls"
	case "start-tls", "starttls":
		s.Security = "starttls"
	case "none":
		s.Security = "none"
		a.note("%s without TLS: posta refuses passwords in clear unless allow_plaintext_auth = true", kind)
	}
	if s.Port == 0 {
		s.Port = map[string]int{"imap": 993, "smtp": 465}[kind]
		if s.Security == "starttls" {
			s.Port = map[string]int{"imap": 143, "smtp": 587}[kind]
		}
	}
	s.Username = strAt(b, "login")
	auth := tableAt(b, "auth")
	switch strAt(auth, "type") {
	case "oauth2":
		s.Auth = "xoauth2"
		if strAt(auth, "method") == "oauthbearer" {
			s.Auth = "oauthbearer"
		}
		a.note("%s signs in with OAuth2: set oauth2_provider or oauth2_token_command, then posta oauth %s", kind, a.Name)
	default:
		switch {
		case strAt(auth, "cmd") != "":
			s.PasswordCommand = shell(strAt(auth, "cmd"))
		case strAt(auth, "raw") != "":
			password = strAt(auth, "raw")
		case strAt(auth, "keyring") != "":
			a.note("the %s password was in himalaya's keyring entry %q: run posta login %s", kind, strAt(auth, "keyring"), a.Name)
		}
	}
	return s, password
}

// himalayaOld reads the keys of himalaya before version 1.
func himalayaOld(a *Account, t map[string]any) bool {
	if b := strAt(t, "backend"); b != "" && b != "imap" {
		return false
	}
	if strAt(t, "imap-host") == "" {
		return false
	}
	read := func(p string) (serverConfig, string) {
		var s serverConfig
		s.Host = strAt(t, p+"-host")
		s.Port = intAt(t, p+"-port")
		s.Username = strAt(t, p+"-login")
		s.Security = "tls"
		if boolAt(t, p+"-starttls") {
			s.Security = "starttls"
		} else if v, ok := t[p+"-ssl"].(bool); ok && !v {
			s.Security = "none"
		}
		cmd := strAt(t, p+"-passwd-cmd")
		if cmd == "" {
			cmd = strAt(tableAt(t, p+"-passwd"), "cmd")
		}
		if cmd != "" {
			s.PasswordCommand = shell(cmd)
		}
		return s, strAt(tableAt(t, p+"-passwd"), "raw")
	}
	a.Fetch.Kind = "imap"
	a.Fetch.ServerConfig, a.FetchPassword = read("imap")
	if strAt(t, "smtp-host") != "" {
		a.SMTP, a.SMTPPassword = read("smtp")
	} else {
		a.note("no smtp-host: set [account.smtp]")
	}
	return true
}

func tableAt(t map[string]any, k string) map[string]any {
	v, _ := t[k].(map[string]any)
	return v
}

func strAt(t map[string]any, k string) string {
	v, _ := t[k].(string)
	return v
}

func intAt(t map[string]any, k string) int {
	v, _ := t[k].(int64)
	return int(v)
}

func boolAt(t map[string]any, k string) bool {
	v, _ := t[k].(bool)
	return v
}
