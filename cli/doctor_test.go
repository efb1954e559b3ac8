package cli

import (
	"fmt"
	"strings"
	"testing"
)

// TestDoctorRemovesSecrets: the report shows the configuration and the
// accounts' state, without the passwords, the client secret or the
// arguments of the password commands.
func TestDoctorRemovesSecrets(t *testing.T) {
	e := newEnv(t, 3)
	ih, ip := hostPort(t, e.srv.IMAPAddr)
	cfg := fmt.Sprintf(`default_account = "work"
[[account]]
name = "work"
address = "alice@work.example"
[account.fetch]
kind = "imap"
host = %q
port = %d
username = "alice"
password = "hunter2-fetch"
[account.smtp]
host = "smtp.work.example"
port = 465
username = "alice"
password_command = ["pass", "show", "hunter2-cmd"]
`, ih, ip)
	writeFile(t, e.config, []byte(cfg))
	out := e.mustRun("", "doctor")
	for _, secret := range []string{"hunter2-fetch", "hunter2-cmd"} {
		if strings.Contains(out, secret) {
			t.Errorf("doctor printed the secret %q:\n%s", secret, out)
		}
	}
	for _, want := range []string{
		"version: ", "system: ", "## terminal", "stdout: not a terminal",
		`password = "[removed]"`, `password_command = ["pass", "[2 arguments removed]"]`,
		`host = "smtp.work.example"`, "work  imap  never", "index schema version: ",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor lacks %q:\n%s", want, out)
		}
	}
}

// TestDoctorServers: --servers logs in to every server of the demo
// accounts and lists what each announced.
func TestDoctorServers(t *testing.T) {
	e := newEnv(t, 3)
	out := e.mustRun("", "doctor", "--servers")
	for _, want := range []string{
		"## servers", "work imap 127.0.0.1:", "home pop3 127.0.0.1:", "home smtp 127.0.0.1:",
		"IMAP4rev1", "UIDL", "AUTH PLAIN LOGIN",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("doctor --servers lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAILED") || strings.Contains(out, `"password"`) {
		t.Errorf("doctor --servers:\n%s", out)
	}
	if testing.Verbose() {
		t.Log(out)
	}
}

// TestDoctorCapsFromLastLogin: after a sync, doctor lists what each fetch
// server announced at that login, without connecting again.
func TestDoctorCapsFromLastLogin(t *testing.T) {
	e := newEnv(t, 3)
	e.mustRun("", "sync")
	e.srv.Close() // doctor must not need the servers
	out := e.mustRun("", "doctor")
	for _, want := range []string{"server capabilities at the last login:", "work: ", "IMAP4REV1", "home: ", "UIDL"} {
		if !strings.Contains(strings.ToUpper(out), strings.ToUpper(want)) {
			t.Errorf("doctor lacks %q:\n%s", want, out)
		}
	}
}
