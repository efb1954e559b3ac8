package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/demo"
)

// env is a demo server set and a configuration that points at it, as
// `posta demo --serve` would leave them.
type env struct {
	t      *testing.T
	srv    *demo.Servers
	config string
	cache  string
}

func newEnv(t *testing.T, messages int) *env {
	t.Helper()
	srv, err := demo.Start(demo.Options{Messages: messages})
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	cfg, err := writeDemoConfig(dir, srv)
	if err != nil {
		t.Fatalf("writeDemoConfig: %v", err)
	}
	return &env{t: t, srv: srv, config: cfg, cache: filepath.Join(dir, "cache")}
}

// run runs one posta command line and returns its stdout, stderr and
// error.
func (e *env) run(stdin string, args ...string) (string, string, error) {
	e.t.Helper()
	var out, errb bytes.Buffer
	g := &globals{stdin: strings.NewReader(stdin), stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.SetArgs(append([]string{"--config", e.config, "--cache-dir", e.cache}, args...))
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err := root.ExecuteContext(ctx)
	return out.String(), errb.String(), err
}

func (e *env) mustRun(stdin string, args ...string) string {
	e.t.Helper()
	out, stderr, err := e.run(stdin, args...)
	if err != nil {
		e.t.Fatalf("posta %s: %v\nstderr: %s", strings.Join(args, " "), err, stderr)
	}
	return out
}

func (e *env) list(args ...string) []messageJSON {
	e.t.Helper()
	out := e.mustRun("", append([]string{"list", "--json"}, args...)...)
	var rows []messageJSON
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		e.t.Fatalf("list --json: %v\n%s", err, out)
	}
	return rows
}

func TestSyncListReadSendAcrossAccounts(t *testing.T) {
	const perInbox = 40
	e := newEnv(t, perInbox)
	e.mustRun("", "sync")

	rows := e.list()
	byAccount := map[string]map[string]int{}
	for _, r := range rows {
		if byAccount[r.Account] == nil {
			byAccount[r.Account] = map[string]int{}
		}
		byAccount[r.Account][r.Folder]++
		if r.ID == 0 || r.MessageID == "" || r.Date == "" || r.From == "" {
			t.Errorf("incomplete row: %+v", r)
		}
		if _, err := time.Parse(time.RFC3339, r.Date); err != nil {
			t.Errorf("date %q is not RFC 3339", r.Date)
		}
	}
	if got := byAccount["work"]["INBOX"]; got != perInbox {
		t.Errorf("work INBOX has %d messages, want %d", got, perInbox)
	}
	if got := byAccount["home"]["INBOX"]; got != perInbox {
		t.Errorf("home INBOX has %d messages, want %d", got, perInbox)
	}
	for _, f := range []string{"Sent", "Drafts", "Trash", "Archive"} {
		if byAccount["work"][f] == 0 {
			t.Errorf("work folder %s is empty after sync; folders: %v", f, byAccount["work"])
		}
	}

	// read shows the pager text; --raw gives the bytes the server has.
	first := rows[0]
	text := e.mustRun("", "read", fmt.Sprint(first.ID))
	if !strings.Contains(text, "Subject:") {
		t.Errorf("read output has no Subject header:\n%s", text)
	}
	raw := e.mustRun("", "read", "--raw", fmt.Sprint(first.ID))
	if int64(len(raw)) != first.Size && first.Size != 0 {
		t.Errorf("read --raw gave %d bytes, list says size %d", len(raw), first.Size)
	}

	// Mail from work to home arrives in home after its next sync, and the
	// other way round.
	subjectA := fmt.Sprintf("to home %d", time.Now().UnixNano())
	msgA := "From: alice@work.example\r\nTo: bob@home.example\r\nSubject: " + subjectA + "\r\n\r\nHello Bob.\r\n"
	e.mustRun(msgA, "send", "--account", "work")
	subjectB := fmt.Sprintf("to work %d", time.Now().UnixNano())
	msgB := "From: bob@home.example\r\nTo: alice@work.example\r\nSubject: " + subjectB + "\r\n\r\nHello Alice.\r\n"
	e.mustRun(msgB, "send", "--account", "home")
	e.mustRun("", "sync")

	found := map[string]bool{}
	for _, r := range e.list() {
		if r.Subject == subjectA || r.Subject == subjectB {
			found[r.Subject+" in "+r.Account+"/"+r.Folder] = true
		}
	}
	for _, want := range []string{
		subjectA + " in home/INBOX", subjectA + " in work/Sent",
		subjectB + " in work/INBOX", subjectB + " in home/Sent",
	} {
		if !found[want] {
			t.Errorf("missing %q; found %v", want, found)
		}
	}
}

