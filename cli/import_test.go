package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/accounts"
)

// TestImportSamples imports each sample file into one configuration,
// after the user's own text: it stays as it was, the result is a valid
// configuration, clear passwords are not in it, and the account aerc
// could not give an SMTP server is there commented out.
func TestImportSamples(t *testing.T) {
	dir := t.TempDir()
	e := &env{t: t, config: filepath.Join(dir, "config.toml"), cache: filepath.Join(dir, "cache")}
	mine := "# mine\nbell = true\n"
	writeFile(t, e.config, []byte(mine))
	for _, args := range [][]string{
		{"aerc", "../importer/testdata/aerc-accounts.conf"},
		{"neomutt", "../importer/testdata/neomutt/neomuttrc"},
		{"neomutt", "../importer/testdata/muttrc-pop"},
		{"himalaya", "../importer/testdata/himalaya.toml"},
		{"himalaya", "../importer/testdata/himalaya-old.toml"},
	} {
		out := e.mustRun("", append([]string{"import", "--yes"}, args...)...)
		if !strings.Contains(out, "Appended") {
			t.Errorf("import %s: %s", args[0], out)
		}
	}
	data, _ := os.ReadFile(e.config)
	text := string(data)
	if !strings.HasPrefix(text, mine) {
		t.Errorf("the user's text was changed:\n%s", text)
	}
	for _, secret := range []string{"hunter2", "clear-secret", "raw-secret"} {
		if strings.Contains(text, secret) {
			t.Errorf("a clear password (%s) was copied:\n%s", secret, text)
		}
	}
	cfg, err := accounts.LoadConfig(e.config)
	if err != nil {
		t.Fatalf("the imported configuration: %v\n%s", err, text)
	}
	var names []string
	for _, a := range cfg.Accounts {
		names = append(names, a.Name)
	}
	if got, want := strings.Join(names, " "), "work personal gmail home pop work-2 erin"; got != want {
		t.Errorf("accounts = %s, want %s", got, want)
	}
	if !strings.Contains(text, "# [[account]]\n# name = \"lists\"") || !strings.Contains(text, "/usr/bin/msmtp") {
		t.Errorf("the account sending with msmtp is not there commented out with the reason:\n%s", text)
	}
}

// TestImportAercThenSync: an aerc account pointing at the demo servers
// works once imported.
func TestImportAercThenSync(t *testing.T) {
	e := newEnv(t, 7)
	dir := t.TempDir()
	os.Remove(e.config)
	ca := filepath.Join(dir, "ca.pem")
	writeFile(t, ca, e.srv.CACertPEM)
	ih, ip := hostPort(t, e.srv.IMAPAddr)
	sh, sp := hostPort(t, e.srv.SMTPAddr)
	conf := filepath.Join(dir, "accounts.conf")
	writeFile(t, conf, []byte(fmt.Sprintf(`[Work]
source = imaps://alice@%s:%d
source-cred-cmd = echo password
outgoing = smtp://alice@%s:%d
outgoing-cred-cmd = echo password
from = Alice <alice@work.example>
`, ih, ip, sh, sp)))
	e.mustRun("", "import", "--yes", "--ca-file", ca, "aerc", conf)
	e.mustRun("", "sync")
	if rows := e.list(); len(rows) < 7 {
		t.Errorf("after import and sync: %d messages, want at least 7", len(rows))
	}
}
