package cache

import (
	"errors"
	"strings"
	"testing"

	postamail "github.com/posta-mail/posta/mail"
)

func TestQueueActionAppliesAndDropReverts(t *testing.T) {
	c := openTest(t, testOptions(t))
	hs := []postamail.Header{
		header("INBOX", "1", timeUnix(100)), header("INBOX", "2", timeUnix(200), postamail.FlagSeen),
		header("INBOX", "3", timeUnix(300)),
	}
	if err := c.PutHeaders("acc", hs); err != nil {
		t.Fatal(err)
	}
	msgs := mustList(t, c, Query{Account: "acc", Folder: "INBOX"}) // newest first: 3, 2, 1
	m3, m2, m1 := msgs[0], msgs[1], msgs[2]

	flag, err := c.QueueAction(PendingAction{Kind: ActionFlag, MessageID: m1.ID, Args: ActionArgs{Flag: postamail.FlagFlagged}})
	if err != nil {
		t.Fatal(err)
	}
	unseen, err := c.QueueAction(PendingAction{Kind: ActionUnflag, MessageID: m2.ID, Args: ActionArgs{Flag: postamail.FlagSeen}})
	if err != nil {
		t.Fatal(err)
	}
	move, err := c.QueueAction(PendingAction{Kind: ActionMove, MessageID: m1.ID, Args: ActionArgs{Dest: "Archive"}})
	if err != nil {
		t.Fatal(err)
	}
	cp, err := c.QueueAction(PendingAction{Kind: ActionCopy, MessageID: m3.ID, Args: ActionArgs{Dest: "Archive"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.QueueAction(PendingAction{Kind: ActionFlag, MessageID: m1.ID, Args: ActionArgs{Flag: postamail.FlagSeen}}); !errors.Is(err, ErrPendingMessage) {
		t.Errorf("action on a moved message: err = %v, want ErrPendingMessage", err)
	}

	got, _ := c.Get(m1.ID)
	if got.Folder != "Archive" || !IsPlaceholderUID(got.UID) || !got.Flags.Has(postamail.FlagFlagged) {
		t.Errorf("flagged and moved message = %s/%s %v, want Archive/pending:* with \\Flagged", got.Folder, got.UID, got.Flags)
	}
	if got, _ := c.Get(m2.ID); got.Flags.Has(postamail.FlagSeen) {
		t.Errorf("unflagged message still has \\Seen: %v", got.Flags)
	}
	if n, _ := c.Count(Query{Account: "acc", Folder: "Archive"}); n != 2 {
		t.Errorf("Archive holds %d messages, want 2 (moved and copied)", n)
	}
	p, err := c.PendingActions("acc")
	if err != nil || len(p) != 4 || p[0].ID != flag.ID || p[3].ID != cp.ID || p[2].Folder != "INBOX" || p[2].UID != "1" {
		t.Fatalf("PendingActions = %+v, %v; want the four actions in order with source folder and UID", p, err)
	}
	if err := c.ActionFailed(flag.ID, errors.New("connection refused")); err != nil {
		t.Fatal(err)
	}
	if p, _ := c.PendingActions("acc"); p[0].Attempts != 1 || !strings.Contains(p[0].LastError, "refused") {
		t.Errorf("after ActionFailed: %+v", p[0])
	}

	// Dropping reverts: the move goes back, the unflag is undone, the
	// flag is undone, the copy disappears.
	for _, a := range []PendingAction{move, unseen, flag} {
		if err := c.DropAction(a); err != nil {
			t.Fatal(err)
		}
	}
	got, _ = c.Get(m1.ID)
	if got.Folder != "INBOX" || got.UID != "1" || got.Flags.Has(postamail.FlagFlagged) {
		t.Errorf("after drops message 1 = %s/%s %v, want INBOX/1 without \\Flagged", got.Folder, got.UID, got.Flags)
	}
	if got, _ := c.Get(m2.ID); !got.Flags.Has(postamail.FlagSeen) {
		t.Errorf("after drop message 2 lost \\Seen: %v", got.Flags)
	}

	// A done copy keeps its placeholder until it is settled.
	if err := c.ActionDone(cp.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Count(Query{Account: "acc", Folder: "Archive"}); n != 1 {
		t.Errorf("Archive after the copy was done holds %d, want its placeholder", n)
	}
	if n, err := c.DropSettledPlaceholders("acc"); err != nil || n != 1 {
		t.Errorf("DropSettledPlaceholders = %d, %v; want 1", n, err)
	}
	if n, _ := c.Count(Query{Account: "acc", Folder: "Archive"}); n != 0 {
		t.Errorf("Archive after settling holds %d, want 0", n)
	}
	if p, _ := c.PendingActions(""); len(p) != 0 {
		t.Errorf("queue not empty: %+v", p)
	}

	ex, err := c.QueueAction(PendingAction{Kind: ActionExpunge, MessageID: m3.ID})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Get(m3.ID); !errors.Is(err, ErrNotFound) {
		t.Errorf("expunged message still indexed: %v", err)
	}
	if p, _ := c.PendingActions("acc"); len(p) != 1 || p[0].ID != ex.ID || p[0].UID != "3" {
		t.Errorf("expunge queue = %+v", p)
	}
}
