package ui

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/message"
)

func TestKeyOverrideShowsInHelpAndWorks(t *testing.T) {
	set, _ := demoSet(t, 3)
	keys, problems := keymap.Build(map[string]map[string][]string{"sidebar": {"next_account": {"w"}}})
	if len(problems) > 0 {
		t.Fatal(problems)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Keys: keys}), teatest.WithInitialTermSize(120, 50))
	waitFor(t, tm, "work · INBOX")
	tm.Type("?")
	waitFor(t, tm, fmt.Sprintf("  %-20s %s", "w", "next account"))
	tm.Type("?")
	tm.Type("w")
	waitFor(t, tm, "home · INBOX")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestUnifiedInboxMergesAccountsByDate(t *testing.T) {
	set, _ := demoSet(t, 6)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 40))
	waitFor(t, tm, "work · INBOX")
	tm.Type("0")
	waitFor(t, tm, "All inboxes · 12 messages")
	tm.Type("q") // back to the folder
	waitFor(t, tm, "work · INBOX")
	tm.Type("0")
	waitFor(t, tm, "All inboxes")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	rows := fm.index.rows
	accountsSeen := map[string]bool{}
	for _, r := range rows {
		accountsSeen[r.Account] = true
	}
	if !accountsSeen["work"] || !accountsSeen["home"] {
		t.Errorf("unified rows come from %v, want both accounts", accountsSeen)
	}
	if !sort.SliceIsSorted(rows, func(i, j int) bool { return rows[i].Date.After(rows[j].Date) }) {
		t.Error("unified rows are not newest first")
	}
}

