package accounts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/protocols"
	"github.com/posta-mail/posta/protocols/imap"
)

// serverView syncs the IMAP account "work" into a fresh cache of its own
// and returns it: what a second client sees on the server.
func serverView(t *testing.T, f *demoFixture) *Account {
	t.Helper()
	dir := t.TempDir()
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "c"), DataDir: filepath.Join(dir, "d"), ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatal(err)
	}
	set, err := Open(f.cfg, c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close(); c.Close() })
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatalf("server view sync: %v", err)
	}
	return work
}

// where returns the folders holding a message with the Message-ID, one
// entry per copy, and the flags of the last one seen.
func where(t *testing.T, a *Account, messageID string) ([]string, mail.Flags) {
	t.Helper()
	folders, err := a.Folders()
	if err != nil {
		t.Fatal(err)
	}
	var in []string
	var flags mail.Flags
	for _, f := range folders {
		msgs, err := a.List(f.Name, 0, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range msgs {
			if m.MessageID == messageID {
				in = append(in, f.Name)
				flags = m.Flags
			}
		}
	}
	return in, flags
}

func syncedWork(t *testing.T, f *demoFixture) (*Set, *Account, []Message) {
	t.Helper()
	set := f.open(t)
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := work.List("INBOX", 0, 0)
	if err != nil || len(msgs) < 2 {
		t.Fatalf("INBOX = %d messages, %v; want at least 2", len(msgs), err)
	}
	return set, work, msgs
}

func TestIMAPActionsReachTheServer(t *testing.T) {
	f := startDemoFixture(t, 6)
	_, work, msgs := syncedWork(t, f)
	ctx := context.Background()
	if err := work.SetFlag(ctx, msgs[0].ID, mail.FlagFlagged, true); err != nil {
		t.Fatalf("SetFlag: %v", err)
	}
	if err := work.Move(ctx, msgs[1].ID, "Projects/posta"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	// The demo server returns COPYUID: the moved message has its real UID.
	if m, _ := work.Message(msgs[1].ID); m.Folder != "Projects/posta" || cache.IsPlaceholderUID(m.UID) {
		t.Errorf("moved message locally in %s uid %s, want Projects/posta with its real UID", m.Folder, m.UID)
	}
	if err := work.Copy(ctx, msgs[2].ID, "Archive"); err != nil {
		t.Fatalf("Copy: %v", err)
	}
	if err := work.Delete(ctx, msgs[3].ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if err := work.Archive(ctx, msgs[4].ID); err != nil {
		t.Fatalf("Archive: %v", err)
	}
	if p, _ := work.Pending(); len(p) != 0 {
		t.Errorf("Pending with the server up = %+v, want none", p)
	}

	want := []struct {
		name    string
		msg     Message
		folders string
	}{
		{"flag", msgs[0], "INBOX"},
		{"move", msgs[1], "Projects/posta"},
		{"copy", msgs[2], "INBOX,Archive"},
		{"delete", msgs[3], "Trash"},
		{"archive", msgs[4], "Archive"},
	}
	check := func(view *Account, label string) {
		for _, w := range want {
			in, flags := where(t, view, w.msg.MessageID)
			if got := strings.Join(sortedFolders(in), ","); got != strings.Join(sortedFolders(strings.Split(w.folders, ",")), ",") {
				t.Errorf("%s: %s: message in %q, want %q", label, w.name, got, w.folders)
			}
			if w.name == "flag" && !flags.Has(mail.FlagFlagged) {
				t.Errorf("%s: flag: flags = %v, want \\Flagged", label, flags)
			}
		}
	}
	check(serverView(t, f), "server")
	// The next sync settles the placeholders: every message listed once.
	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	check(work, "local after sync")

	// Delete in Trash expunges for good.
	in, _ := where(t, work, msgs[3].MessageID)
	if len(in) != 1 {
		t.Fatalf("deleted message in %v, want Trash", in)
	}
	trash, _ := work.List("Trash", 0, 0)
	for _, m := range trash {
		if m.MessageID == msgs[3].MessageID {
			if err := work.Delete(ctx, m.ID); err != nil {
				t.Fatalf("Delete in Trash: %v", err)
			}
		}
	}
	if in, _ := where(t, serverView(t, f), msgs[3].MessageID); len(in) != 0 {
		t.Errorf("after delete in Trash the server still has the message in %v", in)
	}
	if in, _ := where(t, work, msgs[3].MessageID); len(in) != 0 {
		t.Errorf("after delete in Trash the index still has the message in %v", in)
	}
}

func sortedFolders(in []string) []string {
	out := append([]string(nil), in...)
	for i := range out {
		for j := i + 1; j < len(out); j++ {
			if out[j] < out[i] {
				out[i], out[j] = out[j], out[i]
			}
		}
	}
	return out
}

func TestMoveToMissingFolder(t *testing.T) {
	f := startDemoFixture(t, 2)
	_, work, msgs := syncedWork(t, f)
	err := work.Move(context.Background(), msgs[0].ID, "Nowhere")
	if !errors.Is(err, ErrNoFolder) || !strings.Contains(err.Error(), "Nowhere") {
		t.Fatalf("Move to a missing folder: err = %v, want ErrNoFolder naming it", err)
	}
	if m, _ := work.Message(msgs[0].ID); m.Folder != "INBOX" || m.UID != msgs[0].UID {
		t.Errorf("message after a refused move: %s/%s, want INBOX/%s", m.Folder, m.UID, msgs[0].UID)
	}
	if p, _ := work.Pending(); len(p) != 0 {
		t.Errorf("Pending = %+v, want none", p)
	}
}

// TestMoveToFolderRemovedOnServer moves to a folder the index lists but
// the server does not have: the server's refusal comes back as a
// *ConflictError and the message stays where it was.
func TestMoveToFolderRemovedOnServer(t *testing.T) {
	f := startDemoFixture(t, 2)
	set, work, msgs := syncedWork(t, f)
	if err := set.cache.PutFolders("work", append(mustFolders(t, work), mail.Folder{Name: "Gone"})); err != nil {
		t.Fatal(err)
	}
	err := work.Move(context.Background(), msgs[0].ID, "Gone")
	var conflict *ConflictError
	if !errors.As(err, &conflict) {
		t.Fatalf("Move to a folder missing on the server: err = %v, want *ConflictError", err)
	}
	if m, _ := work.Message(msgs[0].ID); m.Folder != "INBOX" || m.UID != msgs[0].UID {
		t.Errorf("message after a refused move: %s/%s, want INBOX/%s", m.Folder, m.UID, msgs[0].UID)
	}
	if p, _ := work.Pending(); len(p) != 0 {
		t.Errorf("Pending = %+v, want none", p)
	}
}

func mustFolders(t *testing.T, a *Account) []mail.Folder {
	t.Helper()
	fs, err := a.cache.Folders(a.Name())
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// goOffline points the IMAP account at a port where nothing listens and
// returns a function restoring the real server.
func goOffline(t *testing.T, f *demoFixture, i int) func() {
	good := f.cfg.Accounts[i].Fetch.ServerConfig
	f.cfg.Accounts[i].Fetch.Host, f.cfg.Accounts[i].Fetch.Port = deadAddr(t)
	return func() { f.cfg.Accounts[i].Fetch.ServerConfig = good }
}

func TestOfflineActionsReplayInOrder(t *testing.T) {
	f := startDemoFixture(t, 4)
	set, _, msgs := syncedWork(t, f)
	set.Close()
	set.cache.Close()

	online := goOffline(t, f, 0)
	set = f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	var pending *PendingError
	if err := work.SetFlag(ctx, msgs[0].ID, mail.FlagFlagged, true); !errors.As(err, &pending) {
		t.Fatalf("SetFlag offline: err = %v, want *PendingError", err)
	}
	if err := work.Move(ctx, msgs[0].ID, "Archive"); !errors.As(err, &pending) {
		t.Fatalf("Move offline: err = %v, want *PendingError", err)
	}
	if err := work.SetFlag(ctx, msgs[1].ID, mail.FlagSeen, true); !errors.As(err, &pending) {
		t.Fatalf("SetFlag offline: err = %v, want *PendingError", err)
	}
	p, err := work.Pending()
	if err != nil || len(p) != 3 || p[0].Kind != cache.ActionFlag || p[1].Kind != cache.ActionMove || p[2].Kind != cache.ActionFlag {
		t.Fatalf("Pending = %+v, %v; want flag, move, flag", p, err)
	}
	if p[0].Attempts == 0 || p[0].LastError == "" {
		t.Errorf("pending action shows no failed attempt: %+v", p[0])
	}
	m, _ := work.Message(msgs[0].ID)
	if m.Folder != "Archive" || !m.Flags.Has(mail.FlagFlagged) {
		t.Errorf("locally: %s %v, want Archive with \\Flagged", m.Folder, m.Flags)
	}
	if err := work.Delete(ctx, msgs[0].ID); !errors.Is(err, cache.ErrPendingMessage) {
		t.Errorf("Delete of a message waiting for its move: err = %v, want cache.ErrPendingMessage", err)
	}
	if _, err := work.Sync(ctx, nil); err == nil {
		t.Fatal("Sync with the server down succeeded")
	}
	if p, _ := work.Pending(); len(p) != 3 {
		t.Fatalf("after a failed sync Pending = %d actions, want 3", len(p))
	}
	set.Close()
	set.cache.Close()

	online()
	set = f.open(t)
	work, _ = set.Get("work")
	rep, err := work.Sync(ctx, nil)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if len(rep.Conflicts) != 0 {
		t.Errorf("Conflicts = %v, want none", rep.Conflicts)
	}
	if p, _ := work.Pending(); len(p) != 0 {
		t.Errorf("Pending after replay = %+v, want none", p)
	}
	for label, view := range map[string]*Account{"server": serverView(t, f), "local": work} {
		in, flags := where(t, view, msgs[0].MessageID)
		if len(in) != 1 || in[0] != "Archive" || !flags.Has(mail.FlagFlagged) {
			t.Errorf("%s: moved message in %v with %v, want Archive with \\Flagged", label, in, flags)
		}
		in, flags = where(t, view, msgs[1].MessageID)
		if len(in) != 1 || in[0] != "INBOX" || !flags.Has(mail.FlagSeen) {
			t.Errorf("%s: flagged message in %v with %v, want INBOX with \\Seen", label, in, flags)
		}
	}
}

func TestOfflineConflictReported(t *testing.T) {
	f := startDemoFixture(t, 3)
	set, _, msgs := syncedWork(t, f)
	set.Close()
	set.cache.Close()

	online := goOffline(t, f, 0)
	set = f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	var pending *PendingError
	if err := work.SetFlag(ctx, msgs[0].ID, mail.FlagFlagged, true); !errors.As(err, &pending) {
		t.Fatalf("SetFlag offline: err = %v, want *PendingError", err)
	}
	if err := work.Move(ctx, msgs[1].ID, "Archive"); !errors.As(err, &pending) {
		t.Fatalf("Move offline: err = %v, want *PendingError", err)
	}
	set.Close()
	set.cache.Close()
	online()

	// Another client deletes the first message meanwhile.
	other := imap.New(imap.Options{Endpoint: otherClient(t, f.cfg.Accounts[0].Fetch.ServerConfig)})
	if err := other.Delete(ctx, "INBOX", []string{msgs[0].UID}); err != nil {
		t.Fatalf("other client delete: %v", err)
	}
	other.Close()

	set = f.open(t)
	work, _ = set.Get("work")
	rep, err := work.Sync(ctx, nil)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if len(rep.Conflicts) != 1 || !strings.Contains(rep.Conflicts[0], "INBOX/"+msgs[0].UID) || !strings.Contains(rep.Conflicts[0], "gone") {
		t.Errorf("Conflicts = %q, want one naming INBOX/%s as gone", rep.Conflicts, msgs[0].UID)
	}
	if p, _ := work.Pending(); len(p) != 0 {
		t.Errorf("Pending after replay = %+v, want none", p)
	}
	if in, _ := where(t, work, msgs[0].MessageID); len(in) != 0 {
		t.Errorf("deleted message still indexed in %v", in)
	}
	if in, _ := where(t, serverView(t, f), msgs[1].MessageID); len(in) != 1 || in[0] != "Archive" {
		t.Errorf("moved message on the server in %v, want Archive", in)
	}
}

func TestPOP3ActionsWorkOffline(t *testing.T) {
	f := startDemoFixture(t, 4)
	set := f.open(t)
	home, _ := set.Get("home")
	ctx := context.Background()
	if _, err := home.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	set.Close()
	set.cache.Close()

	online := goOffline(t, f, 1)
	set = f.open(t)
	home, _ = set.Get("home")
	msgs, err := home.List("INBOX", 0, 0)
	if err != nil || len(msgs) < 3 {
		t.Fatalf("INBOX = %d, %v", len(msgs), err)
	}
	if err := home.Move(ctx, msgs[0].ID, "Drafts"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	if err := home.Archive(ctx, msgs[1].ID); err != nil {
		t.Fatalf("Archive: %v", err)
	}
	if err := home.Delete(ctx, msgs[2].ID); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	for i, want := range []string{"Drafts", "Archive", "Trash"} {
		if m, _ := home.Message(msgs[i].ID); m.Folder != want {
			t.Errorf("message %d in %s, want %s", i, m.Folder, want)
		}
	}
	files := func() int {
		n := 0
		filepath.WalkDir(f.dataDir, func(p string, d os.DirEntry, err error) error {
			if err == nil && !d.IsDir() && filepath.Base(filepath.Dir(p)) == "cur" {
				n++
			}
			return nil
		})
		return n
	}
	before := files()
	if err := home.Delete(ctx, msgs[2].ID); err != nil {
		t.Fatalf("Delete in Trash: %v", err)
	}
	if _, err := home.Message(msgs[2].ID); !errors.Is(err, cache.ErrNotFound) {
		t.Errorf("purged message: err = %v, want cache.ErrNotFound", err)
	}
	if after := files(); after != before-1 {
		t.Errorf("Maildir files %d after purge, want %d", after, before-1)
	}
	if p, _ := home.Pending(); len(p) != 0 {
		t.Errorf("POP3 Pending = %+v, want none", p)
	}
	set.Close()
	set.cache.Close()

	online()
	set = f.open(t)
	home, _ = set.Get("home")
	rep, err := home.Sync(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 0 {
		t.Errorf("sync after purge added %d messages, want 0 (purged mail is not fetched again)", rep.Added)
	}
}

// otherClient is the endpoint of a second, independent IMAP client.
func otherClient(t *testing.T, s ServerConfig) protocols.Endpoint {
	t.Helper()
	pem, err := os.ReadFile(s.CAFile)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AppendCertsFromPEM(pem)
	return protocols.Endpoint{
		Host: s.Host, Port: s.Port, Security: protocols.SecurityTLS, Username: s.Username,
		Password:  func(context.Context) (string, error) { return s.Password, nil },
		TLSConfig: &tls.Config{RootCAs: pool},
	}
}
