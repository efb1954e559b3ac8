// Package accounts turns posta's configuration into live accounts: for
// each one a fetcher (IMAP or POP3), an SMTP sender and its share of the
// local cache. The UI and the CLI reach the network only through it.
package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/BurntSushi/toml"
)

// Config is the whole configuration file.
type Config struct {
	// DefaultAccount names the account the TUI opens on; "" means the first.
	DefaultAccount string          `toml:"default_account"`
	Accounts       []AccountConfig `toml:"account"`

	// Path is the file the configuration was read from.
	Path string `toml:"-"`
}

// AccountConfig is one [[account]] table.
type AccountConfig struct {
	Name        string `toml:"name"`
	DisplayName string `toml:"display_name"`
	Address     string `toml:"address"`
	Signature   string `toml:"signature"`

	Fetch FetchConfig  `toml:"fetch"`
	SMTP  ServerConfig `toml:"smtp"`
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
	AllowPlainAuth bool `toml:"allow_plain_auth"`
}

// FetchConfig is the incoming side of an account.
type FetchConfig struct {
	Kind string `toml:"kind"` // "imap" or "pop3"
	ServerConfig
	// LeaveOnServer keeps POP3 mail on the server after download
	// (default true).
	LeaveOnServer *bool `toml:"leave_on_server"`
	// Folders limits the IMAP folders synced; empty means all.
	Folders []string `toml:"folders"`
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

// LoadConfig reads and validates the configuration file at path.
func LoadConfig(path string) (*Config, error) {
	data, err := os.ReadFile(path)
	if errors.Is(err, os.ErrNotExist) {
		return nil, fmt.Errorf("%w at %s", ErrNoConfig, path)
	}
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	cfg, err := ParseConfig(string(data))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	cfg.Path = path
	if err := cfg.checkPasswordFile(path); err != nil {
		return nil, err
	}
	return cfg, nil
}

// ParseConfig parses and validates configuration text.
func ParseConfig(text string) (*Config, error) {
	var cfg Config
	md, err := toml.Decode(text, &cfg)
	if err != nil {
		var perr toml.ParseError
		if errors.As(err, &perr) {
			return nil, fmt.Errorf("line %d: %s", perr.Position.Line, perr.Message)
		}
		return nil, err
	}
	var problems []string
	for _, k := range md.Undecoded() {
		problems = append(problems, fmt.Sprintf("line %d: unknown key %q", keyLine(text, k[len(k)-1]), k.String()))
	}
	problems = append(problems, cfg.validate()...)
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return &cfg, nil
}

// keyLine finds the first line that assigns key, for error messages.
func keyLine(text, key string) int {
	for i, line := range strings.Split(text, "\n") {
		l := strings.TrimSpace(line)
		if strings.HasPrefix(l, key) && strings.HasPrefix(strings.TrimSpace(l[len(key):]), "=") {
			return i + 1
		}
	}
	return 0
}

func (c *Config) validate() []string {
	var problems []string
	seen := map[string]bool{}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		where := fmt.Sprintf("account %d", i+1)
		if a.Name == "" {
			problems = append(problems, where+": missing name")
		} else {
			where = fmt.Sprintf("account %q", a.Name)
			if seen[a.Name] {
				problems = append(problems, where+": duplicate name")
			}
			seen[a.Name] = true
		}
		if a.Address == "" {
			problems = append(problems, where+": missing address")
		}
		switch a.Fetch.Kind {
		case "imap", "pop3":
		case "":
			problems = append(problems, where+": fetch.kind missing (imap or pop3)")
		default:
			problems = append(problems, fmt.Sprintf("%s: fetch.kind %q is not imap or pop3", where, a.Fetch.Kind))
		}
		problems = append(problems, a.Fetch.validate(where+": fetch")...)
		problems = append(problems, a.SMTP.validate(where+": smtp")...)
	}
	if c.DefaultAccount != "" && !seen[c.DefaultAccount] {
		problems = append(problems, fmt.Sprintf("default_account %q is not a configured account", c.DefaultAccount))
	}
	return problems
}

func (s *ServerConfig) validate(where string) []string {
	var problems []string
	if s.Host == "" {
		problems = append(problems, where+".host missing")
	}
	if s.Port <= 0 || s.Port > 65535 {
		problems = append(problems, fmt.Sprintf("%s.port %d is not a valid port", where, s.Port))
	}
	switch s.Security {
	case "", "tls", "starttls", "none":
	default:
		problems = append(problems, fmt.Sprintf("%s.security %q is not tls, starttls or none", where, s.Security))
	}
	switch strings.ToLower(s.Auth) {
	case "", "plain", "login", "xoauth2", "oauthbearer":
	default:
		problems = append(problems, fmt.Sprintf("%s.auth %q is not plain, login, xoauth2 or oauthbearer", where, s.Auth))
	}
	return problems
}

// checkPasswordFile refuses passwords written in a file that others can
// read.
func (c *Config) checkPasswordFile(path string) error {
	hasPassword := false
	for _, a := range c.Accounts {
		if a.Fetch.Password != "" || a.SMTP.Password != "" {
			hasPassword = true
		}
	}
	if !hasPassword {
		return nil
	}
	fi, err := os.Stat(path)
	if err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if !ownerOnly(fi) {
		return fmt.Errorf("%s holds a password but other users can read it; run: chmod 600 %s (or use password_command, the keyring or POSTA_PASSWORD_<ACCOUNT>)", path, path)
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
