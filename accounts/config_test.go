package accounts

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/zalando/go-keyring"
)

const validConfig = `default_account = "home"

[[account]]
name = "work"
address = "alice@work.example"

[account.fetch]
kind = "imap"
host = "imap.work.example"
port = 993
username = "alice"

[account.smtp]
host = "smtp.work.example"
port = 587
security = "starttls"

[[account]]
name = "home"
address = "bob@home.example"
signature = """
Bob
port = 1
"""

[account.fetch]
kind = "pop3"
host = "pop.home.example"
port = 995
leave_on_server = false

[account.smtp]
host = "smtp.home.example"
port = 465
`

func TestParseConfigValid(t *testing.T) {
	cfg, err := ParseConfig(validConfig)
	if err != nil {
		t.Fatalf("ParseConfig() error = %v", err)
	}
	if len(cfg.Accounts) != 2 || cfg.DefaultAccount != "home" {
		t.Fatalf("ParseConfig() = %+v", cfg)
	}
	home := cfg.Accounts[1]
	if home.Fetch.Kind != "pop3" || home.Fetch.Port != 995 || home.SMTP.Port != 465 ||
		home.Fetch.LeaveOnServer == nil || *home.Fetch.LeaveOnServer || home.Signature != "Bob\nport = 1\n" {
		t.Errorf("home account = %+v", home)
	}
	if p := CheckConfigText(validConfig); len(p) != 0 {
		t.Errorf("CheckConfigText(valid) = %v, want none", p)
	}
}

// edit replaces the first occurrence of old after the line marker in
// validConfig, so a change can target the second account.
func edit(after, old, new string) string {
	i := strings.Index(validConfig, after)
	return validConfig[:i] + strings.Replace(validConfig[i:], old, new, 1)
}

func TestCheckConfigTextProblems(t *testing.T) {
	tests := []struct {
		name string
		text string
		line int
		key  string
		msg  string
	}{
		{"syntax", edit(`name = "home"`, `port = 995`, `port = = 995`), 29, "", "TOML syntax"},
		{"unknown key in second account", edit(`name = "home"`, `host = "pop.home.example"`, `hots = "pop.home.example"`), 28, "account.fetch.hots", `unknown key (did you mean "host"?)`},
		{"missing field", edit(`name = "home"`, "host = \"pop.home.example\"\n", ""), 26, "account.fetch.host", "missing"},
		{"missing name", edit(`[[account]]`, `name = "work"`, ``), 3, "account.name", "missing"},
		{"wrong type", edit(`name = "home"`, `port = 995`, `port = "995"`), 29, "account.fetch.port", `want an integer, got string "995"`},
		{"wrong type bool", edit(`name = "home"`, `leave_on_server = false`, `leave_on_server = "no"`), 30, "account.fetch.leave_on_server", "want true or false"},
		{"bad security", edit(`name = "work"`, `security = "starttls"`, `security = "ssl"`), 16, "account.smtp.security", `"ssl" is not tls, starttls or none`},
		{"bad auth", edit(`name = "home"`, `port = 465`, "port = 465\nauth = \"cram-md5\""), 35, "account.smtp.auth", "not plain, login"},
		{"bad kind", edit(`name = "work"`, `kind = "imap"`, `kind = "maildir"`), 8, "account.fetch.kind", "not imap or pop3"},
		{"port range", edit(`name = "home"`, `port = 465`, `port = 65536`), 34, "account.smtp.port", "not a port number"},
		{"duplicate name", edit(`[[account]]`, `name = "home"`, `name = "work"`), 19, "account.name", `duplicate account name "work"`},
		{"undefined default", strings.Replace(validConfig, `"home"`, `"play"`, 1), 1, "default_account", `"play" is not a configured account`},
		{"unknown top-level", "colour = true\n" + validConfig, 1, "colour", "unknown key"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			problems := CheckConfigText(tt.text)
			for _, p := range problems {
				if p.Line == tt.line && p.Key == tt.key && strings.Contains(p.Message, tt.msg) {
					if _, err := ParseConfig(tt.text); err == nil || !strings.Contains(err.Error(), fmt.Sprintf("line %d: ", tt.line)) {
						t.Errorf("ParseConfig() error = %v, want one naming line %d", err, tt.line)
					}
					return
				}
			}
			t.Errorf("CheckConfigText() = %v, want line %d key %q message containing %q", problems, tt.line, tt.key, tt.msg)
		})
	}
}

