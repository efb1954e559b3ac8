package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestDemoServe runs `posta demo --serve` as a script would: read the
// JSON line, use its config with sync and list, then stop it.
func TestDemoServe(t *testing.T) {
	pr, pw := io.Pipe()
	g := &globals{stdin: strings.NewReader(""), stdout: pw, stderr: io.Discard}
	root := newRoot(g)
	root.SetArgs([]string{"demo", "--serve", "--messages", "7"})
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- root.ExecuteContext(ctx); pw.Close() }()

	line, err := bufio.NewReader(pr).ReadString('\n')
	if err != nil {
		t.Fatalf("reading the first line: %v", err)
	}
	var info struct {
		Config   string `json:"config"`
		IMAP     string `json:"imap"`
		POP3     string `json:"pop3"`
		SMTP     string `json:"smtp"`
		Accounts []struct {
			Name, Address, Username, Password string
		} `json:"accounts"`
	}
	if err := json.Unmarshal([]byte(line), &info); err != nil {
		t.Fatalf("first line is not JSON: %v: %q", err, line)
	}
	if info.IMAP == "" || info.POP3 == "" || info.SMTP == "" || len(info.Accounts) != 2 {
		t.Fatalf("incomplete serve info: %+v", info)
	}
	if fi, err := os.Stat(info.Config); err != nil || fi.Mode().Perm()&0o077 != 0 {
		t.Fatalf("config file %s: %v (mode %v), want private", info.Config, err, fi)
	}

	e := &env{t: t, config: info.Config, cache: filepath.Join(t.TempDir(), "cache")}
	e.mustRun("", "sync")
	rows := e.list()
	perAccount := map[string]int{}
	for _, r := range rows {
		if r.Folder == "INBOX" {
			perAccount[r.Account]++
		}
	}
	if perAccount["work"] != 7 || perAccount["home"] != 7 {
		t.Errorf("INBOX counts = %v, want 7 each", perAccount)
	}

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("demo --serve returned %v on cancel", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("demo --serve did not stop on cancel")
	}
	if _, err := os.Stat(info.Config); !os.IsNotExist(err) {
		t.Errorf("config file left behind after stop: %v", err)
	}
}
