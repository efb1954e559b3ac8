package ui

import (
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// benchSet opens an accounts set whose "work" INBOX holds n cached
// headers. The account's server is never contacted.
func benchSet(b *testing.B, n int) *accounts.Set {
	b.Helper()
	dir := b.TempDir()
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "cache"), DataDir: filepath.Join(dir, "data"), ParseHeader: message.ParseHeader})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { c.Close() })
	if err := c.PutFolders("work", []mail.Folder{{Name: "INBOX", Role: mail.RoleInbox}}); err != nil {
		b.Fatal(err)
	}
	base := time.Date(2016, 1, 1, 0, 0, 0, 0, time.UTC)
	people := []mail.Address{{Name: "Ana García", Addr: "ana@example.org"}, {Name: "田中 太郎", Addr: "tanaka@example.jp"}, {Addr: "ci@builds.example.com"}}
	hs := make([]mail.Header, n)
	for i := range hs {
		hs[i] = mail.Header{
			UID: fmt.Sprint(i + 1), Folder: "INBOX", MessageID: fmt.Sprintf("m%d@example.org", i),
			Subject: fmt.Sprintf("Weekly report %d — Café meeting agenda", i),
			From:    people[i%len(people):][:1], To: []mail.Address{{Addr: "alice@work.example"}},
			Date: base.Add(time.Duration(i) * time.Hour), Size: int64(2000 + i%5000), HasAttachment: i%7 == 0,
		}
		if i%3 != 0 {
			hs[i].Flags = mail.Flags{mail.FlagSeen}
		}
	}
	if err := c.PutHeaders("work", hs); err != nil {
		b.Fatal(err)
	}
	cfg := &accounts.Config{Accounts: []accounts.AccountConfig{{
		Name: "work", Address: "alice@work.example",
		Fetch: accounts.FetchConfig{Kind: "imap", ServerConfig: accounts.ServerConfig{Host: "127.0.0.1", Port: 1, Username: "alice", Password: "x"}},
		SMTP:  accounts.ServerConfig{Host: "127.0.0.1", Port: 1, Username: "alice", Password: "x"},
	}}}
	set, err := accounts.Open(cfg, c)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { set.Close() })
	return set
}

// BenchmarkIndexScreen100k reads and renders one screen of index rows
// at successive positions of a 100,000-message folder: "page" is the
// index alone (cache page + row formatting), "frame" the whole frame
// after a page-down key, as the reader paints it.
func BenchmarkIndexScreen100k(b *testing.B) {
	set := benchSet(b, 100_000)
	m := New(set, Options{NoSyncOnStart: true, NoWatch: true})
	next, _ := m.Update(tea.WindowSizeMsg{Width: 120, Height: 40})
	m = next.(Model)
	if m.index.total != 100_000 {
		b.Fatalf("index total = %d, want 100000", m.index.total)
	}
	b.Run("page", func(b *testing.B) {
		x := m.index
		src := m.listing()
		now := time.Now()
		step := 0
		for b.Loop() {
			x.top = (step * 997) % (x.total - x.height)
			x.cursor = x.top
			step++
			x.load(src)
			if out := x.view(m.theme, 100, now, false, false); !strings.Contains(out, "Weekly report") {
				b.Fatalf("view() = %q", out)
			}
		}
	})
	b.Run("frame", func(b *testing.B) {
		frame := m
		down := tea.KeyMsg{Type: tea.KeyCtrlD}
		for b.Loop() {
			if frame.index.cursor >= frame.index.total-frame.index.height {
				frame.index.cursor, frame.index.top = 0, 0
			}
			next, _ := frame.Update(down)
			frame = next.(Model)
			if out := frame.View(); !strings.Contains(out, "Weekly report") {
				b.Fatalf("View() = %q", out)
			}
		}
	})
}
