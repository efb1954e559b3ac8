package accounts

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/internal/tcprelay"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols/imap"
)

// TestBulkActionsCostAHandfulOfRoundTrips flags, archives and undoes the
// archiving of a thousand messages through a relay that counts round
// trips, and checks what another client sees on the server.
func TestBulkActionsCostAHandfulOfRoundTrips(t *testing.T) {
	f := startDemoFixture(t, 1000)
	relay, err := tcprelay.Start(f.srv.IMAPAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	f.cfg.Accounts[0].Fetch.Host, f.cfg.Accounts[0].Fetch.Port = splitFixtureAddr(t, relay.Addr())
	_, work, msgs := syncedWork(t, f)
	if len(msgs) < 1000 {
		t.Fatalf("INBOX holds %d messages, want at least 1000", len(msgs))
	}
	ids := make([]int64, 1000)
	for i := range ids {
		ids[i] = msgs[i].ID
	}
	ctx := context.Background()
	// Open the interactive lane first, so that its login is not counted.
	if err := work.SetFlag(ctx, msgs[len(msgs)-1].ID, mail.FlagFlagged, true); err != nil {
		t.Fatal(err)
	}

	before := relay.Turns.Load()
	var last int
	u, err := work.FlagMany(ctx, ids, mail.FlagFlagged, true, func(done, total int) { last = done })
	if err != nil {
		t.Fatalf("FlagMany: %v", err)
	}
	turns := relay.Turns.Load() - before
	t.Logf("flag 1000 messages: %d round trips", turns)
	if turns > 6 {
		t.Errorf("flagging 1000 messages took %d round trips, want a handful", turns)
	}
	if last != u.Count || u.Count < 500 {
		t.Errorf("progress ended at %d, count %d; want the same, most of the 1000", last, u.Count)
	}
	if p, _ := work.Pending(); len(p) != 0 {
		t.Errorf("Pending after FlagMany = %d, want none", len(p))
	}

	before = relay.Turns.Load()
	moved, err := work.ArchiveMany(ctx, ids, nil)
	if err != nil {
		t.Fatalf("ArchiveMany: %v", err)
	}
	turns = relay.Turns.Load() - before
	t.Logf("archive 1000 messages: %d round trips", turns)
	if turns > 8 {
		t.Errorf("archiving 1000 messages took %d round trips, want a handful", turns)
	}
	view := serverView(t, f)
	if in, flags := where(t, view, msgs[10].MessageID); len(in) != 1 || in[0] != "Archive" || !flags.Has(mail.FlagFlagged) {
		t.Errorf("server: archived message in %v with %v, want Archive, flagged", in, flags)
	}
	if m, _ := work.Message(ids[10]); m.Folder != "Archive" || cache.IsPlaceholderUID(m.UID) {
		t.Errorf("locally the archived message is %s/%s, want Archive under its real UID", m.Folder, m.UID)
	}

	// Undo moves them back, in a handful of round trips again.
	before = relay.Turns.Load()
	if err := work.Undo(ctx, moved, nil); err != nil {
		t.Fatalf("Undo: %v", err)
	}
	t.Logf("undo the archiving: %d round trips", relay.Turns.Load()-before)
	if n, _ := work.Count("INBOX"); n != len(msgs) {
		t.Errorf("INBOX holds %d after undo, want %d", n, len(msgs))
	}
	if err := work.Undo(ctx, u, nil); err != nil {
		t.Fatalf("Undo flags: %v", err)
	}
	view = serverView(t, f)
	for _, m := range msgs[:20] {
		if in, flags := where(t, view, m.MessageID); len(in) != 1 || in[0] != "INBOX" || flags.Has(mail.FlagFlagged) != m.Flags.Has(mail.FlagFlagged) {
			t.Errorf("server after undo: message in %v with %v, want INBOX with its flags as before (%v)", in, flags, m.Flags)
		}
	}
}

// TestBulkActionsOffline queues a bulk delete while the server is down as
// one entry per folder, undoes one by dropping it, and replays the other.
func TestBulkActionsOffline(t *testing.T) {
	f := startDemoFixture(t, 40)
	set, _, msgs := syncedWork(t, f)
	set.Close()
	set.cache.Close()

	online := goOffline(t, f, 0)
	set = f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	var ids []int64
	for _, m := range msgs[:20] {
		ids = append(ids, m.ID)
	}
	var pending *PendingError
	seen, err := work.FlagMany(ctx, ids[:10], mail.FlagSeen, false, nil)
	if !errors.As(err, &pending) && seen.Count > 0 {
		t.Fatalf("FlagMany offline: err = %v, want *PendingError", err)
	}
	del, err := work.DeleteMany(ctx, ids, nil)
	if !errors.As(err, &pending) {
		t.Fatalf("DeleteMany offline: err = %v, want *PendingError", err)
	}
	p, err := work.Pending()
	if err != nil || len(p) == 0 || len(p[len(p)-1].Args.Members) != 20 {
		t.Fatalf("Pending = %+v, %v; want the delete as one entry of 20 messages", p, err)
	}
	if n, _ := work.Count("Trash"); n < 20 {
		t.Errorf("Trash holds %d locally, want at least 20", n)
	}
	if err := work.Undo(ctx, del, nil); err != nil {
		t.Fatalf("Undo of a queued delete: %v", err)
	}
	if m, _ := work.Message(ids[3]); m.Folder != "INBOX" {
		t.Errorf("after undo the message is in %s, want INBOX", m.Folder)
	}
	if _, err := work.ArchiveMany(ctx, ids[10:], nil); !errors.As(err, &pending) {
		t.Fatalf("ArchiveMany offline: err = %v, want *PendingError", err)
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
	view := serverView(t, f)
	for i, m := range msgs[:20] {
		in, _ := where(t, view, m.MessageID)
		want := "INBOX"
		if i >= 10 {
			want = "Archive"
		}
		if len(in) != 1 || in[0] != want {
			t.Errorf("server: message %d in %v, want %s", i, in, want)
		}
	}
}

// TestBulkActionPartlyGone queues a bulk move offline; meanwhile another
// client deletes two of its messages. The replay moves the rest and
// reports the two as one conflict.
func TestBulkActionPartlyGone(t *testing.T) {
	f := startDemoFixture(t, 12)
	set, _, msgs := syncedWork(t, f)
	set.Close()
	set.cache.Close()

	online := goOffline(t, f, 0)
	set = f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	var ids []int64
	for _, m := range msgs[:6] {
		ids = append(ids, m.ID)
	}
	var pending *PendingError
	if _, err := work.MoveMany(ctx, ids, "Projects/posta", nil); !errors.As(err, &pending) {
		t.Fatalf("MoveMany offline: err = %v, want *PendingError", err)
	}
	set.Close()
	set.cache.Close()
	online()

	other := imap.New(imap.Options{Endpoint: otherClient(t, f.cfg.Accounts[0].Fetch.ServerConfig)})
	if err := other.Delete(ctx, "INBOX", []string{msgs[1].UID, msgs[4].UID}); err != nil {
		t.Fatalf("other client delete: %v", err)
	}
	other.Close()

	set = f.open(t)
	work, _ = set.Get("work")
	rep, err := work.Sync(ctx, nil)
	if err != nil {
		t.Fatalf("Sync: %v", err)
	}
	if len(rep.Conflicts) != 1 || !strings.Contains(rep.Conflicts[0], "2 messages") || !strings.Contains(rep.Conflicts[0], "gone") {
		t.Errorf("Conflicts = %q, want one saying 2 messages are gone", rep.Conflicts)
	}
	if p, _ := work.Pending(); len(p) != 0 {
		t.Errorf("Pending after replay = %+v, want none", p)
	}
	view := serverView(t, f)
	for i, m := range msgs[:6] {
		in, _ := where(t, view, m.MessageID)
		want := []string{"Projects/posta"}
		if i == 1 || i == 4 {
			want = nil
		}
		if strings.Join(in, ",") != strings.Join(want, ",") {
			t.Errorf("server: message %d in %v, want %v", i, in, want)
		}
		if local, _ := where(t, work, m.MessageID); strings.Join(local, ",") != strings.Join(want, ",") {
			t.Errorf("locally: message %d in %v, want %v", i, local, want)
		}
	}
}

// TestBulkActionsPOP3 archives, flags and deletes several POP3 messages
// (local folders, no queue) and undoes the archiving.
func TestBulkActionsPOP3(t *testing.T) {
	f := startDemoFixture(t, 6)
	set := f.open(t)
	home, _ := set.Get("home")
	ctx := context.Background()
	if _, err := home.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := home.List("INBOX", 0, 0)
	if err != nil || len(msgs) < 6 {
		t.Fatalf("INBOX = %d, %v", len(msgs), err)
	}
	ids := []int64{msgs[0].ID, msgs[1].ID, msgs[2].ID}
	u, err := home.ArchiveMany(ctx, ids, nil)
	if err != nil || u.Count != 3 {
		t.Fatalf("ArchiveMany = %+v, %v", u, err)
	}
	if m, _ := home.Message(ids[1]); m.Folder == "INBOX" {
		t.Errorf("archived POP3 message still in INBOX")
	}
	if err := home.Undo(ctx, u, nil); err != nil {
		t.Fatalf("Undo: %v", err)
	}
	if n, _ := home.Count("INBOX"); n != len(msgs) {
		t.Errorf("INBOX holds %d after undo, want %d", n, len(msgs))
	}
	if _, err := home.FlagMany(ctx, ids, mail.FlagFlagged, true, nil); err != nil {
		t.Fatalf("FlagMany: %v", err)
	}
	if m, _ := home.Message(ids[2]); !m.Flags.Has(mail.FlagFlagged) {
		t.Errorf("POP3 message not flagged: %v", m.Flags)
	}
	if _, err := home.DeleteMany(ctx, ids, nil); err != nil {
		t.Fatalf("DeleteMany: %v", err)
	}
	if _, err := home.DeleteMany(ctx, ids, nil); err != nil { // from Trash: for good
		t.Fatalf("DeleteMany from Trash: %v", err)
	}
	if _, err := home.Message(ids[0]); err == nil {
		t.Error("message deleted from Trash is still indexed")
	}
}

func TestDescribeBulkCounts(t *testing.T) {
	p := PendingAction{Kind: cache.ActionMove, Folder: "INBOX", Args: cache.ActionArgs{Dest: "Archive"}}
	if got := describeBulk(p, 1); got != "move 1 message of INBOX to Archive" {
		t.Errorf("describeBulk(1) = %q", got)
	}
	if got := describeBulk(p, 3); got != "move 3 messages of INBOX to Archive" {
		t.Errorf("describeBulk(3) = %q", got)
	}
}
