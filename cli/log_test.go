package cli

import (
	"bytes"
	"context"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestFailuresAreLogged: a sync that cannot reach its server leaves a
// record with the account and the server in the log file (under
// --cache-dir here), and doctor shows it.
func TestFailuresAreLogged(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close() // a closed port: connections are refused
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	writeFile(t, cfg, []byte(`[[account]]
name = "gone"
address = "me@gone.example"
[account.fetch]
kind = "imap"
host = "127.0.0.1"
port = `+strconv.Itoa(addr.Port)+`
username = "me"
password_command = ["echo", "pw"]
[account.smtp]
host = "127.0.0.1"
port = `+strconv.Itoa(addr.Port)+`
`))
	cache := filepath.Join(dir, "cache")
	var out, errb bytes.Buffer
	g := &globals{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	if status := run(context.Background(), g, []string{"--config", cfg, "--cache-dir", cache, "sync"}); status == 0 {
		t.Fatalf("sync of an unreachable server succeeded: %s", errb.String())
	}
	logPath := filepath.Join(cache, "log", "posta.log")
	data, err := os.ReadFile(logPath)
	if err != nil {
		t.Fatal(err)
	}
	log := string(data)
	for _, want := range []string{`msg="sync failed" account=gone`, "127.0.0.1:" + strconv.Itoa(addr.Port), `msg="command failed" command="posta sync"`} {
		if !strings.Contains(log, want) {
			t.Errorf("the log lacks %q:\n%s", want, log)
		}
	}
	if fi, _ := os.Stat(logPath); fi.Mode().Perm() != 0o600 {
		t.Errorf("log mode = %v, want 0600", fi.Mode().Perm())
	}
	out.Reset()
	g = &globals{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	if status := run(context.Background(), g, []string{"--config", cfg, "--cache-dir", cache, "doctor"}); status != 0 {
		t.Fatalf("doctor failed: %s", errb.String())
	}
	if !strings.Contains(out.String(), "## log") || !strings.Contains(out.String(), "sync failed") {
		t.Errorf("doctor does not show the log:\n%s", out.String())
	}
}
