package cli

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func (e *env) outbox() []outboxJSON {
	e.t.Helper()
	var items []outboxJSON
	out := e.mustRun("", "outbox", "--json")
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		e.t.Fatalf("outbox --json: %v\n%s", err, out)
	}
	return items
}

// countIn counts the messages of account's folder with subject, after a
// sync of that account.
func (e *env) countIn(account, folder, subject string) int {
	e.t.Helper()
	e.mustRun("", "sync", "--account", account)
	n := 0
	for _, m := range e.list("--account", account, "--folder", folder, "--limit", "1000") {
		if m.Subject == subject {
			n++
		}
	}
	return n
}

// TestSendFrom: --from sends as an identity (the From header says so);
// an address that is not one is refused with the identities named.
func TestSendFrom(t *testing.T) {
	e := newEnv(t, 1)
	subject := fmt.Sprintf("from info %d", time.Now().UnixNano())
	msg := "From: alice@work.example\r\nTo: bob@home.example\r\nSubject: " + subject + "\r\n\r\nhello\r\n"
	_, stderr, err := e.run(msg, "send", "--account", "work", "--from", "nobody@work.example")
	if err == nil || !strings.Contains(err.Error(), "alice@work.example, info@work.example, alice.private@work.example") {
		t.Fatalf("send --from an unknown address: error = %v (%s), want one naming the identities", err, stderr)
	}
	e.mustRun(msg, "send", "--account", "work", "--from", "INFO@work.example")
	if n := e.countIn("home", "INBOX", subject); n != 1 {
		t.Fatalf("home received %d copies, want 1", n)
	}
	for _, m := range e.list("--account", "home", "--limit", "1000") {
		if m.Subject == subject && !strings.Contains(m.From, "info@work.example") {
			t.Errorf("From of the message sent with --from = %v, want the info identity", m.From)
		}
	}
}

// TestSendAt: --at puts the message in the outbox with its time; sync
// does not send it early; edit --now makes it due and the next sync
// sends it once; a past time and gibberish are refused; cancel removes.
func TestSendAt(t *testing.T) {
	e := newEnv(t, 1)
	msg := func(subject string) string {
		return "From: alice@work.example\r\nTo: bob@home.example\r\nBcc: alice@work.example\r\nSubject: " + subject + "\r\n\r\nlater\r\n"
	}
	if _, _, err := e.run(msg("past"), "send", "--account", "work", "--at", "2020-01-01 08:00"); err == nil || !strings.Contains(err.Error(), "in the past") {
		t.Errorf("send --at a past time: error = %v, want one saying it is in the past", err)
	}
	if _, _, err := e.run(msg("soon"), "send", "--account", "work", "--at", "soonish"); err == nil || !strings.Contains(err.Error(), "not a time") {
		t.Errorf("send --at gibberish: error = %v", err)
	}
	subject := fmt.Sprintf("scheduled %d", time.Now().UnixNano())
	_, stderr, err := e.run(msg(subject), "send", "--account", "work", "--at", "tomorrow 8:00")
	if err != nil || !strings.Contains(stderr, "scheduled from work") {
		t.Fatalf("send --at: %v, %q", err, stderr)
	}
	items := e.outbox()
	if len(items) != 1 || items[0].State != "scheduled" || items[0].SendAt == "" || items[0].Subject != subject {
		t.Fatalf("outbox = %+v, want the scheduled message", items)
	}
	at, _ := time.Parse(time.RFC3339, items[0].SendAt)
	// Tomorrow is the next calendar day: after midnight, more than 24
	// hours away (this test failed between 00:00 and 08:00 when it
	// allowed at most 25).
	now := time.Now()
	if lt, want := at.Local(), time.Date(now.Year(), now.Month(), now.Day()+1, 8, 0, 0, 0, time.Local); !lt.Equal(want) {
		t.Errorf("send_at = %v, want tomorrow 8:00 local time (%v)", lt, want)
	}
	if text := e.mustRun("", "outbox"); !strings.Contains(text, "scheduled") || !strings.Contains(text, at.Local().Format("15:04")) {
		t.Errorf("outbox table lacks the state or time:\n%s", text)
	}
	if n := e.countIn("home", "INBOX", subject); n != 0 {
		t.Fatalf("home has %d copies before the send time, want 0", n)
	}
	e.mustRun("", "sync", "--account", "work")
	if len(e.outbox()) != 1 {
		t.Fatal("sync sent the message before its time")
	}
	id := fmt.Sprint(items[0].ID)
	if _, _, err := e.run("", "outbox", "edit", id, "--now", "--no-editor", "--account", "home"); err == nil {
		t.Error("outbox edit with another --account succeeded")
	}
	e.mustRun("", "outbox", "edit", id, "--now", "--no-editor")
	e.mustRun("", "sync", "--account", "work")
	if n := e.countIn("home", "INBOX", subject); n != 1 {
		t.Errorf("home has %d copies after the message became due, want 1", n)
	}
	// The Bcc recipient got it too, and the outbox is empty.
	if n := e.countIn("work", "INBOX", subject); n != 1 {
		t.Errorf("the Bcc recipient has %d copies, want 1", n)
	}
	if items := e.outbox(); len(items) != 0 {
		t.Errorf("outbox after sending = %+v, want empty", items)
	}

	e.mustRun(msg("cancel me"), "send", "--account", "work", "--at", "in 2h")
	items = e.outbox()
	if len(items) != 1 {
		t.Fatalf("outbox = %+v, want one", items)
	}
	e.mustRun("", "outbox", "cancel", fmt.Sprint(items[0].ID))
	if items := e.outbox(); len(items) != 0 {
		t.Errorf("outbox after cancel = %+v, want empty", items)
	}
	if _, _, err := e.run("", "outbox", "cancel", fmt.Sprint(items[0].ID)); err == nil {
		t.Error("cancelling a cancelled message succeeded")
	}
}

