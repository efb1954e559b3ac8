package cli

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestSyncShowsServerAlerts: what an IMAP server says to the user outside
// any answer, an ALERT in its greeting and a warning while a folder is
// opened, is printed by posta sync, sanitized (RFC 3501 7.1: an ALERT
// must be shown to the user).
func TestSyncShowsServerAlerts(t *testing.T) {
	port := lineServer(t, nil, func(c net.Conn, r *bufio.Reader) {
		io.WriteString(c, "* OK [ALERT] This server moves to imap.example.org on Monday "+evil+"\r\n")
		commands(c, r, false, func(tag, verb string) string {
			switch verb {
			case "CAPABILITY":
				return "* CAPABILITY IMAP4rev1\r\n" + tag + " OK done\r\n"
			case "LIST":
				return "* LIST () \"/\" INBOX\r\n" + tag + " OK done\r\n"
			case "SELECT", "EXAMINE":
				return "* 0 EXISTS\r\n* NO [OVERQUOTA] Mailbox is 95% full " + evil + "\r\n" +
					"* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n" + tag + " OK [READ-ONLY] done\r\n"
			case "LOGOUT":
				return "* BYE bye\r\n" + tag + " OK done\r\n"
			}
			return tag + " OK done\r\n"
		})
	})
	dir := t.TempDir()
	config := fmt.Sprintf(`[[account]]
name = "a"
address = "a@example.org"
fetch = { kind = "imap", host = "127.0.0.1", port = %d, security = "none", allow_plaintext_auth = true, username = "a", password = "secret-pass" }
smtp = { host = "127.0.0.1", port = 1, security = "none", allow_plaintext_auth = true, username = "a", password = "secret-pass" }
`, port)
	cfgPath := filepath.Join(dir, "config.toml")
	writeFile(t, cfgPath, []byte(config))
	var out, errb bytes.Buffer
	g := &globals{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	status := run(ctx, g, []string{"--config", cfgPath, "--cache-dir", filepath.Join(dir, "cache"), "--data-dir", filepath.Join(dir, "data"), "sync"})
	if status != 0 {
		t.Fatalf("posta sync: status %d\nstderr: %s", status, errb.String())
	}
	for _, want := range []string{
		"a: the server says: This server moves to imap.example.org on Monday ",
		"a: the server says: [OVERQUOTA] Mailbox is 95% full ",
	} {
		if !strings.Contains(errb.String(), want) {
			t.Errorf("stderr lacks %q:\n%s", want, errb.String())
		}
	}
	t.Logf("stderr:\n%s", errb.String())
	checkClean(t, "posta sync stderr", errb.String())
	checkClean(t, "posta sync stdout", out.String())
}
