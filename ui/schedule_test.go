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
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/demo"
)

// identitySet is demoSet with identities: work (alice) has its own
// signature and the info desk, with another signature.
func identitySet(t *testing.T, messages int) (*accounts.Set, *demo.Servers) {
	t.Helper()
	set, srv := demoSetOpts(t, demo.Options{Messages: messages}, func(ac *accounts.AccountConfig) {
		if ac.Name == "work" {
			ac.Signature = "Alice at work"
			ac.Identities = []accounts.IdentityConfig{{Address: "info@work.example", DisplayName: "Info desk", Signature: "The info desk\nwork.example"}}
		}
	})
	for _, a := range set.Accounts {
		if _, err := a.Sync(context.Background(), nil); err != nil {
			t.Fatalf("sync %s: %v", a.Name(), err)
		}
	}
	return set, srv
}

// fillingEditor is an editor script that fills an empty To and Subject
// of the draft and leaves the rest (the signature) as it is.
func fillingEditor(t *testing.T, subject string) string {
	t.Helper()
	return fillingEditorTo(t, "bob@home.example", subject)
}

// fillingEditorTo is fillingEditor with another recipient.
func fillingEditorTo(t *testing.T, to, subject string) string {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the scripted editor is a shell script")
	}
	editor := filepath.Join(t.TempDir(), "editor.sh")
	script := "#!/bin/sh\nsed -i -e 's/^To: *$/To: " + to + "/' -e 's/^Subject: *$/Subject: " + subject + "/' \"$1\"\n"
	if err := os.WriteFile(editor, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	return editor
}

// deliveredTo counts the messages with subject in bob's POP3 maildrop,
// on the server: what SMTP delivered, whoever sent it.
func deliveredTo(srv *demo.Servers, subject string) (n int, raw []byte) {
	for _, m := range srv.POP3.Messages("bob") {
		if bytes.Contains(m.Data, []byte("Subject: "+subject+"\r\n")) {
			n++
			raw = m.Data
		}
	}
	return n, raw
}

// waitForAll waits until the screen showed every one of what (in one
// frame or several).
func waitForAll(t *testing.T, tm *teatest.TestModel, what ...string) {
	t.Helper()
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		for _, w := range what {
			if !bytes.Contains(b, []byte(w)) {
				return false
			}
		}
		return true
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
}

