package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestConfigCheckOfflineOnDemoConfig(t *testing.T) {
	e := newEnv(t, 1)
	out := e.mustRun("", "config", "check", "--offline")
	if !strings.Contains(out, "ok (2 accounts)") {
		t.Errorf("config check --offline output = %q, want ok for 2 accounts", out)
	}
	if strings.Contains(out, "imap") || strings.Contains(out, "smtp") {
		t.Errorf("--offline checked servers: %q", out)
	}
}

func TestConfigCheckListsEveryProblem(t *testing.T) {
	e := newEnv(t, 1)
	broken := `default_account = "nobody"
[[account]]
name = "work"
address = "alice@work.example"
[account.fetch]
kind = "imap"
hots = "127.0.0.1"
port = "993"
[account.smtp]
host = "127.0.0.1"
port = 70000
`
	e.config = filepath.Join(t.TempDir(), "broken.toml")
	if err := os.WriteFile(e.config, []byte(broken), 0o600); err != nil {
		t.Fatal(err)
	}
	out, _, err := e.run("", "config", "check", "--offline")
	if err == nil {
		t.Fatalf("config check on a broken file succeeded:\n%s", out)
	}
	for _, want := range []string{
		":line 1: default_account:",
		":line 5: account.fetch.host: missing",
		":line 7: account.fetch.hots: unknown key",
		":line 8: account.fetch.port: want an integer",
		":line 11: account.smtp.port: 70000 is not a port number",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}

func TestConfigCheckOnline(t *testing.T) {
	e := newEnv(t, 2)
	out := e.mustRun("", "config", "check")
	for _, want := range []string{
		"work: imap " + e.srv.IMAPAddr + " ok",
		"work: smtp " + e.srv.SMTPAddr + " ok",
		"home: pop3 " + e.srv.POP3Addr + " ok",
		"home: smtp " + e.srv.SMTPAddr + " ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The check leaves POP3 mail on the server: a sync still gets it.
	e.mustRun("", "sync", "--account", "home")
	if got := len(e.list("--account", "home", "--folder", "INBOX")); got != 2 {
		t.Errorf("home INBOX has %d messages after check and sync, want 2", got)
	}
}

func TestConfigCheckWrongPassword(t *testing.T) {
	e := newEnv(t, 1)
	var home string
	for _, a := range e.srv.Accounts {
		if a.Name == "home" {
			home = a.Password
		}
	}
	data, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	const wrong = "Wr0ng-Pa55word-xyzzy"
	// Only the home account's section changes; work keeps its password.
	cut := strings.Index(string(data), `name = "home"`)
	if cut < 0 {
		t.Fatalf("no home account in the demo config:\n%s", data)
	}
	text := string(data[:cut]) + strings.ReplaceAll(string(data[cut:]), "password = "+quote(home), "password = "+quote(wrong))
	if text == string(data) {
		t.Fatalf("home's password %q not found in the demo config", home)
	}
	e.config = filepath.Join(t.TempDir(), "wrong.toml")
	if err := os.WriteFile(e.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	out, stderr, err := e.run("", "config", "check")
	if err == nil {
		t.Fatalf("config check with a wrong password succeeded:\n%s", out)
	}
	for _, want := range []string{
		"home: pop3 " + e.srv.POP3Addr + " FAILED:",
		"home: smtp " + e.srv.SMTPAddr + " FAILED:",
		"work: imap " + e.srv.IMAPAddr + " ok",
		"work: smtp " + e.srv.SMTPAddr + " ok",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if !strings.Contains(out, "authentication failed") {
		t.Errorf("output does not say authentication failed:\n%s", out)
	}
	if strings.Contains(out+stderr+err.Error(), wrong) {
		t.Errorf("the password appears in the output:\n%s\n%s\n%v", out, stderr, err)
	}
}

func quote(s string) string { return `"` + s + `"` }