// TestNotifyCommandGetsSanitizedArguments runs notify_command for new
// mail whose subject carries escape sequences: the command gets "--",
// sender and subject as separate arguments with nothing raw in them.
func TestNotifyCommandGetsSanitizedArguments(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the notify command is a shell script")
	}
	set, srv := demoSet(t, 1)
	dir := t.TempDir()
	out := filepath.Join(dir, "args")
	script := filepath.Join(dir, "notify.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nfor a in \"$@\"; do printf '%s\\n' \"$a\" >> "+out+"; done\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	raw := "From: Eve <eve@example.com>\r\nTo: alice@work.example\r\nSubject: \x1b]0;owned\x07hi $(reboot)\r\n\r\nx\r\n"
	if err := srv.Deliver("alice@work.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoWatch: true, NotifyCommand: []string{script, "--posta"}}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "[1 new]")
	var got []byte
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if got, _ = os.ReadFile(out); strings.Count(string(got), "\n") >= 4 {
			break
		}
	}
	lines := strings.Split(strings.TrimSuffix(string(got), "\n"), "\n")
	if len(lines) != 4 || lines[0] != "--posta" || lines[1] != "--" || lines[2] != "Eve <eve@example.com>" {
		t.Fatalf("notify args = %q, want --posta, --, the sender and the subject", lines)
	}
	if strings.ContainsAny(lines[3], "\x1b\x07") || !strings.Contains(lines[3], "hi $(reboot)") {
		t.Errorf("subject argument = %q, want it sanitized and passed literally", lines[3])
	}
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestMouseSelectsAndScrolls(t *testing.T) {
	set, _ := demoSet(t, 30)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX · 30 messages")
	tm.Send(tea.MouseMsg{X: 40, Y: 5, Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	waitFor(t, tm, "5/30")
	tm.Send(tea.MouseMsg{X: 40, Y: 5, Action: tea.MouseActionPress, Button: tea.MouseButtonWheelDown})
	waitFor(t, tm, "8/30")
	// The sidebar shows the first account, its folders, then the second.
	folders, err := set.Accounts[0].Folders()
	if err != nil {
		t.Fatal(err)
	}
	tm.Send(tea.MouseMsg{X: 3, Y: 1 + len(folders), Action: tea.MouseActionPress, Button: tea.MouseButtonLeft})
	waitFor(t, tm, "home · INBOX")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestThreadToggleIndentsReplies(t *testing.T) {
	set, _ := demoSet(t, 40)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 40))
	waitFor(t, tm, "work · INBOX · 40 messages")
	tm.Type("t")
	waitFor(t, tm, "└─Re:")
	tm.Type("t")
	waitFor(t, tm, "work · INBOX · 40 messages")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestPostponeAndResumeDraft leaves the composer with q (the draft goes to
// the IMAP Drafts folder), resumes it with E, sends it, and checks that
// it arrived and that the saved draft left Drafts.
func TestPostponeAndResumeDraft(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the scripted editor is a shell script")
	}
	set, _ := demoSet(t, 2)
	work, _ := set.Get("work")
	subject := "draft " + time.Now().Format("150405.000000")
	editor := filepath.Join(t.TempDir(), "editor.sh")
	// The editor keeps whatever it is given, except an empty To and
	// Subject, which it fills in.
	script := "#!/bin/sh\nsed -i -e 's/^To: *$/To: bob@home.example/' -e 's/^Subject: *$/Subject: " + subject + "/' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: editor, DraftDir: t.TempDir()}),
		teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("q")
	waitFor(t, tm, "Saved to Drafts of work")

	// The draft is on the server: sync it in and open the Drafts folder.
	tm.Type("$")
	waitFor(t, tm, "[1 new]") // the counter stays; the status may change again at once
	var draftsIdx int
	folders, _ := work.Folders()
	for i, f := range folders {
		if f.Name == "Drafts" {
			draftsIdx = i
		}
	}
	for i := 0; i < draftsIdx; i++ {
		tm.Type("J")
	}
	waitFor(t, tm, "work · Drafts")
	msgs, _ := work.List("Drafts", 0, 0)
	pos := -1
	for i, m := range msgs {
		if m.Subject == subject {
			pos = i
		}
	}
	if pos < 0 {
		t.Fatalf("the postponed draft %q is not in Drafts after a sync", subject)
	}
	for i := 0; i < pos; i++ {
		tm.Type("j")
	}
	tm.Type("E")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("y")
	waitFor(t, tm, " Sent") // "Sent from work…", then at once "Sent; the draft went to the Trash"
	// The saved draft goes to the Trash right after the send; give that
	// action a moment, then check the server.
	var gone bool
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline) && !gone; time.Sleep(100 * time.Millisecond) {
		if _, err := work.Sync(t.Context(), nil); err != nil {
			continue
		}
		still, _ := work.List("Drafts", 0, 0)
		gone = true
		for _, m := range still {
			gone = gone && m.Subject != subject
		}
	}
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	after, _ := work.List("Drafts", 0, 0)
	for _, m := range after {
		if m.Subject == subject {
			t.Errorf("the sent draft is still in Drafts")
		}
	}
}

// TestBuiltinEditorCompletesAddresses composes in the built-in editor
// (the fallback when no external editor is installed): Tab on the To
// line completes an address from the cache.
func TestBuiltinEditorCompletesAddresses(t *testing.T) {
	set, _ := demoSet(t, 30)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: "builtin", DraftDir: t.TempDir()}),
		teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "ctrl+s or esc: done")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlHome})
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd})
	tm.Type("pri")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyDown})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnd})
	tm.Type("written inline")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlS})
	waitFor(t, tm, "Send this message from work?")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	d := fm.compose.draft
	if len(d.To) != 1 || !strings.Contains(d.To[0], "priya@example.in") || d.Subject != "written inline" {
		t.Errorf("draft To = %q, Subject = %q; want the completed priya@example.in and the typed subject", d.To, d.Subject)
	}
}

