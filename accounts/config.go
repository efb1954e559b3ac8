// Package accounts turns posta's configuration into live accounts: for
// each one a fetcher (IMAP or POP3), an SMTP sender and its share of the
// local cache. The UI and the CLI reach the network only through it.
package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/protocols"
)

// Config is the whole configuration file.
type Config struct {
	// DefaultAccount names the account the TUI opens on; "" means the first.
	DefaultAccount string          `toml:"default_account"`
	Accounts       []AccountConfig `toml:"account"`

	// Keys overrides key bindings: [keys.<context>] action = ["key", ...]
	// (contexts and actions: see the keymap package and the README).
	Keys map[string]map[string][]string `toml:"keys"`
	// Theme sets the interface's colours.
	Theme ThemeConfig `toml:"theme"`
	// NotifyCommand runs on new mail, with the sender and the subject as
	// two more arguments (no shell).
	NotifyCommand []string `toml:"notify_command"`
	// Bell rings the terminal bell on new mail.
	Bell bool `toml:"bell"`
	// Editor is the program composing runs ("nvim", "code -w"; split on
	// spaces, no shell), or "builtin"; "" means $VISUAL, then $EDITOR.
	Editor string `toml:"editor"`
	// UndoSendDelay is how many seconds a sent message waits in the
	// outbox, where u takes it back into the composer; nil means 10, 0
	// sends at once.
	UndoSendDelay *int `toml:"undo_send_delay"`

	// Path is the file the configuration was read from.
	Path string `toml:"-"`
}

// ThemeConfig is the [theme] table: colours as "#rrggbb" or ANSI numbers
// ("1"…"255"); empty means the default, which adapts to light and dark
// terminals.
type ThemeConfig struct {
	Accent  string `toml:"accent"`
	Dim     string `toml:"dim"`
	Warning string `toml:"warning"`
}

// AccountConfig is one [[account]] table.
type AccountConfig struct {
	Name        string `toml:"name"`
	DisplayName string `toml:"display_name"`
	Address     string `toml:"address"`
	Signature   string `toml:"signature"`
	// SignaturePosition puts the signature "below" the quoted text of a
	// reply (default) or "above" it.
	SignaturePosition string `toml:"signature_position"`
	// Identities are more From addresses of the account
	// ([[account.identity]], config_identity.go).
	Identities []IdentityConfig `toml:"identity"`
	// CryptoConfig: pgp_sign, pgp_encrypt, smime_*, autocrypt, ...
	// (config_crypto.go).
	CryptoConfig

	Fetch FetchConfig  `toml:"fetch"`
	SMTP  ServerConfig `toml:"smtp"`

	// Trace writes this account's conversations with its servers to
	// trace.log in posta's log folder, as --trace does for all.
	Trace bool `toml:"trace"`
}

