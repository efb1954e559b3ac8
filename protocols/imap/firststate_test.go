package imap

import (
	"testing"

	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/protocols"
)

// TestFirstSyncState lists folders without STATUS, as a first sync does,
// syncs each into an empty cache and holds the state each sync reports
// to what LIST with STATUS says right after: equal, so that the next sync
// skips the unchanged folders (two of the three INBOX messages unseen,
// and an empty folder). A message that arrives changes the listed state
// of that folder, and not of the other.
func TestFirstSyncState(t *testing.T) {
	ts := startServer(t)
	if err := ts.user.Create("Archive", nil); err != nil {
		t.Fatal(err)
	}
	seedMessages(t, ts)
	f := ts.fetcher(t, protocols.SecurityTLS)
	plain, err := f.FoldersWithoutState(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	synced := map[string]string{}
	for _, fo := range plain {
		if fo.State != "" || fo.Total != 0 || fo.Unread != 0 {
			t.Errorf("FoldersWithoutState: %q has State %q, %d/%d messages; want none", fo.Name, fo.State, fo.Unread, fo.Total)
		}
		res, err := f.Sync(testCtx(t), newFakeCache().request(fo.Name))
		if err != nil {
			t.Fatal(err)
		}
		if res.State == "" {
			t.Errorf("first sync of %q reported no state", fo.Name)
		}
		synced[fo.Name] = res.State
	}
	if len(synced) != 2 {
		t.Fatalf("listed %v, want INBOX and Archive", synced)
	}
	listed := func() map[string]mail.Folder {
		folders, err := f.Folders(testCtx(t))
		if err != nil {
			t.Fatal(err)
		}
		m := map[string]mail.Folder{}
		for _, fo := range folders {
			m[fo.Name] = fo
		}
		return m
	}
	now := listed()
	for name, state := range synced {
		if now[name].State != state {
			t.Errorf("%s: the first sync reported state %q, STATUS says %q", name, state, now[name].State)
		}
	}
	if now["INBOX"].Unread != 2 {
		t.Fatalf("INBOX: %d unseen, want 2 (seedMessages)", now["INBOX"].Unread)
	}
	ts.seed(t, "Archive", "From: a@example.com\nSubject: new\n\nhi\n", nil, internalDate)
	after := listed()
	if after["Archive"].State == synced["Archive"] || after["INBOX"].State != synced["INBOX"] {
		t.Errorf("after a message arrived in Archive: states %q, %q; the first syncs reported %q, %q",
			after["INBOX"].State, after["Archive"].State, synced["INBOX"], synced["Archive"])
	}
}