// TestSearchMergesServerResults searches a word that only an uncached
// IMAP body holds: the servers' answer joins the local results.
func TestSearchMergesServerResults(t *testing.T) {
	set, srv := demoSet(t, 3)
	raw := "From: Zed <zed@example.com>\r\nTo: alice@work.example\r\nSubject: plain subject\r\n\r\nthe xylophonic answer\r\n"
	if err := srv.Deliver("alice@work.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	work, _ := set.Get("work")
	if _, err := work.Sync(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("/")
	tm.Type("xylophonic")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	// Not "plain subject": the folder's listing shows it before the search
	// does, and the servers' answer comes after the local results.
	waitFor(t, tm, "1 found (1 more from the servers)")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if fm.search == nil || len(fm.search.ids) != 1 {
		t.Errorf("search results = %v, want the one message the server found", fm.search)
	}
}

// TestForwardAsAttachment forwards a message with ctrl+f: the review
// screen lists the original as an attachment.
func TestForwardAsAttachment(t *testing.T) {
	set, _ := demoSet(t, 3)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: "true", DraftDir: t.TempDir()}),
		teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlF})
	waitFor(t, tm, "Attach:")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if a := fm.compose.draft.Attachments; len(a) != 1 || a[0].ContentType != "message/rfc822" {
		t.Errorf("forward attachments = %+v, want the original as message/rfc822", a)
	}
	// The editor left the draft without a recipient: the review says so
	// and still shows the sender and the subject the forward was given.
	if d := fm.compose.draft; !errors.Is(fm.compose.err, message.ErrNoTo) || d.From == "" || !strings.HasPrefix(d.Subject, "Fwd: ") {
		t.Errorf("review of a forward left unedited: err %v, From %q, Subject %q; want ErrNoTo, the identity, Fwd: …", fm.compose.err, d.From, d.Subject)
	}
}

// TestHelpScrollsOnSmallTerminals: at 80×24 the help is taller than the
// screen; G reaches its end (the compose keys).
func TestHelpScrollsOnSmallTerminals(t *testing.T) {
	set, _ := demoSet(t, 2)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(80, 24))
	waitFor(t, tm, "work · INBOX")
	tm.Type("?")
	waitFor(t, tm, "j/k scroll")
	tm.Type("G")
	waitFor(t, tm, "close, kept in Drafts")
	tm.Type("q")
	waitFor(t, tm, "work · INBOX")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestTitleCountsOneMessage: a search that finds one message says so in
// the singular.
func TestTitleCountsOneMessage(t *testing.T) {
	set, srv := demoSet(t, 3)
	raw := "From: Zed <zed@example.com>\r\nTo: alice@work.example\r\nSubject: the only zebra\r\n\r\nstripes\r\n"
	if err := srv.Deliver("alice@work.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	work, _ := set.Get("work")
	if _, err := work.Sync(t.Context(), nil); err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(120, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("/")
	tm.Type("zebra")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "1 found")
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	if v := fm.View(); !strings.Contains(v, "· 1 message ") || strings.Contains(v, "1 messages") {
		t.Errorf("title of a search with one result:\n%s", v)
	}
}

// TestMoveCompletesFolder: in the move prompt, Tab completes a folder
// name typed in any case, and the message lands in that folder.
func TestMoveCompletesFolder(t *testing.T) {
	set, _ := demoSet(t, 3)
	work, _ := set.Get("work")
	before, _ := work.Count("Archive")
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX · 3 messages")
	tm.Type("M")
	waitFor(t, tm, "Move to folder:")
	tm.Type("arch")
	tm.Send(tea.KeyMsg{Type: tea.KeyTab})
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Moved to Archive")
	if n, _ := work.Count("Archive"); n != before+1 {
		t.Errorf("Archive holds %d after the move, want %d", n, before+1)
	}
	tm.Send(tea.KeyMsg{Type: tea.KeyCtrlC})
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

func TestFolderNamed(t *testing.T) {
	p := newPrompt(promptMove, "Move to folder: ", "")
	p.input.SetSuggestions([]string{"INBOX", "Archive", "Projects/posta", "Lists", "lists"})
	for in, want := range map[string]string{
		"archive":        "Archive", // one folder differs only in case
		"Archive":        "Archive",
		"projects/POSTA": "Projects/posta",
		"LISTS":          "LISTS", // two folders fit: as typed
		"lists":          "lists",
		"Nowhere":        "Nowhere",
	} {
		if got := p.folderNamed(in); got != want {
			t.Errorf("folderNamed(%q) = %q, want %q", in, got, want)
		}
	}
}
