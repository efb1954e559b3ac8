package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestMailtoMain(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "config.toml")
	conf := `default_account = "home"
[[account]]
name = "work"
address = "alice@work.example"
fetch = { kind = "imap", host = "imap.work.example", port = 993 }
smtp = { host = "smtp.work.example", port = 465 }
[[account]]
name = "home"
display_name = "Bob B"
address = "bob@home.example"
fetch = { kind = "pop3", host = "pop.home.example", port = 995 }
smtp = { host = "smtp.home.example", port = 465 }
`
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("POSTA_CONFIG", cfg)
	var out, errb bytes.Buffer
	g := &globals{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	status, handled := mailtoMain(context.Background(), g, []string{"MailTo:carol@example.com?subject=Hi%20there&body=line%0D%0Atwo"})
	if !handled || status != 0 {
		t.Fatalf("mailtoMain = %d, %v; stderr %s", status, handled, errb.String())
	}
	want := "From: Bob B <bob@home.example>\nTo: carol@example.com\nCc: \nSubject: Hi there\n\nline\ntwo"
	if out.String() != want {
		t.Errorf("output = %q, want %q", out.String(), want)
	}

	out.Reset()
	status, handled = mailtoMain(context.Background(), g, []string{"mailto:a@example.com?subject=x%0D%0ABcc:%20evil@example.com"})
	if !handled || status != 1 || out.Len() != 0 || !strings.Contains(errb.String(), "bad mailto") {
		t.Errorf("injection: status %d handled %v out %q stderr %q", status, handled, out.String(), errb.String())
	}
	if _, handled := mailtoMain(context.Background(), g, []string{"render", "mailto:x"}); handled {
		t.Error("a subcommand was taken for a mailto URI")
	}
}

// TestMailtoAfterGlobalFlags: `posta --config X mailto:…` (and the flags
// after the URI) is a mailto, with the configuration it names.
func TestMailtoAfterGlobalFlags(t *testing.T) {
	dir := t.TempDir()
	cfg := filepath.Join(dir, "other.toml")
	conf := `[[account]]
name = "work"
display_name = "Alice A"
address = "alice@work.example"
fetch = { kind = "imap", host = "imap.work.example", port = 993 }
smtp = { host = "smtp.work.example", port = 465 }
`
	if err := os.WriteFile(cfg, []byte(conf), 0o600); err != nil {
		t.Fatal(err)
	}
	t.Setenv("POSTA_CONFIG", filepath.Join(dir, "missing.toml"))
	for _, args := range [][]string{
		{"--config", cfg, "mailto:carol@example.com"},
		{"--config=" + cfg, "mailto:carol@example.com", "--account", "work"},
		{"mailto:carol@example.com", "--config", cfg},
	} {
		var out, errb bytes.Buffer
		g := &globals{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
		status := run(context.Background(), g, args)
		if status != 0 || !strings.HasPrefix(out.String(), "From: Alice A <alice@work.example>\nTo: carol@example.com\n") {
			t.Errorf("posta %s: status %d, out %q, stderr %q", strings.Join(args, " "), status, out.String(), errb.String())
		}
	}
	g := &globals{stdin: strings.NewReader(""), stdout: new(bytes.Buffer), stderr: new(bytes.Buffer)}
	if _, handled := mailtoMain(context.Background(), g, []string{"--verbose", "mailto:x@example.com"}); handled {
		t.Error("an unknown flag was taken for a global flag")
	}
	if _, handled := mailtoMain(context.Background(), g, []string{"mailto:x@example.com", "mailto:y@example.com"}); handled {
		t.Error("two URIs were taken for one")
	}
}
