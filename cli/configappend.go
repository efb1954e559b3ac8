package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/discover"
	"github.com/posta-mail/posta/sanitize"
)

// tomlString writes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, "\\u%04X", r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

func tomlStrings(list []string) string {
	q := make([]string, len(list))
	for i, s := range list {
		q[i] = tomlString(s)
	}
	return "[" + strings.Join(q, ", ") + "]"
}

// accountBlock writes an account as a commented [[account]] table.
func accountBlock(ac accounts.AccountConfig, found *discover.Result, now time.Time) string {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, format+"\n", args...) }
	line("")
	// A TOML comment may hold no control character but tab: what
	// discovery found (DNS, a domain's documents) is made safe first.
	line("# %s added by posta setup on %s.", sanitize.Line(ac.Address), now.Format("2006-01-02"))
	if found != nil {
		line("# Settings from %s.", sanitize.Line(found.Source))
		for _, n := range found.Notes {
			line("# Note: %s", sanitize.Line(n))
		}
	}
	line("# Check it with: posta config check")
	accountTOML(&b, ac)
	return b.String()
}

// accountTOML writes the keys of an account that are set.
func accountTOML(b *strings.Builder, ac accounts.AccountConfig) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	line("[[account]]")
	line("name = %s", tomlString(ac.Name))
	line("address = %s", tomlString(ac.Address))
	if ac.DisplayName != "" {
		line("display_name = %s", tomlString(ac.DisplayName))
	}
	if ac.Signature != "" {
		line("signature = %s", tomlString(ac.Signature))
	}
	if ac.Trace {
		line("trace = true")
	}
	line("")
	line("[account.fetch]")
	switch ac.Fetch.Kind {
	case "imap":
		line("# IMAP: mail stays on the server, in sync with your other devices.")
	case "pop3":
		line("# POP3: mail is downloaded and kept here (posta's data folder); with")
		line("# leave_on_server = true (the default) the server keeps its copy.")
	}
	line("kind = %s", tomlString(ac.Fetch.Kind))
	serverTOML(b, ac.Fetch.ServerConfig)
	if ac.Fetch.LeaveOnServer != nil {
		line("leave_on_server = %t", *ac.Fetch.LeaveOnServer)
	}
	line("")
	line("[account.smtp]")
	serverTOML(b, ac.SMTP)
}

func serverTOML(b *strings.Builder, s accounts.ServerConfig) {
	line := func(format string, args ...any) { fmt.Fprintf(b, format+"\n", args...) }
	line("host = %s", tomlString(s.Host))
	line("port = %s", strconv.Itoa(s.Port))
	if s.Security != "" {
		line("security = %s", tomlString(s.Security))
	}
	if s.Username != "" {
		line("username = %s", tomlString(s.Username))
	}
	if s.Auth != "" {
		line("auth = %s", tomlString(s.Auth))
	}
	if s.OAuth2Provider != "" {
		line("oauth2_provider = %s", tomlString(s.OAuth2Provider))
	}
	if len(s.PasswordCommand) > 0 {
		line("password_command = %s", tomlStrings(s.PasswordCommand))
	}
	if len(s.OAuth2TokenCommand) > 0 {
		line("oauth2_token_command = %s", tomlStrings(s.OAuth2TokenCommand))
	}
	if s.Password != "" {
		line("password = %s", tomlString(s.Password))
	}
	if s.CAFile != "" {
		line("ca_file = %s", tomlString(s.CAFile))
	}
}

// uniqueName returns name, or name-2, name-3… if the configuration text
// already has an account of that name.
func uniqueName(name, text string) string {
	taken := map[string]bool{}
	if cfg, _ := accounts.ParseConfig(text); cfg != nil {
		for _, a := range cfg.Accounts {
			taken[a.Name] = true
		}
	} else {
		// Not a valid configuration yet: look for the names written.
		for _, l := range strings.Split(text, "\n") {
			k, v, ok := strings.Cut(strings.TrimSpace(l), "=")
			if ok && strings.TrimSpace(k) == "name" {
				if s, err := strconv.Unquote(strings.TrimSpace(v)); err == nil {
					taken[s] = true
				}
			}
		}
	}
	if name == "" {
		name = "mail"
	}
	out := name
	for i := 2; taken[out]; i++ {
		out = fmt.Sprintf("%s-%d", name, i)
	}
	return out
}

// appendAccount appends block to the configuration file at path, whose
// current text is existing, without rewriting any of it. The file is
// created readable by its owner alone. It refuses when the result would
// be a configuration with problems the file did not have.
func appendAccount(path string, existing []byte, block string) error {
	text := string(existing)
	if text != "" && !strings.HasSuffix(text, "\n") {
		block = "\n" + block
	}
	before := accounts.CheckConfigText(text)
	after := accounts.CheckConfigText(text + block)
	if len(text) == 0 {
		before = nil
	}
	if len(after) > len(before) {
		var lines []string
		for _, p := range after {
			lines = append(lines, p.String())
		}
		return fmt.Errorf("setup: the account would not fit in %s, nothing written:\n%s", path, strings.Join(lines, "\n"))
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if _, err := f.WriteString(block); err != nil {
		f.Close()
		return fmt.Errorf("setup: %w", err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("setup: %w", err)
	}
	return f.Close()
}