func TestSyncFailureIsReported(t *testing.T) {
	e := newEnv(t, 5)
	if err := e.srv.StopPOP3(); err != nil {
		t.Fatal(err)
	}
	_, stderr, err := e.run("", "sync", "--account", "home")
	if err == nil {
		t.Fatal("sync with the POP3 server down succeeded")
	}
	if !strings.Contains(stderr, "home") {
		t.Errorf("stderr does not name the failing account: %q", stderr)
	}
}

func TestSendRefusesMessageWithoutRecipients(t *testing.T) {
	e := newEnv(t, 1)
	_, _, err := e.run("From: alice@work.example\r\nSubject: x\r\n\r\nbody\r\n", "send", "--account", "work")
	if err == nil || !strings.Contains(err.Error(), "no recipients") {
		t.Fatalf("send without recipients: err = %v, want 'no recipients'", err)
	}
}

func TestRenderSanitizesHostileFile(t *testing.T) {
	e := newEnv(t, 1)
	path := filepath.Join(t.TempDir(), "evil.eml")
	hostile := "From: \x1b]0;pwned\x07Eve <eve@example.com>\r\nSubject: \x1b[2Jclear \x9b31m\r\n" +
		"Content-Type: text/plain\r\n\r\nbody \x1b]52;c;ZXZpbA==\x07 end\r\n"
	if err := os.WriteFile(path, []byte(hostile), 0o600); err != nil {
		t.Fatal(err)
	}
	out := e.mustRun("", "render", path)
	if strings.ContainsAny(out, "\x1b\x07\u009b") {
		t.Errorf("render let a control character through: %q", out)
	}
	if !strings.Contains(out, "end") {
		t.Errorf("render lost the body: %q", out)
	}
	if _, _, err := e.run("", "render", filepath.Join(t.TempDir(), "missing.eml")); err == nil {
		t.Error("render of a missing file succeeded")
	}
}

func TestNoConfigPointsToDemo(t *testing.T) {
	var out, errb bytes.Buffer
	g := &globals{stdin: strings.NewReader(""), stdout: &out, stderr: &errb}
	root := newRoot(g)
	root.SetArgs([]string{"--config", filepath.Join(t.TempDir(), "none.toml"), "list"})
	err := root.Execute()
	if err == nil || !strings.Contains(err.Error(), "posta demo") {
		t.Fatalf("err = %v, want a pointer to posta demo", err)
	}
}

func TestAddressesCompletes(t *testing.T) {
	e := newEnv(t, 30)
	e.mustRun("", "sync")
	out := e.mustRun("", "addresses", "--mutt", "pri")
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if len(lines) < 2 || !strings.HasPrefix(lines[0], "posta: ") || !strings.HasPrefix(lines[1], "priya@example.in\t") {
		t.Errorf("addresses --mutt pri =\n%s\nwant a first line and priya@example.in", out)
	}
}

func TestAccountsShowsState(t *testing.T) {
	e := newEnv(t, 2)
	read := func() map[string]map[string]any {
		var rows []map[string]any
		if err := json.Unmarshal([]byte(e.mustRun("", "accounts", "--json")), &rows); err != nil {
			t.Fatal(err)
		}
		out := map[string]map[string]any{}
		for _, r := range rows {
			out[r["name"].(string)] = r
		}
		return out
	}
	if got := read()["work"]["state"]; got != "never synced" {
		t.Errorf("state before any sync = %v", got)
	}
	e.mustRun("", "sync")
	if err := e.srv.StopPOP3(); err != nil {
		t.Fatal(err)
	}
	e.run("", "sync", "--account", "home")
	rows := read()
	if rows["work"]["state"] != "ok" || rows["home"]["state"] != "failing" || rows["home"]["last_error"] == "" {
		t.Errorf("states = work %v, home %v (%v); want ok and failing with the error", rows["work"]["state"], rows["home"]["state"], rows["home"]["last_error"])
	}
	if rows["home"]["last_ok"] == nil {
		t.Error("home lost the time of its last good sync")
	}
}