// waitUntil polls cond (state outside the screen) until it holds.
func waitUntil(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(15 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("waited 15s for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestUndoSend: y puts the message in the outbox for the undo delay with
// a countdown; u takes it back into the composer, with its signature
// once, and it leaves the outbox and is never sent. Sent again, once
// the (short) delay ran out the timer sends it, once.
func TestUndoSend(t *testing.T) {
	set, srv := identitySet(t, 2)
	subject := "undo " + time.Now().Format("150405.000000")
	drafts := t.TempDir()
	delay := 2 * time.Second
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: fillingEditor(t, subject),
		DraftDir: drafts, UndoSendDelay: time.Hour}), teatest.WithInitialTermSize(120, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("y")
	waitFor(t, tm, "Sending to bob@home.example in ")
	items, err := set.Outbox("work")
	if err != nil || len(items) != 1 || items[0].SendAt.Before(time.Now().Add(50*time.Minute)) {
		t.Fatalf("outbox during the undo delay = %+v, %v; want the message, due in an hour", items, err)
	}
	tm.Type("u")
	waitFor(t, tm, "Taken back: not sent")
	waitUntil(t, "the message to leave the outbox", func() bool { items, _ := set.Outbox(""); return len(items) == 0 })
	// The composer is open again on the same text.
	files, _ := filepath.Glob(filepath.Join(drafts, "posta-draft-*.eml"))
	if len(files) != 1 {
		t.Fatalf("draft files = %v, want the reopened one", files)
	}
	text, _ := os.ReadFile(files[0])
	if !strings.Contains(string(text), "Subject: "+subject) || strings.Count(string(text), "-- \nAlice at work") != 1 {
		t.Errorf("the reopened draft:\n%s\nwant the subject and the signature once", text)
	}
	waitFor(t, tm, "Send this message from work?")
	tm.Type("x")
	waitFor(t, tm, "Message discarded")
	if n, _ := deliveredTo(srv, subject); n != 0 {
		t.Errorf("the message taken back was delivered %d times", n)
	}
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))

	// Not taken back: sent once the delay ran out.
	tm = teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: fillingEditor(t, subject),
		DraftDir: drafts, UndoSendDelay: delay}), teatest.WithInitialTermSize(120, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("y")
	waitFor(t, tm, "Sending to bob@home.example in ")
	waitFor(t, tm, "Sent from work to bob@home.example")
	if n, _ := deliveredTo(srv, subject); n != 1 {
		t.Errorf("delivered %d times, want once", n)
	}
	if items, _ := set.Outbox(""); len(items) != 0 {
		t.Errorf("outbox after sending = %+v, want empty", items)
	}
	tm.Type("u") // too late: nothing to take back, and no bulk action to undo
	waitFor(t, tm, "Nothing to undo")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestSwitchIdentity: f in the review screen sends from the next
// identity: the From line and the signature of the draft follow, and
// the message goes out From that address.
func TestSwitchIdentity(t *testing.T) {
	set, srv := identitySet(t, 2)
	subject := "identity " + time.Now().Format("150405.000000")
	drafts := t.TempDir()
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: fillingEditor(t, subject), DraftDir: drafts}),
		teatest.WithInitialTermSize(120, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "identity 1/2")
	tm.Type("f")
	waitFor(t, tm, "identity 2/2")
	files, _ := filepath.Glob(filepath.Join(drafts, "posta-draft-*.eml"))
	if len(files) != 1 {
		t.Fatalf("draft files = %v", files)
	}
	text, _ := os.ReadFile(files[0])
	if !strings.Contains(string(text), "From: Info desk <info@work.example>\n") || !strings.Contains(string(text), "\n-- \nThe info desk\nwork.example\n") ||
		strings.Contains(string(text), "Alice at work") {
		t.Fatalf("the draft after f:\n%s\nwant From the info desk with its signature only", text)
	}
	tm.Type("y")
	waitFor(t, tm, "Sent from work to bob@home.example")
	n, raw := deliveredTo(srv, subject)
	if n != 1 || !bytes.Contains(raw, []byte(`From: "Info desk" <info@work.example>`)) || !bytes.Contains(raw, []byte("The info desk")) {
		t.Errorf("delivered %d times:\n%s\nwant once, From the info desk", n, raw)
	}
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestSendLaterAndOutboxScreen: l asks when; the message waits in the
// outbox with that time, the sidebar lists it; L shows the outbox, where
// d cancels it.
func TestSendLaterAndOutboxScreen(t *testing.T) {
	set, srv := identitySet(t, 2)
	subject := "later " + time.Now().Format("150405.000000")
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: fillingEditor(t, subject), DraftDir: t.TempDir()}),
		teatest.WithInitialTermSize(120, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("l")
	waitFor(t, tm, "Send at")
	tm.Type("in 1 foo")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "not a time posta understands")
	tm.Type("l")
	tm.Type("in 2h")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitForAll(t, tm, "Scheduled (1)", "Scheduled from work to bob@home.example for")
	items, _ := set.Outbox("work")
	if len(items) != 1 || items[0].SendAt.Before(time.Now().Add(110*time.Minute)) || items[0].SendAt.After(time.Now().Add(2*time.Hour+2*time.Second)) {
		t.Fatalf("outbox = %+v, want the message due in two hours", items)
	}
	tm.Type("L")
	waitFor(t, tm, "Outbox · 1 waiting to be sent")
	tm.Type("d")
	waitForAll(t, tm, "The outbox is empty.", "Cancelled: "+subject)
	if items, _ := set.Outbox(""); len(items) != 0 {
		t.Errorf("outbox after d = %+v, want empty", items)
	}
	if n, _ := deliveredTo(srv, subject); n != 0 {
		t.Errorf("the cancelled message was delivered %d times", n)
	}
	tm.Type("q")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestReplyFromTheIdentityAddressed: a reply to mail sent to an