func TestCheckConfigTextReportsEveryProblem(t *testing.T) {
	text := edit(`name = "home"`, `port = 995`, `port = "995"`)
	text = strings.Replace(text, `host = "imap.work.example"`, `hots = "x"`, 1)
	text = strings.Replace(text, `security = "starttls"`, `security = "ssl"`, 1)
	problems := CheckConfigText(text)
	if len(problems) != 4 { // hots unknown, host missing, security, port type
		t.Fatalf("CheckConfigText() = %v, want 4 problems", problems)
	}
	for i := 1; i < len(problems); i++ {
		if problems[i].Line < problems[i-1].Line {
			t.Errorf("problems not in line order: %v", problems)
		}
	}
}

func writeConfig(t *testing.T, text string, mode os.FileMode) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "config.toml")
	if err := os.WriteFile(path, []byte(text), mode); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(path, mode); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestLoadConfigPasswordFileMode(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("file modes do not apply on Windows")
	}
	const secret = "s3cret-in-file"
	text := edit(`name = "home"`, `port = 995`, "port = 995\npassword = \""+secret+"\"")
	_, err := LoadConfig(writeConfig(t, text, 0o644))
	if err == nil || !strings.Contains(err.Error(), "chmod 600") || !strings.Contains(err.Error(), "line 30: account.fetch.password") {
		t.Errorf("LoadConfig(0644 with password) error = %v, want chmod 600 advice at line 30", err)
	}
	if err != nil && strings.Contains(err.Error(), secret) {
		t.Errorf("error shows the password: %v", err)
	}
	if _, err := LoadConfig(writeConfig(t, text, 0o600)); err != nil {
		t.Errorf("LoadConfig(0600 with password) error = %v", err)
	}
	if _, err := LoadConfig(writeConfig(t, validConfig, 0o644)); err != nil {
		t.Errorf("LoadConfig(0644 without password) error = %v", err)
	}
	if _, err := LoadConfig(filepath.Join(t.TempDir(), "none.toml")); err == nil || !strings.Contains(err.Error(), ErrNoConfig.Error()) {
		t.Errorf("LoadConfig(missing) error = %v, want ErrNoConfig", err)
	}
}

// TestHelperPassword is not a test: run as a password_command, it prints
// its last argument and a newline.
func TestHelperPassword(t *testing.T) {
	if os.Getenv("POSTA_TEST_HELPER") != "print" {
		t.Skip("helper process only")
	}
	fmt.Println(os.Args[len(os.Args)-1])
	os.Exit(0)
}

func TestPasswordSources(t *testing.T) {
	keyring.MockInit()
	ctx := context.Background()
	t.Setenv("POSTA_TEST_HELPER", "print")
	helper := []string{os.Args[0], "-test.run=^TestHelperPassword$", "--", "from-command"}

	pw, err := passwordSource("work", ServerConfig{PasswordCommand: helper, Password: "from-file"})(ctx)
	if err != nil || pw != "from-command" {
		t.Errorf("password_command: got %q, %v; want from-command (trimmed)", pw, err)
	}

	_, err = passwordSource("work", ServerConfig{PasswordCommand: []string{os.Args[0], "-test.run=^TestNothing$", "-test.badflag"}})(ctx)
	if err == nil || !strings.Contains(err.Error(), "password_command") {
		t.Errorf("failing password_command: err = %v", err)
	}

	t.Setenv("POSTA_PASSWORD_MY_HOME", "from-env")
	pw, err = passwordSource("my-home", ServerConfig{Password: "from-file"})(ctx)
	if err != nil || pw != "from-env" {
		t.Errorf("env: got %q, %v; want from-env", pw, err)
	}

	pw, err = passwordSource("other", ServerConfig{Password: "from-file"})(ctx)
	if err != nil || pw != "from-file" {
		t.Errorf("file: got %q, %v; want from-file", pw, err)
	}

	_, err = passwordSource("nothing", ServerConfig{})(ctx)
	if err == nil || !strings.Contains(err.Error(), "POSTA_PASSWORD_NOTHING") {
		t.Errorf("no source: err = %v, want it to name POSTA_PASSWORD_NOTHING", err)
	}
}

func TestEnvPasswordVar(t *testing.T) {
	for in, want := range map[string]string{
		"work": "POSTA_PASSWORD_WORK", "my-home": "POSTA_PASSWORD_MY_HOME",
		"a.b c": "POSTA_PASSWORD_A_B_C", "Ärger": "POSTA_PASSWORD__RGER", "x9": "POSTA_PASSWORD_X9",
	} {
		if got := EnvPasswordVar(in); got != want {
			t.Errorf("EnvPasswordVar(%q) = %q, want %q", in, got, want)
		}
	}
}
