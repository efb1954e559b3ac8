//go:build interop

package interop

import (
	"bytes"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/ui"
)

// account is alice's posta account on the server s, syncing only
// folders, trusting only the server's CA.
func (s *server) account(t *testing.T, folders ...string) accounts.AccountConfig {
	t.Helper()
	caFile := os.Getenv("MAILSTACK_MORE_CA")
	if s.name == "dovecot" {
		caFile = os.Getenv("MAILSTACK_CA")
	}
	host, p, err := net.SplitHostPort(s.imapTLS)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	sc := accounts.ServerConfig{Host: host, Port: port, Security: "tls", Username: alice, Password: alicePass, CAFile: caFile}
	return accounts.AccountConfig{
		Name: s.name, Address: alice, DisplayName: "Alice",
		Fetch: accounts.FetchConfig{Kind: "imap", Folders: folders, ServerConfig: sc},
		SMTP:  sc, // never used here
	}
}

// TestServersTUIFrameWidth syncs a message whose subject and sender are
// full of soft hyphens (U+00AD, which terminals draw with widths from 0 to
// 1) from each IMAP server and opens the reader on it at 80x24: no row of
// the index or the pager may be wider than the terminal (issue 17, bug 2:
// a soft hyphen broke the layout; the sanitizer's fix is e392e62).
func TestServersTUIFrameWidth(t *testing.T) {
	const width, height = 80, 24
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		c := s.rawIMAP(t, alice, alicePass)
		folder := inbox // the folder the reader opens on
		token := strconv.FormatInt(time.Now().UnixNano(), 36)
		shy := strings.Repeat("\u00AD", 40)
		// Encoded words (RFC 2047), so that no server changes the bytes.
		subject := "=?UTF-8?Q?" + token + "_Soft=C2=ADware_up=C2=ADdate_" + strings.Repeat("=C2=AD", 40) + "?="
		raw := "From: =?UTF-8?Q?Pay=C2=ADPal?= <service@example.test>\r\nTo: <" + alice + ">\r\nSubject: " + subject +
			"\r\nMessage-ID: <" + token + "@example.test>\r\nDate: " + time.Now().Format(time.RFC1123Z) +
			"\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSoft\u00ADware " + shy + "\r\n"
		if err := appendBytes(c, folder, []byte(raw)); err != nil {
			t.Fatalf("append: %v", err)
		}
		set := openAccountsFor(t, s.account(t, folder))
		a, err := set.Get(s.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Sync(ctx, nil); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		tm := teatest.NewTestModel(t, ui.New(set, ui.Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(width, height))
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte(token)) },
			teatest.WithDuration(15*time.Second))
		tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
		teatest.WaitFor(t, tm.Output(), func(b []byte) bool { return bytes.Contains(b, []byte("Subject:")) },
			teatest.WithDuration(15*time.Second))
		if err := tm.Quit(); err != nil {
			t.Fatal(err)
		}
		fm := tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second)).(ui.Model)
		checkWidth(t, "pager", fm.View(), width, height)
		next, _ := fm.Update(tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{'q'}})
		index := next.(ui.Model).View()
		if !strings.Contains(index, token) {
			t.Errorf("the index does not show the message:\n%s", index)
		}
		checkWidth(t, "index", index, width, height)
	})
}

// openAccountsFor opens a fresh posta cache and the accounts of cfgs.
func openAccountsFor(t *testing.T, cfgs ...accounts.AccountConfig) *accounts.Set {
	t.Helper()
	dir := t.TempDir()
	c, err := accounts.OpenCache(filepath.Join(dir, "cache"), filepath.Join(dir, "data"))
	if err != nil {
		t.Fatal(err)
	}
	set, err := accounts.Open(&accounts.Config{Accounts: cfgs}, c)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close(); c.Close() })
	return set
}

// checkWidth fails t if a row of frame is wider than the terminal or the
// frame taller: the terminal would wrap or scroll, and the layout break.
func checkWidth(t *testing.T, what, frame string, width, height int) {
	t.Helper()
	rows := strings.Split(frame, "\n")
	if len(rows) > height {
		t.Errorf("%s: %d rows, more than the terminal's %d", what, len(rows), height)
	}
	for i, row := range rows {
		plain := ansi.Strip(row)
		// Count a soft hyphen as one column, as many terminals draw it.
		if w := ansi.StringWidth(plain) + strings.Count(plain, "\u00AD"); w > width {
			t.Errorf("%s: row %d is %d columns wide, more than %d: %q", what, i, w, width, plain)
		}
	}
}

// TestServersAccountActions moves, copies, archives and deletes through
// the account engine on every IMAP server. A moved message has its real
// UID at once, with or without UIDPLUS, and can be deleted (to Trash)
// right away, before any sync (issue 17, bug 5); a fresh sync then lists
// every message once, where it belongs.
func TestServersAccountActions(t *testing.T) {
	forEach(t, hasIMAP, func(t *testing.T, s *server) {
		ctx := testCtx(t)
		token := strconv.FormatInt(time.Now().UnixNano(), 36)
		subjects := []string{"move " + token, "copy " + token, "archive " + token}
		appendRaw(t, s.rawIMAP(t, alice, alicePass), inbox, subjects...)
		archive, trash := s.roles[mail.RoleArchive], s.roles[mail.RoleTrash]
		set := openAccountsFor(t, s.account(t, inbox, archive, trash))
		a, err := set.Get(s.name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := a.Sync(ctx, nil); err != nil {
			t.Fatalf("Sync: %v", err)
		}
		byName := map[string]accounts.Message{}
		for _, subj := range subjects {
			byName[subj] = cachedBySubject(t, set, s.name, inbox, subj)
		}

		moved := byName[subjects[0]]
		if err := a.Move(ctx, moved.ID, archive); err != nil {
			t.Fatalf("Move: %v", err)
		}
		m, err := a.Message(moved.ID)
		if err != nil {
			t.Fatal(err)
		}
		if m.Folder != archive || strings.HasPrefix(m.UID, "pending:") {
			t.Errorf("moved message is in %s under UID %q, want %s under its real UID (UIDPLUS: %v)", m.Folder, m.UID, archive, !s.dev.noUIDPlus)
		}
		if err := a.Delete(ctx, moved.ID); err != nil {
			t.Errorf("Delete right after the move: %v", err)
		}
		if err := a.Copy(ctx, byName[subjects[1]].ID, archive); err != nil {
			t.Fatalf("Copy: %v", err)
		}
		if err := a.Archive(ctx, byName[subjects[2]].ID); err != nil {
			t.Fatalf("Archive: %v", err)
		}

		// What the server has, seen by a fresh cache.
		view := openAccountsFor(t, s.account(t, inbox, archive, trash))
		v, _ := view.Get(s.name)
		if _, err := v.Sync(ctx, nil); err != nil {
			t.Fatalf("Sync of a fresh cache: %v", err)
		}
		want := map[string]map[string]int{
			inbox:   {subjects[1]: 1},
			archive: {subjects[1]: 1, subjects[2]: 1},
			trash:   {subjects[0]: 1},
		}
		for folder, counts := range want {
			got := cachedSubjects(t, view, s.name, folder)
			for _, subj := range subjects {
				if got[subj] != counts[subj] {
					t.Errorf("%s holds %d of %q, want %d", folder, got[subj], subj, counts[subj])
				}
			}
		}
	})
}
