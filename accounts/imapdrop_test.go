package accounts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"sort"
	"strconv"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/internal/tcprelay"
	"github.com/posta-mail/posta/mail"
)

// serverUIDs lists every folder of the demo IMAP user with its UIDs, read
// through a separate client.
func serverUIDs(t *testing.T, f *demoFixture) map[string][]string {
	t.Helper()
	roots := x509.NewCertPool()
	if !roots.AppendCertsFromPEM(f.srv.CACertPEM) {
		t.Fatal("demo CA: no certificate")
	}
	a := f.srv.Accounts[0]
	c, err := imapclient.DialTLS(f.srv.IMAPAddr, &imapclient.Options{TLSConfig: &tls.Config{RootCAs: roots}})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login(a.Username, a.Password).Wait(); err != nil {
		t.Fatal(err)
	}
	boxes, err := c.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string][]string)
	for _, b := range boxes {
		if hasAttr(b.Attrs, imap.MailboxAttrNoSelect) {
			continue
		}
		if _, err := c.Select(b.Mailbox, &imap.SelectOptions{ReadOnly: true}).Wait(); err != nil {
			t.Fatalf("select %s: %v", b.Mailbox, err)
		}
		sd, err := c.UIDSearch(&imap.SearchCriteria{}, nil).Wait()
		if err != nil {
			t.Fatalf("search %s: %v", b.Mailbox, err)
		}
		uids := []string{}
		for _, u := range sd.AllUIDs() {
			uids = append(uids, strconv.FormatUint(uint64(u), 10))
		}
		sort.Strings(uids)
		out[b.Mailbox] = uids
	}
	return out
}

func hasAttr(attrs []imap.MailboxAttr, want imap.MailboxAttr) bool {
	for _, a := range attrs {
		if a == want {
			return true
		}
	}
	return false
}

// checkCacheConsistent fails unless every cached row of the account has
// sane fields, no folder holds a UID twice and the folder counts match
// the rows. It returns the cached UIDs per folder, sorted.
func checkCacheConsistent(t *testing.T, c *cache.Cache, account string) map[string][]string {
	t.Helper()
	rows, err := c.List(cache.Query{Account: account})
	if err != nil {
		t.Fatal(err)
	}
	folders, err := c.Folders(account)
	if err != nil {
		t.Fatal(err)
	}
	known := make(map[string]bool)
	for _, f := range folders {
		known[f.Name] = true
	}
	byFolder := make(map[string][]string)
	seen := make(map[[2]string]bool)
	for _, m := range rows {
		uid, err := strconv.ParseUint(m.UID, 10, 32)
		switch {
		case err != nil || uid == 0:
			t.Errorf("row %d: UID %q is not an IMAP UID", m.ID, m.UID)
		case !known[m.Folder]:
			t.Errorf("row %d: folder %q is not among the cached folders", m.ID, m.Folder)
		case m.Subject == "" || m.MessageID == "" || len(m.From) == 0:
			t.Errorf("row %d (%s/%s): incomplete header: subject %q, message-id %q, from %v", m.ID, m.Folder, m.UID, m.Subject, m.MessageID, m.From)
		case m.Size <= 0 || m.Date.IsZero() || m.Date.Year() < 1990:
			t.Errorf("row %d (%s/%s): size %d, date %v", m.ID, m.Folder, m.UID, m.Size, m.Date)
		}
		key := [2]string{m.Folder, m.UID}
		if seen[key] {
			t.Errorf("UID %s cached twice in %s", m.UID, m.Folder)
		}
		seen[key] = true
		byFolder[m.Folder] = append(byFolder[m.Folder], m.UID)
	}
	for _, f := range folders {
		if f.Total != len(byFolder[f.Name]) {
			t.Errorf("folder %s: count says %d messages, %d rows cached", f.Name, f.Total, len(byFolder[f.Name]))
		}
		unread := 0
		for _, m := range rows {
			if m.Folder == f.Name && !m.Flags.Has(mail.FlagSeen) {
				unread++
			}
		}
		if f.Unread != unread {
			t.Errorf("folder %s: count says %d unread, rows say %d", f.Name, f.Unread, unread)
		}
	}
	for _, uids := range byFolder {
		sort.Strings(uids)
	}
	return byFolder
}

// TestSyncSurvivesDroppedConnection cuts the IMAP connection in the
// middle of the first sync of a large folder: Sync must fail, the cache
// must stay consistent, and the next Sync must complete with exactly
// what the server holds.
func TestSyncSurvivesDroppedConnection(t *testing.T) {
	f := startDemoFixture(t, 3000)
	relay, err := tcprelay.Start(f.srv.IMAPAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	relay.Limit.Store(600 << 10) // past login and a few header batches of INBOX
	relay.CutDown.Store(true)    // and the network stays down: reconnecting fails
	host, port := splitFixtureAddr(t, relay.Addr())
	f.cfg.Accounts[0].Fetch.Host, f.cfg.Accounts[0].Fetch.Port = host, port
	set := f.open(t)
	work, err := set.Get("work")
	if err != nil {
		t.Fatal(err)
	}

	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	start := time.Now()
	rep, err := work.Sync(ctx, nil)
	if err == nil {
		t.Fatalf("Sync through a cut connection = %+v, nil error; want an error", rep)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Sync hung until the deadline instead of failing on the cut: %v", err)
	}
	if relay.Cuts.Load() == 0 {
		t.Fatalf("Sync failed before the relay cut anything: %v", err)
	}
	t.Logf("cut sync failed after %v with %q (%d added in folders that finished)", time.Since(start), err, rep.Added)

	partial := checkCacheConsistent(t, set.cache, "work")
	want := serverUIDs(t, f)
	if n := len(partial["INBOX"]); n == 0 || n >= len(want["INBOX"]) {
		t.Fatalf("after the cut the cache holds %d of %d INBOX messages; want a partial INBOX (cut too early or too late)", n, len(want["INBOX"]))
	}
	t.Logf("after the cut: %d of %d INBOX headers cached", len(partial["INBOX"]), len(want["INBOX"]))

	relay.Limit.Store(0) // the network is back
	relay.Down.Store(false)
	rep, err = work.Sync(ctx, nil)
	if err != nil {
		t.Fatalf("Sync after the connection came back: %v", err)
	}
	got := checkCacheConsistent(t, set.cache, "work")
	for folder, uids := range want {
		if !equalStrings(got[folder], uids) {
			t.Errorf("folder %s: cache holds %d UIDs, server %d; want the same set", folder, len(got[folder]), len(uids))
		}
	}
	for folder := range got {
		if _, ok := want[folder]; !ok {
			t.Errorf("cache holds rows for %s, which the server does not have", folder)
		}
	}
	wantAdded := len(want["INBOX"]) - len(partial["INBOX"])
	for folder, uids := range want {
		if folder != "INBOX" {
			wantAdded += len(uids) - len(partial[folder])
		}
	}
	if rep.Added != wantAdded {
		t.Errorf("second Sync Added = %d, want %d (only what the cut sync missed)", rep.Added, wantAdded)
	}

	// A third sync finds nothing to do.
	rep, err = work.Sync(ctx, nil)
	if err != nil || rep.Added != 0 || rep.Removed != 0 {
		t.Errorf("third Sync = %+v, %v; want nothing added or removed", rep, err)
	}
}

func equalStrings(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
