package ui

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// invisibleSubjects are subjects and senders built from the characters
// whose width terminals and width tables disagree on: soft hyphen,
// combining grapheme joiner, the Hangul fillers, zero width and bidi
// controls, variation selectors and tags.
var invisibleSubjects = []struct{ name, subject string }{
	{"PayPal\u3164", "Soft\u00ADware up\u00ADdate \u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD\u00AD"},
	{"Pay\u115FPal", "\u115F\u1160\u3164\uFFA0 fillers \u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F\u115F"},
	{"pay\u200Bpal.com", "x\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F\u034F"},
	{"\uFFA0\uFFA0\uFFA0\uFFA0\uFFA0\uFFA0\uFFA0\uFFA0", "\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F\u2764\uFE0F"},
	{"a\u202Eb\u2066c", "\u200B\u200C\u200D\u2060\uFEFF\u180E\u17B4\u17B5\u2064\U0001D173\U000E0041\U000E0100\uFE0E wide 日本語の件名が続きます 日本語の件名が続きます 日本語の件名"},
	{"田中\u3164太郎", "\U0001F3F4\U000E0067\U000E0062\U000E0073\U000E0063\U000E0074\U000E007F flag \u00AD\u034F\u115F\u1160\u3164\uFFA0\u200B\u2060\uFE0F\u180B \u00AD\u034F\u115F\u1160\u3164\uFFA0\u200B\u2060\uFE0F\u180B"},
}

// invisibleSet opens an accounts set whose "work" INBOX holds a message
// for each of invisibleSubjects, bodies cached. The server is never
// contacted.
func invisibleSet(t *testing.T) *accounts.Set {
	t.Helper()
	dir := t.TempDir()
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "cache"), DataDir: filepath.Join(dir, "data"), ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.PutFolders("work", []mail.Folder{{Name: "INBOX", Role: mail.RoleInbox}}); err != nil {
		t.Fatal(err)
	}
	base := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var hs []mail.Header
	raws := map[string]string{}
	for i, s := range invisibleSubjects {
		from := mail.Address{Name: s.name, Addr: "service@paypal.example"}
		if i == len(invisibleSubjects)-1 {
			// The message the pager opens. The index shows the address of
			// such a sender instead of its name (issue 18), so the others
			// keep a plain address to show their names.
			from.Addr = "service@pay\u200Bpal\u3164.com"
		}
		id := fmt.Sprintf("m%d@example.org", i)
		hs = append(hs, mail.Header{
			UID: fmt.Sprint(i + 1), Folder: "INBOX", MessageID: id, Subject: s.subject,
			From: []mail.Address{from}, To: []mail.Address{{Addr: "alice@work.example"}},
			Date: base.Add(time.Duration(i) * time.Hour), Size: 100,
		})
		raws[id] = "From: " + s.name + " <" + from.Addr + ">\r\nTo: alice@work.example\r\nSubject: " + s.subject +
			"\r\nMessage-ID: <" + id + ">\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n" + s.subject + "\r\n" + s.name + "\r\n"
	}
	if err := c.PutHeaders("work", hs); err != nil {
		t.Fatal(err)
	}
	cfg := &accounts.Config{Accounts: []accounts.AccountConfig{{
		Name: "work", Address: "alice@work.example",
		Fetch: accounts.FetchConfig{Kind: "imap", ServerConfig: accounts.ServerConfig{Host: "127.0.0.1", Port: 1, Username: "alice", Password: "x"}},
		SMTP:  accounts.ServerConfig{Host: "127.0.0.1", Port: 1, Username: "alice", Password: "x"},
	}}}
	set, err := accounts.Open(cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close() })
	work, _ := set.Get("work")
	msgs, err := work.List("INBOX", len(hs), 0)
	if err != nil || len(msgs) != len(hs) {
		t.Fatalf("List() = %d messages, %v", len(msgs), err)
	}
	for _, m := range msgs {
		if err := c.PutBody(m.ID, strings.NewReader(raws[m.MessageID])); err != nil {
			t.Fatal(err)
		}
	}
	return set
}

// checkFrame fails t if a row of frame is wider than width columns, if
// the frame has more than height rows (it would scroll the terminal), or
// if a row still holds a character whose width terminals disagree on.
func checkFrame(t *testing.T, what, frame string, width, height int) {
	t.Helper()
	rows := strings.Split(frame, "\n")
	if len(rows) > height {
		t.Errorf("%s: %d rows, more than the terminal's %d", what, len(rows), height)
	}
	for i, row := range rows {
		plain := ansi.Strip(row)
		if w := ansi.StringWidth(plain); w > width {
			t.Errorf("%s: row %d is %d columns wide, more than %d: %q", what, i, w, width, plain)
		}
		for _, r := range plain {
			if sanitize.Invisible(r) && r != '\u200C' && r != '\u200D' {
				t.Errorf("%s: row %d holds %U, whose width terminals disagree on: %q", what, i, r, plain)
				break
			}
		}
	}
}

func TestFrameWithInvisibleCharacters(t *testing.T) {
	for _, width := range []int{80, 100} {
		t.Run(fmt.Sprint(width), func(t *testing.T) {
			const height = 24
			set := invisibleSet(t)
			tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(width, height))
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("INBOX · 6 messages")) },
				teatest.WithDuration(10*time.Second))
			tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
			teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Subject:")) },
				teatest.WithDuration(10*time.Second))
			if err := tm.Quit(); err != nil {
				t.Fatal(err)
			}
			fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(Model)
			pager := fm.View()
			if !strings.Contains(pager, "Subject:") {
				t.Fatalf("the pager is not open:\n%s", pager)
			}
			checkFrame(t, "pager", pager, width, height)
			if !strings.Contains(pager, "service@pay<U+200B>pal<U+3164>.com") {
				t.Errorf("pager does not show the sender's invisible characters:\n%s", pager)
			}

			// The index of the same model, every message on screen.
			next, _ := fm.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
			index := next.(Model).View()
			for _, s := range invisibleSubjects[:3] {
				if want := ansi.Truncate(sanitize.Line(s.name), 8, ""); !strings.Contains(index, want) {
					t.Errorf("index lacks the sender %q:\n%s", want, index)
				}
			}
			checkFrame(t, "index", index, width, height)
		})
	}
}