// identity is From it, with its signature, and does not go to the
// account's other addresses.
func TestReplyFromTheIdentityAddressed(t *testing.T) {
	set, srv := identitySet(t, 1)
	raw := "From: Bob <bob@home.example>\r\nTo: Info <INFO@work.example>\r\nCc: alice@work.example\r\nSubject: opening hours\r\nMessage-Id: <q1@home.example>\r\n\r\nWhen do you open?\r\n"
	if err := srv.Deliver("alice@work.example", []byte(raw)); err != nil {
		t.Fatal(err)
	}
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, _ := work.List("INBOX", 1, 0)
	if len(msgs) != 1 || msgs[0].Subject != "opening hours" {
		t.Fatalf("newest = %+v", msgs)
	}
	got := replyCmd(context.Background(), work, msgs[0], true)().(replyReadyMsg)
	if got.err != nil {
		t.Fatal(got.err)
	}
	d := got.draft
	if d.From != "Info desk <info@work.example>" || strings.Join(d.To, ",") != "Bob <bob@home.example>" || len(d.Cc) != 0 {
		t.Errorf("reply all: From %q, To %q, Cc %q; want From the info desk to Bob alone", d.From, d.To, d.Cc)
	}
	if !strings.HasSuffix(d.Body, "> When do you open?\n\n\n-- \nThe info desk\nwork.example\n") {
		t.Errorf("reply body:\n%s\nwant the info desk's signature below the quote", d.Body)
	}
}

// TestQuitDuringUndoDelay: quitting while a sent message waits gives up
// taking it back, not the sending: SendPending sends it, once.
func TestQuitDuringUndoDelay(t *testing.T) {
	set, srv := identitySet(t, 2)
	subject := "quit " + time.Now().Format("150405.000000")
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: fillingEditor(t, subject),
		DraftDir: t.TempDir(), UndoSendDelay: time.Hour}), teatest.WithInitialTermSize(120, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("y")
	waitFor(t, tm, "Sending to bob@home.example in ")
	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	fm.Quit()
	if n, _ := deliveredTo(srv, subject); n != 0 {
		t.Fatalf("delivered %d times before SendPending", n)
	}
	if said := fm.SendPending(context.Background()); said != "sent the message to bob@home.example" {
		t.Errorf("SendPending() = %q", said)
	}
	if n, _ := deliveredTo(srv, subject); n != 1 {
		t.Errorf("delivered %d times, want once", n)
	}
	if said := fm.SendPending(context.Background()); said != "" {
		t.Errorf("SendPending() a second time = %q, want nothing (it was sent)", said)
	}
}

// TestTimerSendsScheduledMail: mail another posta scheduled is sent by
// the reader's timer once due, with no key pressed and no sync.
func TestTimerSendsScheduledMail(t *testing.T) {
	set, srv := identitySet(t, 2)
	subject := "timer " + time.Now().Format("150405.000000")
	work, _ := set.Get("work")
	raw := []byte("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: " + subject + "\r\n\r\nlater\r\n")
	if _, err := work.Schedule("alice@work.example", []string{"bob@home.example"}, raw, time.Now().Add(2*time.Second)); err != nil {
		t.Fatal(err)
	}
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, SyncEvery: time.Hour}),
		teatest.WithInitialTermSize(120, 30))
	waitForAll(t, tm, "Scheduled (1)", "work · INBOX")
	waitFor(t, tm, "Sent 1 message from work")
	if n, _ := deliveredTo(srv, subject); n != 1 {
		t.Errorf("delivered %d times, want once", n)
	}
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestUndoDelayEndsOnAHeldMessage: when another posta took the message
// back during the delay, the end of the countdown sends nothing and says
// so.
func TestUndoDelayEndsOnAHeldMessage(t *testing.T) {
	set, srv := identitySet(t, 2)
	subject := "held " + time.Now().Format("150405.000000")
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: fillingEditor(t, subject),
		DraftDir: t.TempDir(), UndoSendDelay: 2 * time.Second}), teatest.WithInitialTermSize(120, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("y")
	waitFor(t, tm, "Sending to bob@home.example in ")
	items, _ := set.Outbox("work")
	if len(items) != 1 {
		t.Fatalf("outbox = %+v", items)
	}
	work, _ := set.Get("work")
	if _, _, err := work.TakeBack(items[0].ID); err != nil { // as posta outbox edit would
		t.Fatal(err)
	}
	waitFor(t, tm, "was taken back by another posta")
	if n, _ := deliveredTo(srv, subject); n != 0 {
		t.Errorf("delivered %d times, want never", n)
	}
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
}

