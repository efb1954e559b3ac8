package ui

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
)

// TestFirstScreenWhileTheSyncStreams opens the reader on an empty cache
// and feeds it the events of a real first sync, which is held after its
// first stored batch: the sidebar must already list the folders and the
// index the newest messages, with the rest of the folder still to come.
func TestFirstScreenWhileTheSyncStreams(t *testing.T) {
	set, _ := demoSetCold(t, 3000)
	work, _ := set.Get("work")
	var model tea.Model = New(set, Options{NoSyncOnStart: true, NoWatch: true})
	model, _ = model.Update(tea.WindowSizeMsg{Width: 120, Height: 30})
	if v := model.View(); !strings.Contains(v, "No messages") {
		t.Fatalf("an empty cache shows:\n%s", v)
	}

	events := make(chan accounts.Event, 64)
	release := make(chan struct{})
	var once sync.Once
	done := make(chan error, 1)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	go func() {
		_, err := work.SyncWith(ctx, accounts.SyncOptions{First: "INBOX", Events: func(e accounts.Event) {
			if e.Kind == accounts.EventProgress {
				return
			}
			events <- e
			if e.Kind == accounts.EventStored && e.Folder == "INBOX" {
				once.Do(func() { <-release })
			}
		}})
		done <- err
	}()
	var releaseOnce sync.Once
	unblock := func() { releaseOnce.Do(func() { close(release) }) }
	defer unblock()
	for stored := false; !stored; {
		select {
		case e := <-events:
			model, _ = model.Update(syncEventMsg{ev: e})
			stored = e.Kind == accounts.EventStored
		case err := <-done:
			t.Fatalf("the sync ended (%v) before its first batch", err)
		case <-ctx.Done():
			t.Fatal("no first batch")
		}
	}
	newest, err := work.List("INBOX", 1, 0)
	if err != nil || len(newest) != 1 {
		t.Fatalf("List: %v, %v", newest, err)
	}
	total, _ := work.Count("INBOX")
	if total >= 3000 {
		t.Fatalf("the whole folder (%d) was stored before the first event; the test needs a sync in flight", total)
	}
	v := model.View()
	for _, want := range []string{"Archive", "Sent", "work · INBOX", firstWords(newest[0].Subject)} {
		if !strings.Contains(v, want) {
			t.Errorf("with %d of 3000 messages stored, the screen lacks %q:\n%s", total, want, v)
		}
	}
	unblock()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
}

// firstWords is the start of a subject, which fits any index row.
func firstWords(s string) string {
	if r := []rune(s); len(r) > 12 {
		return string(r[:12])
	}
	return s
}

// TestLateProgressAfterTheSyncEnded: a progress event that reaches the
// reader after its sync's end (events and the end take different paths)
// must not bring the progress line back.
func TestLateProgressAfterTheSyncEnded(t *testing.T) {
	set, _ := demoSet(t, 5)
	m := New(set, Options{NoSyncOnStart: true, NoWatch: true})
	m.syncing["work"] = true
	var model tea.Model = m
	model, _ = model.Update(syncEventMsg{ev: accounts.Event{Account: "work", Kind: accounts.EventProgress,
		Progress: accounts.Progress{Folder: "INBOX", Done: 5, Total: 10}}})
	if model.(Model).progress == "" {
		t.Fatal("no progress line while the sync runs")
	}
	model, _ = model.Update(syncDoneMsg{report: accounts.SyncReport{Account: "work"}})
	model, _ = model.Update(syncEventMsg{ev: accounts.Event{Account: "work", Kind: accounts.EventProgress,
		Progress: accounts.Progress{Folder: "INBOX", Done: 10, Total: 10}}})
	if p := model.(Model).progress; p != "" {
		t.Errorf("after the sync ended, a late event shows %q", p)
	}
	if v := model.View(); !strings.Contains(v, "up to date") {
		t.Errorf("the status line does not say the sync ended:\n%s", v)
	}
}