// TestOutboxEdit edits a scheduled message with a script as the editor:
// the edited text replaces it, with its time and its Bcc kept; an editor
// that fails leaves it as it was.
func TestOutboxEdit(t *testing.T) {
	e := newEnv(t, 1)
	dir := t.TempDir()
	script := filepath.Join(dir, "edit.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\nsed -i 's/first draft/second draft/' \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", script)
	e.mustRun("From: alice@work.example\r\nTo: bob@home.example\r\nBcc: alice@work.example\r\nSubject: first draft\r\n\r\nbody\r\n",
		"send", "--account", "work", "--at", "in 3h")
	before := e.outbox()
	if len(before) != 1 {
		t.Fatalf("outbox = %+v", before)
	}
	_, stderr, err := e.run("", "outbox", "edit", fmt.Sprint(before[0].ID))
	if err != nil {
		t.Fatalf("outbox edit: %v\n%s", err, stderr)
	}
	after := e.outbox()
	if len(after) != 1 || after[0].ID == before[0].ID || after[0].Subject != "second draft" || after[0].SendAt != before[0].SendAt ||
		strings.Join(after[0].To, ",") != "bob@home.example,alice@work.example" {
		t.Fatalf("outbox after edit = %+v, want the edited message at %s to bob and (Bcc) alice", after, before[0].SendAt)
	}
	if err := os.WriteFile(script, []byte("#!/bin/sh\nexit 3\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.run("", "outbox", "edit", fmt.Sprint(after[0].ID)); err == nil || !strings.Contains(err.Error(), "unchanged") {
		t.Errorf("outbox edit with a failing editor: error = %v, want one saying the message is unchanged", err)
	}
	if again := e.outbox(); len(again) != 1 || again[0].ID != after[0].ID || again[0].State != "scheduled" {
		t.Errorf("outbox after a failed edit = %+v, want the message as it was", again)
	}
}

// TestScheduledSentOnceByProcesses: messages scheduled a few seconds
// ahead with posta send --at are sent exactly once while four posta sync
// processes run again and again on one cache (cron on several machines
// sharing a home folder, a reader open meanwhile).
func TestScheduledSentOnceByProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds posta and runs it many times")
	}
	bin := buildPosta(t)
	e := newMPEnv(t, bin, 1)
	e.mustRun("sync") // a cache the processes share
	var subjects []string
	for i := range 3 {
		subject := fmt.Sprintf("scheduled %d %d", i, time.Now().UnixNano())
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		r := e.start(ctx, "From: alice@work.example\r\nTo: bob@home.example\r\nSubject: "+subject+"\r\n\r\nhi\r\n",
			"send", "--account", "work", "--at", "in 3s")()
		cancel()
		if r.err != nil {
			t.Fatalf("send --at: %v\n%s", r.err, r.output)
		}
		subjects = append(subjects, subject)
	}
	// All of them arrived: bob's mailbox holds the demo's mail too, so
	// the count of subjects delivered is no measure (the loops once
	// stopped with the last one still scheduled).
	allArrived := func() bool {
		got := e.delivered()
		for _, s := range subjects {
			if got[s] == 0 {
				return false
			}
		}
		return true
	}
	deadline := time.Now().Add(90 * time.Second)
	var wg sync.WaitGroup
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for time.Now().Before(deadline) {
				ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
				r := e.start(ctx, "", "sync", "--account", "work")()
				cancel()
				if r.err != nil && !acceptable(r) {
					t.Errorf("posta sync: %v\n%s", r.err, r.output)
				}
				if allArrived() {
					return
				}
			}
		}()
	}
	wg.Wait()
	got := e.delivered()
	for _, s := range subjects {
		if got[s] != 1 {
			t.Errorf("%q delivered %d times, want once", s, got[s])
		}
	}
	if out := e.mustRun("outbox"); !strings.Contains(out, "empty") {
		t.Errorf("outbox after the sends:\n%s", out)
	}
}