// TestSidebarOutbox: the sidebar lists the active account's scheduled
// mail with its time (soonest first, then a count of the rest) and still
// says when other mail waits, with its error.
func TestSidebarOutbox(t *testing.T) {
	set, _ := demoSetCold(t, 1)
	now := time.Date(2026, 12, 2, 19, 0, 0, 0, time.UTC)
	lines := []scheduledLine{{account: "work"}, {account: "home", when: "08:00", subject: "not this account"}}
	for i := range maxScheduledLines + 2 {
		lines = append(lines, scheduledLine{account: "work", when: outboxWhen(now.Add(time.Duration(i+1)*time.Hour), now), subject: "s" + string(rune('a'+i))})
	}
	view := sidebarView(DefaultTheme(), set.Accounts, nil, map[string]string{"work": "451 try later"}, 0, nil, 0, 20, lines)
	for _, want := range []string{"Outbox: 451 try later", "Scheduled (7) · L", "20:00 sa", "Thu 00:00 se", "… 2 more"} {
		if !strings.Contains(view, want) {
			t.Errorf("the sidebar lacks %q:\n%s", want, view)
		}
	}
	if strings.Contains(view, "not this account") || strings.Contains(view, "sf") {
		t.Errorf("the sidebar lists too much:\n%s", view)
	}
	view = sidebarView(DefaultTheme(), set.Accounts, nil, map[string]string{"work": ""}, 0, nil, 0, 20, lines[2:3])
	if strings.Contains(view, "Outbox (waiting)") || !strings.Contains(view, "Scheduled (1)") {
		t.Errorf("with only scheduled mail the sidebar shows:\n%s", view)
	}
}

// TestOutboxShowsWhyRefused: a message the server refused for good waits
// in the outbox for the user, and the composer closes as for a queued
// message (sent at once, with no undo delay: a second y must not queue a
// second copy); its row has no countdown, and the whole error, whose
// reason comes last, is shown under the list.
func TestOutboxShowsWhyRefused(t *testing.T) {
	set, _ := identitySet(t, 2)
	editor := fillingEditorTo(t, "nobody@home.example", "to nobody")
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, Editor: editor, DraftDir: t.TempDir()}),
		teatest.WithInitialTermSize(100, 30))
	waitFor(t, tm, "work · INBOX")
	tm.Type("m")
	waitFor(t, tm, "Send this message from work?")
	tm.Type("y")
	waitUntil(t, "the server's refusal recorded in the outbox", func() bool {
		items, _ := set.Outbox("work")
		return len(items) == 1 && items[0].Permanent && items[0].LastError != ""
	})
	waitFor(t, tm, "work · INBOX")
	tm.Type("L")
	waitForAll(t, tm, "Outbox · 1 waiting to be sent", "550: no such", "user here: nobody@home.example")
	tm.Type("q")
	tm.Type("q")
	fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
	fm.reloadOutbox()
	v := fm.outboxView(100, 28)
	if !strings.Contains(v, "— ") || strings.Contains(v, "in 0s") {
		t.Errorf("the refused message's row counts down to a send that will not happen:\n%s", v)
	}
	if !strings.Contains(v, "550") {
		t.Errorf("the outbox screen does not show the server's reason:\n%s", v)
	}
}
