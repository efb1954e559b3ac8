package cli

import (
	"encoding/base64"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestTraceHasNoSecrets runs sync, send and config check with --trace
// against the demo servers, over every kind of connection (IMAPS, POP3
// with STLS, SMTP with implicit TLS and with STARTTLS), and checks the
// trace shows the conversations with no password in any form and no
// message body.
func TestTraceHasNoSecrets(t *testing.T) {
	e := newEnv(t, 5)
	dir := filepath.Dir(e.config)
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, e.srv.CACertPEM)
	ih, ip := hostPort(t, e.srv.IMAPAddr)
	ph, pp := hostPort(t, e.srv.POP3STLSAddr)
	sh, sp := hostPort(t, e.srv.SMTPSAddr)
	th, tp := hostPort(t, e.srv.SMTPAddr)
	xh, xp := hostPort(t, e.srv.IMAPStartTLSAddr)
	cfg := fmt.Sprintf(`
[[account]]
name = "work"
address = "alice@work.example"
[account.fetch]
kind = "imap"
host = %q
port = %d
username = "alice"
password_command = ["echo", "password"]
ca_file = %q
[account.smtp]
host = %q
port = %d
username = "alice"
password_command = ["echo", "password"]
ca_file = %q

[[account]]
name = "home"
address = "bob@home.example"
[account.fetch]
kind = "pop3"
host = %q
port = %d
security = "starttls"
username = "bob"
password_command = ["echo", "password"]
ca_file = %q
[account.smtp]
host = %q
port = %d
security = "starttls"
username = "bob"
password_command = ["echo", "password"]
ca_file = %q

[[account]]
name = "work-starttls"
address = "alice@work.example"
[account.fetch]
kind = "imap"
host = %q
port = %d
security = "starttls"
username = "alice"
password_command = ["echo", "password"]
ca_file = %q
[account.smtp]
host = %q
port = %d
username = "alice"
password_command = ["echo", "password"]
ca_file = %q
`, ih, ip, ca, sh, sp, ca, ph, pp, ca, th, tp, ca, xh, xp, ca, sh, sp, ca)
	writeFile(t, e.config, []byte(cfg))
	tracePath := filepath.Join(dir, "trace.log")

	e.mustRun("", "--trace", tracePath, "sync")
	msg := "From: alice@work.example\r\nTo: bob@home.example\r\nSubject: traced\r\n\r\nthe secret body\r\n"
	e.mustRun(msg, "--trace", tracePath, "--account", "work", "send")
	t.Setenv("POSTA_TRACE", tracePath)
	e.mustRun("", "config", "check")

	fi, err := os.Stat(tracePath)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("trace file mode = %v, want 0600", fi.Mode().Perm())
	}
	data, _ := os.ReadFile(tracePath)
	trace := string(data)
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, secret := range []string{
		"password", b64("password"),
		b64("\x00alice\x00password"), b64("alice\x00alice\x00password"),
		b64("\x00bob\x00password"), b64("bob\x00bob\x00password"),
		"the secret body",
	} {
		if strings.Contains(trace, secret) {
			t.Errorf("the trace holds %q", secret)
		}
	}
	for _, want := range []string{
		"imap#", "pop3#", "smtp#", "(TLS)",
		"[redacted]", "C: STLS", "C: P0 STARTTLS", "TLS starts",
		"C: AUTH PLAIN [redacted]", "elided]",
	} {
		if !strings.Contains(trace, want) {
			t.Errorf("the trace lacks %q", want)
		}
	}
	// SMTP over STARTTLS is traced after the upgrade too: the work
	// account's send and check, work-starttls's check (implicit TLS)
	// and the home account's check (STARTTLS) each log in.
	if n := strings.Count(trace, "C: AUTH PLAIN [redacted]"); n < 4 {
		t.Errorf("the trace has %d SMTP logins, want 4 (STARTTLS included)", n)
	}
	if strings.Contains(trace, "TLS started (posta)") {
		t.Errorf("the greeting posta gives go-smtp or go-imap after STARTTLS is in the trace")
	}
	if t.Failed() || testing.Verbose() {
		t.Logf("trace:\n%s", trace)
	}
}

// TestTracePerAccount: trace = true traces that account alone, into
// trace.log in the log folder, without --trace.
func TestTracePerAccount(t *testing.T) {
	e := newEnv(t, 3)
	data, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	// The demo configuration's first account is work (IMAP); trace it.
	text := strings.Replace(string(data), "[[account]]\nname = \"work\"", "[[account]]\nname = \"work\"\ntrace = true", 1)
	if text == string(data) {
		t.Fatalf("no work account in:\n%s", data)
	}
	writeFile(t, e.config, []byte(text))
	e.mustRun("", "sync")
	got, err := os.ReadFile(filepath.Join(e.cache, "log", "trace.log"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(got), "imap#") || strings.Contains(string(got), "pop3#") {
		t.Errorf("trace.log should hold the IMAP account's conversation alone:\n%.2000s", got)
	}
}
