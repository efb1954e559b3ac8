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

// freshView syncs the work account into a cache of its own and returns
// its rows: what the IMAP server holds.
func (e *env) freshView() []messageJSON {
	e.t.Helper()
	other := *e
	other.cache = filepath.Join(e.t.TempDir(), "fresh-cache")
	other.mustRun("", "--account", "work", "sync")
	return other.list("--account", "work")
}

func findRows(rows []messageJSON, messageID string) []messageJSON {
	var out []messageJSON
	for _, r := range rows {
		if r.MessageID == messageID {
			out = append(out, r)
		}
	}
	return out
}

func TestActionCommandsReachTheServer(t *testing.T) {
	e := newEnv(t, 4)
	e.mustRun("", "sync", "--account", "work")
	inbox := e.list("--account", "work", "--folder", "INBOX")
	if len(inbox) < 3 {
		t.Fatalf("INBOX has %d messages, want at least 3", len(inbox))
	}
	id := func(i int) string { return fmt.Sprint(inbox[i].ID) }

	e.mustRun("", "flag", id(0), "+flagged")
	e.mustRun("", "flag", id(0), `\Seen`)
	e.mustRun("", "flag", id(0), "-seen")
	e.mustRun("", "move", id(1), "Archive")
	e.mustRun("", "delete", id(2))

	if _, _, err := e.run("", "--account", "home", "flag", id(0), "+seen"); err == nil || !strings.Contains(err.Error(), "belongs to account work") {
		t.Errorf("flag with the wrong --account: err = %v, want 'belongs to account work'", err)
	}
	if _, _, err := e.run("", "move", id(0), "Nowhere"); err == nil || !strings.Contains(err.Error(), "Nowhere") {
		t.Errorf("move to a missing folder: err = %v, want one naming the folder", err)
	}
	if _, _, err := e.run("", "flag", id(0), "bad flag"); err == nil {
		t.Error("flag with a space in the flag name succeeded")
	}

	server := e.freshView()
	if rows := findRows(server, inbox[0].MessageID); len(rows) != 1 || !slices.Contains(rows[0].Flags, `\Flagged`) || slices.Contains(rows[0].Flags, `\Seen`) {
		t.Errorf("flagged message on the server: %+v, want one with \\Flagged and without \\Seen", rows)
	}
	for i, folder := range map[int]string{1: "Archive", 2: "Trash"} {
		if rows := findRows(server, inbox[i].MessageID); len(rows) != 1 || rows[0].Folder != folder {
			t.Errorf("message %d on the server: %+v, want it in %s only", i, rows, folder)
		}
	}
	if out := e.mustRun("", "pending", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("pending --json = %s, want []", out)
	}
}

func TestActionQueuedWhileServerDown(t *testing.T) {
	e := newEnv(t, 3)
	e.mustRun("", "sync", "--account", "work")
	inbox := e.list("--account", "work", "--folder", "INBOX")

	// The same configuration with the IMAP server unreachable.
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	dead := ln.Addr().(*net.TCPAddr).Port
	ln.Close()
	_, imapPort, _ := net.SplitHostPort(e.srv.IMAPAddr)
	cfg, err := os.ReadFile(e.config)
	if err != nil {
		t.Fatal(err)
	}
	offline := *e
	offline.config = filepath.Join(t.TempDir(), "offline.toml")
	text := strings.Replace(string(cfg), "port = "+imapPort+"\n", fmt.Sprintf("port = %d\n", dead), 1)
	if err := os.WriteFile(offline.config, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}

	id := fmt.Sprint(inbox[0].ID)
	_, stderr, err := offline.run("", "flag", id, "+flagged")
	if err != nil || !strings.Contains(stderr, "queued") {
		t.Fatalf("flag offline: err = %v, stderr %q; want success saying queued", err, stderr)
	}
	offline.mustRun("", "move", id, "Archive")
	var pending []pendingJSON
	if err := json.Unmarshal([]byte(offline.mustRun("", "pending", "--json")), &pending); err != nil {
		t.Fatal(err)
	}
	if len(pending) != 2 || pending[0].Kind != "flag" || pending[0].Flag != `\Flagged` || pending[1].Kind != "move" || pending[1].Dest != "Archive" {
		t.Fatalf("pending = %+v, want flag \\Flagged then move to Archive", pending)
	}
	if out := offline.mustRun("", "pending"); !strings.Contains(out, "move INBOX/"+inbox[0].UID+" to Archive") {
		t.Errorf("pending table does not describe the move:\n%s", out)
	}
	if rows := findRows(offline.list("--account", "work"), inbox[0].MessageID); len(rows) != 1 || rows[0].Folder != "Archive" {
		t.Errorf("locally while offline: %+v, want the message in Archive", rows)
	}

	e.mustRun("", "sync", "--account", "work")
	if out := e.mustRun("", "pending", "--json"); strings.TrimSpace(out) != "[]" {
		t.Errorf("pending after sync = %s, want []", out)
	}
	for label, rows := range map[string][]messageJSON{"server": e.freshView(), "local": e.list("--account", "work")} {
		got := findRows(rows, inbox[0].MessageID)
		if len(got) != 1 || got[0].Folder != "Archive" || !slices.Contains(got[0].Flags, `\Flagged`) {
			t.Errorf("%s after replay: %+v, want one message in Archive with \\Flagged", label, got)
		}
	}
}
