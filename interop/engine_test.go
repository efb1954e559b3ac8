//go:build interop

package interop

import (
	"fmt"
	"net"
	"strconv"
	"testing"

	goimap "github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/internal/tcprelay"
	"github.com/posta-mail/posta/mail"
)

// TestAccountsUnchangedResyncRoundTrips: an account of 20 folders on
// Dovecot, synced once, then resynced with nothing changed, costs at most
// two round trips after login (issue 14; Dovecot has LIST-STATUS and
// CONDSTORE: one LIST with STATUS, every folder skipped). A flag changed
// by another client in one folder makes the next resync sync that folder
// alone, and the change is seen.
func TestAccountsUnchangedResyncRoundTrips(t *testing.T) {
	s := requireStack(t)
	ctx := testCtx(t)
	other := s.rawIMAP(t, alice, alicePass)
	prefix := uniqueName(t, "Resync-")
	var folders []string
	for i := 0; i < 20; i++ {
		name := fmt.Sprintf("%s-%02d", prefix, i)
		if err := other.Create(name, nil).Wait(); err != nil {
			t.Fatalf("CREATE %s: %v", name, err)
		}
		t.Cleanup(func() { other.Delete(name).Wait() })
		appendRaw(t, other, name, name+" first", name+" second")
		folders = append(folders, name)
	}
	relay, err := tcprelay.Start(s.imapTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	cfg := s.imapAccount(t, folders...)
	host, port, _ := net.SplitHostPort(relay.Addr())
	cfg.Fetch.Host = host
	cfg.Fetch.Port, _ = strconv.Atoi(port)
	set := openAccounts(t, t.TempDir(), cfg)
	a := set.Default
	if _, err := a.SyncWith(ctx, accounts.SyncOptions{}); err != nil {
		t.Fatalf("first sync: %v", err)
	}
	before := relay.Turns.Load()
	rep, err := a.SyncWith(ctx, accounts.SyncOptions{})
	if err != nil {
		t.Fatalf("resync: %v", err)
	}
	turns := relay.Turns.Load() - before
	t.Logf("unchanged resync of %d folders against Dovecot: %d round trips, %d skipped", len(folders), turns, rep.Unchanged)
	if turns > 2 {
		t.Errorf("an unchanged resync took %d round trips after login, want at most 2", turns)
	}
	if rep.Unchanged != len(folders) {
		t.Errorf("skipped %d of %d unchanged folders", rep.Unchanged, len(folders))
	}

	// Another client flags a message in one folder: only HIGHESTMODSEQ
	// says so, and that is enough.
	target := folders[7]
	m := cachedBySubject(t, set, "alice", target, target+" first")
	if _, err := other.Select(target, nil).Wait(); err != nil {
		t.Fatalf("SELECT %s: %v", target, err)
	}
	if err := other.Store(goimap.UIDSetNum(mustUID(t, m.UID)), &goimap.StoreFlags{Op: goimap.StoreFlagsAdd, Silent: true,
		Flags: []goimap.Flag{goimap.FlagFlagged}}, nil).Close(); err != nil {
		t.Fatalf("STORE: %v", err)
	}
	rep, err = a.SyncWith(ctx, accounts.SyncOptions{})
	if err != nil {
		t.Fatalf("resync after the flag: %v", err)
	}
	if rep.Unchanged != len(folders)-1 {
		t.Errorf("after a flag in %s: %d folders skipped, want %d", target, rep.Unchanged, len(folders)-1)
	}
	if got := cachedBySubject(t, set, "alice", target, target+" first"); !got.Flags.Has(mail.FlagFlagged) {
		t.Errorf("the other client's \\Flagged was not seen: %v", got.Flags)
	}
}
