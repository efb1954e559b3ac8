package cache

import (
	"fmt"
	"testing"

	postamail "github.com/posta-mail/posta/mail"
)

func TestBulkActionQueuesOneEntryAndReverts(t *testing.T) {
	c := openTest(t, testOptions(t))
	var hs []postamail.Header
	for i := 1; i <= 6; i++ {
		var flags []postamail.Flag
		if i%2 == 0 {
			flags = append(flags, postamail.FlagSeen)
		}
		hs = append(hs, header("INBOX", fmt.Sprint(i), timeUnix(int64(i*100)), flags...))
	}
	if err := c.PutHeaders("acc", hs); err != nil {
		t.Fatal(err)
	}
	msgs := mustList(t, c, Query{Account: "acc", Folder: "INBOX"})
	ids := make([]int64, len(msgs))
	for i, m := range msgs {
		ids[i] = m.ID
	}

	seen, err := c.QueueBulkAction(PendingAction{Kind: ActionFlag, Args: ActionArgs{Flag: postamail.FlagSeen}}, ids)
	if err != nil {
		t.Fatal(err)
	}
	if len(seen.Targets()) != 6 || len(seen.UIDs()) != 6 {
		t.Fatalf("bulk flag has %d members, want 6", len(seen.Targets()))
	}
	for _, m := range mustList(t, c, Query{Account: "acc", Folder: "INBOX"}) {
		if !m.Flags.Has(postamail.FlagSeen) {
			t.Errorf("after a bulk +\\Seen message %s is unread", m.UID)
		}
	}
	move, err := c.QueueBulkAction(PendingAction{Kind: ActionMove, Args: ActionArgs{Dest: "Archive"}}, ids[:4])
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.Count(Query{Account: "acc", Folder: "Archive"}); n != 4 {
		t.Errorf("Archive holds %d, want 4", n)
	}
	p, err := c.PendingActions("acc")
	if err != nil || len(p) != 2 || len(p[1].Args.Members) != 4 {
		t.Fatalf("PendingActions = %+v, %v; want 2 entries, the move with 4 members", p, err)
	}

	// A member gone from the server leaves the action; the rest stays.
	gone := p[1].Args.Members[0]
	rest, err := c.DropMembers(p[1], map[string]bool{gone.UID: true})
	if err != nil || len(rest.Args.Members) != 3 {
		t.Fatalf("DropMembers = %+v, %v; want 3 members left", rest, err)
	}
	if got, _ := c.Get(gone.MessageID); got.Folder != "INBOX" || got.UID != gone.UID {
		t.Errorf("dropped member is at %s/%s, want INBOX/%s", got.Folder, got.UID, gone.UID)
	}

	// The server placed two of them: their rows take the real UIDs.
	placed := map[string]string{rest.Args.Members[0].UID: "901", rest.Args.Members[1].UID: "902"}
	if err := c.SettleBulk(rest, placed); err != nil {
		t.Fatal(err)
	}
	if got, _ := c.Get(rest.Args.Members[0].MessageID); got.Folder != "Archive" || got.UID != "901" {
		t.Errorf("settled member is at %s/%s, want Archive/901", got.Folder, got.UID)
	}

	// Dropping reverts every member left.
	if err := c.DropAction(rest); err != nil {
		t.Fatal(err)
	}
	if err := c.DropAction(seen); err != nil {
		t.Fatal(err)
	}
	for _, m := range mustList(t, c, Query{Account: "acc", Folder: "INBOX"}) {
		var want bool
		for _, h := range hs {
			if h.UID == m.UID {
				want = h.Flags.Has(postamail.FlagSeen)
			}
		}
		if m.Flags.Has(postamail.FlagSeen) != want {
			t.Errorf("after drop, message %s seen = %v, want %v", m.UID, !want, want)
		}
	}
	// Settled members keep their real UID in Archive (the server has
	// them there); the one not placed went back.
	if n, _ := c.Count(Query{Account: "acc", Folder: "INBOX"}); n != 4 {
		t.Errorf("INBOX holds %d after the drop, want 4", n)
	}

	// Placeholders of a done bulk move are dropped once it left the queue.
	mv, err := c.QueueBulkAction(PendingAction{Kind: ActionMove, Args: ActionArgs{Dest: "Junk"}}, []int64{ids[4], ids[5]})
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := c.DropSettledPlaceholders("acc"); n != 0 {
		t.Errorf("dropped %d placeholders of a queued action, want 0", n)
	}
	if err := c.ActionDone(mv.ID); err != nil {
		t.Fatal(err)
	}
	if n, _ := c.DropSettledPlaceholders("acc"); n != 2 {
		t.Errorf("dropped %d placeholders of a done bulk move, want 2", n)
	}
	_ = move
}
