//go:build interop

package interop

import (
	"strings"
	"testing"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/mail"
)

// TestAccountsUIDValidityChange: another client deletes a folder and
// creates one of the same name (Dovecot gives it a new UIDVALIDITY); the
// next accounts Sync drops that folder's cached rows and resyncs it with
// no stale row left, while the other folder's cache is untouched.
func TestAccountsUIDValidityChange(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	other := s.rawIMAP(t, alice, alicePass)
	folder := uniqueName(t, "Recreated-")
	if err := other.Create(folder, nil).Wait(); err != nil {
		t.Fatalf("CREATE %s: %v", folder, err)
	}
	t.Cleanup(func() { other.Delete(folder).Wait() })
	appendRaw(t, other, folder, folder+" old 1", folder+" old 2", folder+" old 3")
	before := uidValidity(t, other, folder)

	set, c := openAccountsCache(t, t.TempDir(), s.imapAccount(t, folder, "Junk"))
	a := set.Default
	if _, err := a.Sync(ctx, nil); err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	if got := cachedSubjects(t, set, "alice", folder); len(got) != 3 {
		t.Fatalf("after the first Sync the cache holds %v, want the 3 old messages", got)
	}
	// Read (and so cache) the body of the oldest message: its UID will be
	// reused by the recreated folder, and its body must not follow it.
	old := cachedBySubject(t, set, "alice", folder, folder+" old 1")
	if _, err := a.Body(ctx, old.ID); err != nil {
		t.Fatalf("Body(old 1): %v", err)
	}
	junkBefore, err := cachedCount(t, set, "alice", "Junk")
	if err != nil {
		t.Fatal(err)
	}

	if err := other.Delete(folder).Wait(); err != nil {
		t.Fatalf("DELETE %s: %v", folder, err)
	}
	if err := other.Create(folder, nil).Wait(); err != nil {
		t.Fatalf("re-CREATE %s: %v", folder, err)
	}
	appendRaw(t, other, folder, folder+" new 1", folder+" new 2")
	after := uidValidity(t, other, folder)
	if after == before {
		t.Fatalf("Dovecot kept UIDVALIDITY %d for the recreated folder; the test needs a change", after)
	}
	t.Logf("UIDVALIDITY %d -> %d", before, after)

	rep, err := a.Sync(ctx, nil)
	if err != nil {
		t.Fatalf("Sync after the folder was recreated: %v", err)
	}
	got := cachedSubjects(t, set, "alice", folder)
	want := map[string]int{folder + " new 1": 1, folder + " new 2": 1}
	if len(got) != len(want) || got[folder+" new 1"] != 1 || got[folder+" new 2"] != 1 {
		t.Errorf("after the reset the cache holds %v, want exactly %v (no stale rows)", got, want)
	}
	if got[folder+" new 1"] == 1 {
		m := cachedBySubject(t, set, "alice", folder, folder+" new 1")
		body, err := a.Body(ctx, m.ID)
		if err != nil || !strings.Contains(string(body), "body of "+folder+" new 1") {
			t.Errorf("Body(new 1) after the reset = %q, %v; want the new message's body, not a stale one", body, err)
		}
	}
	meta, err := c.FolderMeta("alice", folder)
	if err != nil {
		t.Fatal(err)
	}
	if meta.UIDValidity != after {
		t.Errorf("cached UIDVALIDITY = %d, want %d", meta.UIDValidity, after)
	}
	if rep.Added != 2 {
		t.Errorf("Sync after reset: Added = %d, want 2", rep.Added)
	}
	if n, _ := cachedCount(t, set, "alice", "Junk"); n < junkBefore {
		t.Errorf("Junk lost cached rows across another folder's reset: %d -> %d", junkBefore, n)
	}
	for _, f := range mustFolders(t, set) {
		if f.Name == folder && f.Total != 2 {
			t.Errorf("folder count for %s = %d, want 2", folder, f.Total)
		}
	}
}

// TestAccountsSeesSecondClientChanges: flags set and a message expunged
// by another client show up in posta's cache after Sync (CONDSTORE path
// on Dovecot: CHANGEDSINCE for flags, UID SEARCH for expunges).
func TestAccountsSeesSecondClientChanges(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	other := s.rawIMAP(t, alice, alicePass)
	folder := uniqueName(t, "Shared-")
	if err := other.Create(folder, nil).Wait(); err != nil {
		t.Fatalf("CREATE %s: %v", folder, err)
	}
	t.Cleanup(func() { other.Delete(folder).Wait() })
	appendRaw(t, other, folder, folder+" a", folder+" b", folder+" c")

	set := openAccounts(t, t.TempDir(), s.imapAccount(t, folder))
	a := set.Default
	if _, err := a.Sync(ctx, nil); err != nil {
		t.Fatalf("first Sync: %v", err)
	}
	ma := cachedBySubject(t, set, "alice", folder, folder+" a")
	mb := cachedBySubject(t, set, "alice", folder, folder+" b")
	if ma.Flags.Has(mail.FlagFlagged) {
		t.Fatalf("message a starts flagged: %v", ma.Flags)
	}

	// The other client flags a and expunges b.
	if _, err := other.Select(folder, nil).Wait(); err != nil {
		t.Fatalf("SELECT %s: %v", folder, err)
	}
	uidA, uidB := mustUID(t, ma.UID), mustUID(t, mb.UID)
	if err := other.Store(goimap.UIDSetNum(uidA), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true,
		Flags: []goimap.Flag{goimap.FlagFlagged, goimap.FlagSeen}}, nil).Close(); err != nil {
		t.Fatalf("STORE: %v", err)
	}
	if err := other.Store(goimap.UIDSetNum(uidB), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true,
		Flags: []goimap.Flag{goimap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatalf("STORE \\Deleted: %v", err)
	}
	if _, err := other.UIDExpunge(goimap.UIDSetNum(uidB)).Collect(); err != nil {
		t.Fatalf("UID EXPUNGE: %v", err)
	}
	if err := other.Unselect().Wait(); err != nil {
		t.Fatalf("UNSELECT: %v", err)
	}

	rep, err := a.Sync(ctx, nil)
	if err != nil {
		t.Fatalf("Sync after the other client's changes: %v", err)
	}
	ma = cachedBySubject(t, set, "alice", folder, folder+" a")
	if !ma.Flags.Has(mail.FlagFlagged) || !ma.Flags.Has(mail.FlagSeen) {
		t.Errorf("flags of a after Sync = %v, want \\Flagged and \\Seen", ma.Flags)
	}
	got := cachedSubjects(t, set, "alice", folder)
	if got[folder+" b"] != 0 || len(got) != 2 {
		t.Errorf("after Sync the cache holds %v, want a and c only", got)
	}
	if rep.Removed != 1 || rep.Added != 0 {
		t.Errorf("Sync report = %+v, want Removed 1, Added 0", rep)
	}
	for _, f := range mustFolders(t, set) {
		if f.Name == folder && (f.Total != 2 || f.Unread != 1) {
			t.Errorf("folder %s counts: %d total, %d unread; want 2 and 1", folder, f.Total, f.Unread)
		}
	}
}
