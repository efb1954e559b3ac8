package accounts

import (
	"context"
	"testing"

	"github.com/posta-mail/posta/cache"
)

// TestMovedMessageCanBeActedOnAtOnce: a move or a delete to Trash done on
// a server that returns COPYUID (UIDPLUS, RFC 4315) gives the moved copy
// its real UID at once, so it can be moved or deleted again before the
// next sync (issue 17, bug 5: it kept a pending: placeholder and said
// "message waits for a queued move or copy; sync first").
func TestMovedMessageCanBeActedOnAtOnce(t *testing.T) {
	f := startDemoFixture(t, 3)
	_, work, msgs := syncedWork(t, f)
	ctx := context.Background()
	m := msgs[0]
	if err := work.Move(ctx, m.ID, "Projects/posta"); err != nil {
		t.Fatalf("Move: %v", err)
	}
	moved, err := work.Message(m.ID)
	if err != nil {
		t.Fatal(err)
	}
	if moved.Folder != "Projects/posta" || cache.IsPlaceholderUID(moved.UID) {
		t.Fatalf("moved message is in %s under UID %q, want Projects/posta under its real UID", moved.Folder, moved.UID)
	}
	view := serverView(t, f)
	onServer, err := view.List("Projects/posta", 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, s := range onServer {
		if s.MessageID == m.MessageID {
			found = true
			if s.UID != moved.UID {
				t.Errorf("moved message's UID = %s, the server lists it as %s", moved.UID, s.UID)
			}
		}
	}
	if !found {
		t.Fatalf("the server has no %s in Projects/posta", m.MessageID)
	}

	// Delete (to Trash) the moved message at once, then delete it for good.
	if err := work.Delete(ctx, m.ID); err != nil {
		t.Fatalf("Delete right after the move: %v", err)
	}
	trashed, _ := work.Message(m.ID)
	if trashed.Folder != "Trash" || cache.IsPlaceholderUID(trashed.UID) {
		t.Fatalf("deleted message is in %s under UID %q, want Trash under its real UID", trashed.Folder, trashed.UID)
	}
	if err := work.Delete(ctx, m.ID); err != nil {
		t.Fatalf("Delete in Trash right after: %v", err)
	}
	if in, _ := where(t, serverView(t, f), m.MessageID); len(in) != 0 {
		t.Errorf("after delete in Trash the server still has the message in %v", in)
	}
	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	if in, _ := where(t, work, m.MessageID); len(in) != 0 {
		t.Errorf("after a sync the index has the message in %v, want nowhere", in)
	}
}