// TestOutboxEditEncrypted: a scheduled encrypted message is edited as the
// message it was made from, with its X-Posta-Crypto line, and encrypted
// again: what bob gets is the edited text, encrypted and signed.
func TestOutboxEditEncrypted(t *testing.T) {
	gpg := testGPG(t)
	gpg("", "--quick-gen-key", "Alice <alice@work.example>", "future-default", "default", "never")
	gpg("", "--quick-gen-key", "Bob <bob@home.example>", "future-default", "default", "never")
	e := newEnv(t, 1)
	dir := t.TempDir()
	script := filepath.Join(dir, "edit.sh")
	if err := os.WriteFile(script, []byte("#!/bin/sh\ncp \"$1\" "+filepath.Join(dir, "seen.txt")+"\nsed -i 's/first words/second words/' \"$1\"\n"), 0o700); err != nil {
		t.Fatal(err)
	}
	t.Setenv("VISUAL", script)
	e.mustRun("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: sealed\r\n\r\nThe first words.\r\n",
		"send", "--account", "work", "--sign", "--encrypt", "--at", "in 3h")
	items := e.outbox()
	if len(items) != 1 {
		t.Fatalf("outbox = %+v", items)
	}
	_, stderr, err := e.run("", "outbox", "edit", fmt.Sprint(items[0].ID))
	if err != nil {
		t.Fatalf("outbox edit of an encrypted message: %v\n%s", err, stderr)
	}
	seen, _ := os.ReadFile(filepath.Join(dir, "seen.txt"))
	if !strings.Contains(string(seen), "X-Posta-Crypto: sign, encrypt") || !strings.Contains(string(seen), "The first words.") {
		t.Fatalf("the editor was given:\n%s\nwant the text in clear with its X-Posta-Crypto line", seen)
	}
	items = e.outbox()
	if len(items) != 1 {
		t.Fatalf("outbox after edit = %+v", items)
	}
	e.mustRun("", "outbox", "edit", fmt.Sprint(items[0].ID), "--now", "--no-editor")
	e.mustRun("", "sync")
	var id int64
	for _, r := range e.list("--account", "home") {
		if r.Subject == "sealed" || strings.Contains(r.Subject, "...") {
			id = r.ID
		}
	}
	if id == 0 {
		t.Fatal("bob did not get the message")
	}
	raw := e.mustRun("", "read", "--raw", fmt.Sprint(id))
	if strings.Contains(raw, "second words") || !strings.Contains(raw, "BEGIN PGP MESSAGE") {
		t.Errorf("bob's copy is not encrypted:\n%s", raw)
	}
	text := e.mustRun("", "read", fmt.Sprint(id))
	if !strings.Contains(text, "The second words.") || !strings.Contains(text, "Good OpenPGP signature") {
		t.Errorf("bob reads:\n%s\nwant the edited text, signed", text)
	}
}
