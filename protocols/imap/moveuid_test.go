package imap

import (
	"errors"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/protocols"
)

// TestMoveUIDsReadsCOPYUID moves messages and checks the new UIDs it
// reports against what a second client sees in the target folder.
func TestMoveUIDsReadsCOPYUID(t *testing.T) {
	ts := startServer(t)
	if err := ts.user.Create("Archive", nil); err != nil {
		t.Fatal(err)
	}
	seedMessages(t, ts)
	// Archive already holds one message: the moved ones get UIDs 2 and 3.
	ts.seed(t, "Archive", "Subject: old\n\nold\n", nil, time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC))
	f := ts.fetcher(t, protocols.SecurityTLS)
	newFakeCache().sync(t, f, "INBOX")
	placed, err := f.MoveUIDs(testCtx(t), "INBOX", []string{"1", "3"}, "Archive")
	if err != nil {
		t.Fatalf("MoveUIDs() error = %v", err)
	}
	want := map[string]string{"1": "2", "3": "3"}
	if len(placed) != len(want) || placed["1"] != want["1"] || placed["3"] != want["3"] {
		t.Errorf("MoveUIDs() = %v, want %v", placed, want)
	}
	archive := serverMessages(t, ts.otherClient(t), "Archive")
	for _, uid := range []imap.UID{2, 3} {
		if _, ok := archive[uid]; !ok {
			t.Errorf("Archive holds %v, want UID %d", archive, uid)
		}
	}
	if _, err := f.MoveUIDs(testCtx(t), "INBOX", []string{"2"}, "Nowhere"); !errors.Is(err, protocols.ErrNotFound) {
		t.Errorf("MoveUIDs(to missing folder) error = %v, want ErrNotFound", err)
	}
}

func TestBoundedUIDs(t *testing.T) {
	tests := []struct {
		name string
		set  imap.NumSet
		want int
	}{
		{"two ranges", imap.UIDSet{{Start: 4, Stop: 5}, {Start: 9, Stop: 9}}, 3},
		{"star", imap.UIDSet{{Start: 4, Stop: 0}}, 0},
		{"hostile", imap.UIDSet{{Start: 1, Stop: 4294967295}}, 0},
		{"sequence numbers", imap.SeqSetNum(1, 2), 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := boundedUIDs(tt.set); len(got) != tt.want {
				t.Errorf("boundedUIDs(%v) = %v, want %d UIDs", tt.set, got, tt.want)
			}
		})
	}
}
