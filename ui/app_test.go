package ui

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/charmbracelet/x/exp/teatest"
	"github.com/muesli/termenv"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/message"
)

func TestMain(m *testing.M) {
	lipgloss.SetColorProfile(termenv.Ascii)
	os.Exit(m.Run())
}

// demoSet starts the demo servers and opens both demo accounts over a
// fresh cache, synced once.
func demoSet(t *testing.T, messages int) (*accounts.Set, *demo.Servers) {
	t.Helper()
	set, srv := demoSetCold(t, messages)
	for _, a := range set.Accounts {
		if _, err := a.Sync(context.Background(), nil); err != nil {
			t.Fatalf("sync %s: %v", a.Name(), err)
		}
	}
	return set, srv
}

// demoSetCold is demoSet with an empty cache: nothing synced yet.
func demoSetCold(t *testing.T, messages int) (*accounts.Set, *demo.Servers) {
	t.Helper()
	return demoSetOpts(t, demo.Options{Messages: messages}, nil)
}

// demoSetOpts starts the demo servers with opts and opens a set on an
// empty cache, each account's configuration changed by edit (if not nil).
func demoSetOpts(t *testing.T, opts demo.Options, edit func(*accounts.AccountConfig)) (*accounts.Set, *demo.Servers) {
	t.Helper()
	srv, err := demo.Start(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &accounts.Config{DefaultAccount: "work"}
	for _, a := range srv.Accounts {
		addr := srv.IMAPAddr
		if a.Kind == "pop3" {
			addr = srv.POP3Addr
		}
		ac := accounts.AccountConfig{
			Name: a.Name, Address: a.Address, DisplayName: a.Username,
			Fetch: accounts.FetchConfig{Kind: a.Kind, ServerConfig: server(t, addr, "tls", a, ca)},
			SMTP:  server(t, srv.SMTPAddr, "starttls", a, ca),
		}
		if edit != nil {
			edit(&ac)
		}
		cfg.Accounts = append(cfg.Accounts, ac)
	}
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "cache"), DataDir: filepath.Join(dir, "data"), ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	set, err := accounts.Open(cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	return set, srv
}

func server(t *testing.T, addr, security string, a demo.Account, ca string) accounts.ServerConfig {
	host, portStr, _ := strings.Cut(addr, ":")
	var port int
	for _, c := range portStr {
		port = port*10 + int(c-'0')
	}
	return accounts.ServerConfig{Host: host, Port: port, Security: security, Username: a.Username, Password: a.Password, CAFile: ca}
}

func waitFor(t *testing.T, tm *teatest.TestModel, what string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(what)) },
		teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

func TestOpenMessageAndSwitchAccount(t *testing.T) {
	set, _ := demoSet(t, 15)
	work, _ := set.Get("work")
	newest, err := work.List("INBOX", 1, 0)
	if err != nil || len(newest) != 1 {
		t.Fatalf("List: %v %v", newest, err)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX · 15 messages")

	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Subject:")

	tm.Type("q")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	waitFor(t, tm, "home · INBOX · 15 messages")
	tm.Type("1")
	waitFor(t, tm, "work · INBOX")

	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if fm.account().Name() != "work" {
		t.Errorf("final account = %s, want work", fm.account().Name())
	}
}

func TestComposeAndSendWithScriptedEditor(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the scripted editor is a shell script")
	}
	set, _ := demoSet(t, 3)
	subject := "teatest " + time.Now().Format("150405.000000")
	editor := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\ncat > \"$1\" <<'EOF'\nFrom: Alice Example <alice@work.example>\nTo: Bob <bob@home.example>\nSubject: " + subject + "\n\nWritten by a scripted editor.\nEOF\n"
	if err := os.WriteFile(editor, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, Editor: editor, DraftDir: t.TempDir()}),
		teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")

	tm.Type("m")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("y")
	waitFor(t, tm, "Sent from work to bob@home.example")

	// The message arrives in the POP3 account after its next sync.
	tm.Type("2")
	waitFor(t, tm, "home · INBOX")
	tm.Type("$")
	waitFor(t, tm, subject)
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestSearchAndSaveAttachment(t *testing.T) {
	set, _ := demoSet(t, 40)
	dl := t.TempDir()
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, DownloadDir: dl}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")

	want, err := set.SearchIDs("has:attachment", 1)
	if err != nil || len(want) == 0 {
		t.Fatalf("Search: %v %v", want, err)
	}
	tm.Type("/")
	tm.Type("has:attachment")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "search: has:attachment")

	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Attachments:")
	tm.Type("s")
	waitFor(t, tm, "Save attachment number:")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Saved to")
	entries, err := os.ReadDir(dl)
	if err != nil || len(entries) != 1 {
		t.Fatalf("download dir holds %v (%v), want one file", entries, err)
	}
	fi, _ := entries[0].Info()
	if runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600 {
		t.Errorf("saved attachment mode %v, want 0600", fi.Mode().Perm())
	}
	tm.Type("q")                          // back to the search results
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc}) // back to the folder
	waitFor(t, tm, "work · INBOX")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestAccountKeepsPosition(t *testing.T) {
	set, _ := demoSet(t, 20)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("jjj")
	waitFor(t, tm, "4/20")
	tm.Type("2")
	waitFor(t, tm, "home · INBOX")
	tm.Type("1")
	waitFor(t, tm, "4/20")
	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if fm.index.cursor != 3 {
		t.Errorf("cursor after switching back = %d, want 3", fm.index.cursor)
	}
}

// TestNewMailAppearsWithoutKeyPress delivers mail to the open IMAP inbox:
// IDLE pushes it and the index shows it with no key pressed.
func TestNewMailAppearsWithoutKeyPress(t *testing.T) {
	set, srv := demoSet(t, 5)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX · 5 messages")
	subject := "pushed " + time.Now().Format("150405.000000")
	raw := []byte("From: Bob <bob@home.example>\r\nTo: alice@work.example\r\nSubject: " + subject + "\r\nDate: " + time.Now().Format(time.RFC1123Z) + "\r\n\r\nhi\r\n")
	// IDLE starts in the background: deliver once it had a moment, and
	// again later if the first delivery came before it.
	time.Sleep(300 * time.Millisecond)
	if err := srv.Deliver("alice@work.example", raw); err != nil {
		t.Fatal(err)
	}
	again := time.AfterFunc(3*time.Second, func() {
		_ = srv.Deliver("alice@work.example", []byte("From: bob@home.example\r\nTo: alice@work.example\r\nSubject: nudge\r\n\r\nx\r\n"))
	})
	defer again.Stop()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(subject)) },
		teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(50*time.Millisecond))
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}