// ServerConfig says how to reach and log in to one server.
type ServerConfig struct {
	Host     string `toml:"host"`
	Port     int    `toml:"port"`
	Security string `toml:"security"` // "tls" (default), "starttls", "none"
	Username string `toml:"username"`
	Auth     string `toml:"auth"` // "plain" (default), "login", "xoauth2", "oauthbearer"

	// Credentials, in order of preference: PasswordCommand, the OS
	// keyring, POSTA_PASSWORD_<ACCOUNT>, Password (only in a file readable
	// by its owner alone).
	PasswordCommand []string `toml:"password_command"`
	Password        string   `toml:"password"`

	// CAFile, if set, is a PEM file whose certificates are the only ones
	// trusted for this server (instead of the system roots).
	CAFile string `toml:"ca_file"`
	// AllowPlainAuth permits a password over an unencrypted connection.
	AllowPlainAuth bool `toml:"allow_plaintext_auth"`

	// OAuth2TokenCommand prints an OAuth2 access token (used with auth
	// "xoauth2" or "oauthbearer"); it is rerun when the token is refused.
	OAuth2TokenCommand []string `toml:"oauth2_token_command"`
	// OAuth2Provider ("gmail", "microsoft" or "custom") signs in with
	// OAuth2 itself: `posta oauth ACCOUNT` stores a refresh token in the OS
	// keyring, and access tokens are refreshed from it (see oauth_source.go).
	OAuth2Provider     string   `toml:"oauth2_provider"`
	OAuth2ClientID     string   `toml:"oauth2_client_id"`
	OAuth2ClientSecret string   `toml:"oauth2_client_secret"`
	OAuth2AuthURL      string   `toml:"oauth2_auth_url"`
	OAuth2TokenURL     string   `toml:"oauth2_token_url"`
	OAuth2Scopes       []string `toml:"oauth2_scopes"`
	// TLSFingerprint pins the server certificate: its SHA-256 in hex
	// (colons allowed). A pinned certificate need not chain to a root.
	TLSFingerprint string `toml:"tls_fingerprint"`
	// TLSInsecureSkipVerify turns certificate verification off. Only for
	// what the user wrote explicitly; the TUI shows it.
	TLSInsecureSkipVerify bool `toml:"tls_insecure_skip_verify"`

	// Tracer, if not nil, records the conversations with the server
	// (posta --trace); it is never read from the file.
	Tracer protocols.Tracer `toml:"-"`
}

// FetchConfig is the incoming side of an account.
type FetchConfig struct {
	Kind string `toml:"kind"` // "imap" or "pop3"
	ServerConfig
	// LeaveOnServer keeps POP3 mail on the server after download
	// (default true).
	LeaveOnServer *bool `toml:"leave_on_server"`
	// DeleteAfterDays deletes POP3 mail on the server that many days after
	// it was downloaded (0: never); it implies leaving it there until then.
	DeleteAfterDays int `toml:"delete_after_days"`
	// Folders limits the IMAP folders synced; empty means all.
	Folders []string `toml:"folders"`
	// SubscribedOnly syncs only the IMAP folders the user subscribed to.
	SubscribedOnly bool `toml:"subscribed_only"`
	// PrefetchDays fetches IMAP bodies of mail younger than that many days
	// during sync, so recent mail is readable offline (0: on open only).
	PrefetchDays int `toml:"prefetch_days"`
	// AppendSent files a copy of sent mail in the IMAP Sent folder
	// (default true; some servers do it themselves).
	AppendSent *bool `toml:"append_sent"`
}

// DefaultConfigPath returns where the configuration lives by default:
// POSTA_CONFIG, else <user config dir>/posta/config.toml.
func DefaultConfigPath() (string, error) {
	if p := os.Getenv("POSTA_CONFIG"); p != "" {
		return p, nil
	}
	dir, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("config: %w", err)
	}
	return filepath.Join(dir, "posta", "config.toml"), nil
}

// ErrNoConfig means the configuration file does not exist.
var ErrNoConfig = errors.New("no configuration file")

// LoadConfig reads and validates the configuration file at path. Its
// error lists every problem found, each with its line and key.
func LoadConfig(path string) (*Config, error) {
	cfg, problems, err := CheckConfigFile(path)
	if err != nil {
		return nil, err
	}
	if len(problems) > 0 {
		return nil, fmt.Errorf("%s:\n%w", path, joinProblems(problems))
	}
	return cfg, nil
}

// ParseConfig parses and validates configuration text. Its error lists
// every problem found, each with its line and key.
func ParseConfig(text string) (*Config, error) {
	cfg, problems := checkConfig(text)
	if len(problems) > 0 {
		return nil, joinProblems(problems)
	}
	return cfg, nil
}

// joinProblems makes one error of problems, one line each.
func joinProblems(problems []Problem) error {
	lines := make([]string, len(problems))
	for i, p := range problems {
		lines[i] = p.String()
	}
	return errors.New(strings.Join(lines, "\n"))
}

// issue is a problem found in the decoded configuration, before its line
// is known. path names the key with array indices: account[1].fetch.port.
type issue struct {
	path, msg string
}

