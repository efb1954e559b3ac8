package cli

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestBulkActionCommands acts on several IDs and on a --query, with and
// without --dry-run, online and offline.
func TestBulkActionCommands(t *testing.T) {
	e := newEnv(t, 12)
	e.mustRun("", "sync", "--account", "work")
	inbox := e.list("--account", "work", "--folder", "INBOX")
	if len(inbox) < 12 {
		t.Fatalf("INBOX has %d messages, want at least 12", len(inbox))
	}
	id := func(i int) string { return fmt.Sprint(inbox[i].ID) }

	out, stderr, err := e.run("", "archive", "--dry-run", "--query", "folder:INBOX account:work")
	if err != nil || !strings.Contains(stderr, fmt.Sprintf("would act on %d messages", len(inbox))) || !strings.Contains(out, inbox[3].Subject) {
		t.Fatalf("archive --dry-run: err %v, stderr %q, out:\n%s", err, stderr, out)
	}
	if n := len(e.list("--account", "work", "--folder", "INBOX")); n != len(inbox) {
		t.Fatalf("after a dry run INBOX holds %d, want %d", n, len(inbox))
	}

	e.mustRun("", "flag", id(0), id(1), id(2), "+flagged")
	e.mustRun("", "move", id(3), id(4), "Projects/posta")
	if _, _, err := e.run("", "delete", id(5), "999999"); err == nil || !strings.Contains(err.Error(), "999999") {
		t.Errorf("delete with a missing ID: err = %v, want one naming it", err)
	}
	server := e.freshView()
	for i := 0; i < 5; i++ {
		rows := findRows(server, inbox[i].MessageID)
		switch {
		case len(rows) != 1:
			t.Errorf("message %d on the server: %+v, want one copy", i, rows)
		case i < 3 && !slices.Contains(rows[0].Flags, `\Flagged`):
			t.Errorf("message %d on the server is not flagged: %v", i, rows[0].Flags)
		case i >= 3 && rows[0].Folder != "Projects/posta":
			t.Errorf("message %d on the server is in %s, want Projects/posta", i, rows[0].Folder)
		}
	}

	// Offline: one queued entry for the messages of a folder.
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, imapPort, _ := net.SplitHostPort(e.srv.IMAPAddr)
	offline := *e
	offline.config = filepath.Join(t.TempDir(), "offline.toml")
	text := strings.Replace(string(cfg), "port = "+imapPort+"\n", fmt.Sprintf("port = %d\n", dead), 1)
	if err := os.WriteFile(offline.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	_, stderr, err = offline.run("", "archive", "--query", "folder:INBOX account:work")
	if err != nil || !strings.Contains(stderr, "queued") {
		t.Fatalf("archive --query offline: err %v, stderr %q; want success saying queued", err, stderr)
	}
	var pending []pendingJSON
	if err := json.Unmarshal([]byte(offline.mustRun("", "pending", "--json")), &pending); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 1 || pending[0].Kind != "move" || len(pending[0].Messages) != len(inbox)-2 {
		t.Fatalf("pending = %+v, want one move of %d messages", pending, len(inbox)-2)
	}
	e.mustRun("", "sync", "--account", "work")
	server = e.freshView()
	for i, m := range inbox[5:] {
		if rows := findRows(server, m.MessageID); len(rows) != 1 || rows[0].Folder != "Archive" {
			t.Errorf("message %d on the server after the replay: %+v, want it in Archive", i+5, rows)
		}
	}
}

// TestBulkActionWithOnlyAnID: "posta flag 12" names no flag; the error
// says that 12 was read as the flag, not that no message was given.
func TestBulkActionWithOnlyAnID(t *testing.T) {
	e := newEnv(t, 2)
	for _, c := range []struct{ cmd, what string }{{"flag", "flag"}, {"move", "folder"}, {"copy", "folder"}} {
		_, _, err := e.run("", c.cmd, "12")
		if err == nil || !strings.Contains(err.Error(), `"12" is read as the `+c.what) || !strings.Contains(err.Error(), "usage: posta "+c.cmd) {
			t.Errorf("posta %s 12: err = %v, want it to say 12 was read as the %s", c.cmd, err, c.what)
		}
	}
	if _, _, err := e.run("", "archive"); err == nil || !strings.Contains(err.Error(), "give message IDs or --query") {
		t.Errorf("posta archive: err = %v", err)
	}
}