func (c *Config) validate() []issue {
	var issues []issue
	add := func(path, format string, args ...any) {
		issues = append(issues, issue{path, fmt.Sprintf(format, args...)})
	}
	if len(c.Accounts) == 0 {
		add("account", "no [[account]] table: posta needs at least one account")
	}
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		at := fmt.Sprintf("account[%d]", i)
		if a.Name == "" {
			add(at+".name", "missing (every account needs a name)")
		} else {
			if seen[a.Name] {
				add(at+".name", "duplicate account name %q", a.Name)
			}
			seen[a.Name] = true
		}
		if a.Address == "" {
			add(at+".address", "missing (the account's own mail address)")
		}
		switch a.Fetch.Kind {
		case "imap", "pop3":
		case "":
			add(at+".fetch.kind", "missing (imap or pop3)")
		default:
			add(at+".fetch.kind", "%q is not imap or pop3", a.Fetch.Kind)
		}
		issues = append(issues, a.Fetch.validate(at+".fetch")...)
		issues = append(issues, a.SMTP.validate(at+".smtp")...)
		issues = append(issues, a.validateIdentities(at)...)
		issues = append(issues, a.CryptoConfig.validate(at)...)
	}
	if c.UndoSendDelay != nil && (*c.UndoSendDelay < 0 || *c.UndoSendDelay > 600) {
		add("undo_send_delay", "%d is not a number of seconds from 0 to 600", *c.UndoSendDelay)
	}
	if _, problems := keymap.Build(c.Keys); len(problems) > 0 {
		for _, p := range problems {
			add(p.Path, "%s", p.Message)
		}
	}
	if c.DefaultAccount != "" && !seen[c.DefaultAccount] {
		add("default_account", "%q is not a configured account", c.DefaultAccount)
	}
	return issues
}

func (s *ServerConfig) validate(at string) []issue {
	var issues []issue
	add := func(key, format string, args ...any) {
		issues = append(issues, issue{at + "." + key, fmt.Sprintf(format, args...)})
	}
	s.applyOAuth2Defaults()
	if s.Host == "" {
		add("host", "missing (the server's host name)")
	}
	switch {
	case s.Port == 0:
		add("port", "missing (the server's port number)")
	case s.Port < 0 || s.Port > 65535:
		add("port", "%d is not a port number (1-65535)", s.Port)
	}
	switch s.Security {
	case "", "tls", "starttls", "none":
	default:
		add("security", "%q is not tls, starttls or none", s.Security)
	}
	switch strings.ToLower(s.Auth) {
	case "", "plain", "login", "xoauth2", "oauthbearer":
	default:
		add("auth", "%q is not plain, login, xoauth2 or oauthbearer", s.Auth)
	}
	if len(s.PasswordCommand) > 0 && s.PasswordCommand[0] == "" {
		add("password_command", "the program name is empty")
	}
	for _, p := range s.oauth2Problems() {
		add(p.key, "%s", p.msg)
	}
	return issues
}

// passwordFileIssue refuses passwords written in a file that others can
// read; it names the first password key.
func (c *Config) passwordFileIssue(path string, fi os.FileInfo) []issue {
	if ownerOnly(fi) {
		return nil
	}
	for i, a := range c.Accounts {
		key := ""
		switch {
		case a.Fetch.Password != "":
			key = "fetch.password"
		case a.SMTP.Password != "":
			key = "smtp.password"
		default:
			continue
		}
		return []issue{{fmt.Sprintf("account[%d].%s", i, key), fmt.Sprintf(
			"a password is written in a file other users can read; run: chmod 600 %s (or use password_command, `posta login %s` or %s)",
			path, a.Name, EnvPasswordVar(a.Name))}}
	}
	return nil
}

// Account returns the named account's configuration.
func (c *Config) Account(name string) (*AccountConfig, bool) {
	for i := range c.Accounts {
		if c.Accounts[i].Name == name {
			return &c.Accounts[i], true
		}
	}
	return nil, false
}

// keyLines maps every key and table of a TOML text to the line that
// defines it, with array-of-tables indices in the path
// ("account[1].fetch.host"), so a problem in the second [[account]] points
// at the second account's line. It reads only what TOML allows before the
// "=", so values (strings, arrays) never confuse it; keys written inside
// inline tables resolve to the inline table's line.
type keyLines struct {
	lines  map[string]int
	arrays map[string]int // array-of-tables path -> tables seen so far
}

func newKeyLines(text string) *keyLines {
	k := &keyLines{lines: map[string]int{}, arrays: map[string]int{}}
	table := ""
	closing := "" // the delimiter of an open multi-line string
	for i, line := range strings.Split(text, "\n") {
		n := i + 1
		if closing != "" {
			if strings.Count(line, closing)%2 == 1 {
				closing = ""
			}
			continue
		}
		l := strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(l, "[["):
			if segs, rest, ok := parseKey(l[2:]); ok && strings.HasPrefix(rest, "]]") {
				p := k.resolve(segs[:len(segs)-1])
				p = join(p, segs[len(segs)-1])
				k.arrays[p]++
				table = fmt.Sprintf("%s[%d]", p, k.arrays[p]-1)
				k.set(table, n)
			}
		case strings.HasPrefix(l, "["):
			if segs, rest, ok := parseKey(l[1:]); ok && strings.HasPrefix(rest, "]") {
				table = k.resolve(segs)
				k.set(table, n)
			}
		default:
			segs, rest, ok := parseKey(l)
			if !ok || !strings.HasPrefix(rest, "=") {
				continue
			}
			p := table
			for _, s := range segs {
				p = join(p, s)
			}
			k.set(p, n)
			value := rest[1:]
			for _, delim := range []string{`"""`, "'''"} {
				if strings.Count(value, delim)%2 == 1 {
					closing = delim
				}
			}
		}
	}
	return k
}

func (k *keyLines) set(path string, line int) {
	if _, ok := k.lines[path]; !ok {
		k.lines[path] = line
	}
}

// resolve turns table segments into a path, entering the latest table of
// every array of tables on the way.
func (k *keyLines) resolve(segs []string) string {
	p := ""
	for _, s := range segs {
		p = join(p, s)
		if n := k.arrays[p]; n > 0 {
			p = fmt.Sprintf("%s[%d]", p, n-1)
		}
	}
	return p
}

// line returns the line of path, or of its nearest enclosing table that
// has one (for missing keys), or 0.
func (k *keyLines) line(path string) int {
	for path != "" {
		if n, ok := k.lines[path]; ok {
			return n
		}
		i := strings.LastIndexAny(path, ".[")
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

func join(prefix, seg string) string {
	if prefix == "" {
		return seg
	}
	return prefix + "." + seg
}

// parseKey reads a dotted TOML key (bare, "basic" or 'literal' parts) at
// the start of s and returns its parts and what follows it, trimmed.
func parseKey(s string) (segs []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		var seg string
		switch {
		case strings.HasPrefix(s, `"`):
			end := 1
			for end < len(s) && s[end] != '"' {
				if s[end] == '\\' {
					end++
				}
				end++
			}
			if end >= len(s) {
				return nil, "", false
			}
			unq, err := strconv.Unquote(s[:end+1])
			if err != nil {
				unq = s[1:end]
			}
			seg, s = unq, s[end+1:]
		case strings.HasPrefix(s, "'"):
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", false
			}
			seg, s = s[1:end+1], s[end+2:]
		default:
			end := strings.IndexFunc(s, func(r rune) bool {
				return !(r == '_' || r == '-' || r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9')
			})
			if end < 0 {
				end = len(s)
			}
			if end == 0 {
				return nil, "", false
			}
			seg, s = s[:end], s[end:]
		}
		segs = append(segs, seg)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return segs, s, true
		}
		s = s[1:]
	}
}
