package accounts

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/internal/tcprelay"
	"github.com/posta-mail/posta/mail"
)

// These tests drive the account engine (lanes.go, sync.go) against the
// demo's IMAP server over TLS on real sockets.

// imapClient logs in to the demo IMAP server as alice, as a second mail
// client would.
func (f *demoFixture) imapClient(t *testing.T) *imapclient.Client {
	t.Helper()
	c, err := imapclient.DialTLS(f.srv.IMAPAddr, &imapclient.Options{TLSConfig: f.srv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	if err := c.Login("alice", "password").Wait(); err != nil {
		t.Fatal(err)
	}
	return c
}

func appendMessage(t *testing.T, c *imapclient.Client, folder, subject string) {
	t.Helper()
	raw := fmt.Sprintf("From: carol@example.com\r\nTo: alice@work.example\r\nSubject: %s\r\nMessage-ID: <%d.%s@example.com>\r\nDate: %s\r\n\r\nbody of %s\r\n",
		subject, time.Now().UnixNano(), strings.ReplaceAll(subject, " ", "."), time.Now().Format(time.RFC1123Z), subject)
	ap := c.Append(folder, int64(len(raw)), nil)
	if _, err := ap.Write([]byte(raw)); err != nil {
		t.Fatal(err)
	}
	if err := ap.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := ap.Wait(); err != nil {
		t.Fatal(err)
	}
}

// TestInteractiveLaneDuringFirstSync holds the first sync of a large
// inbox after its first stored batch (the sync lane stays busy) and does
// what a user does meanwhile: open a message whose body is not cached,
// flag it, search the server, send. None of it may wait for the sync.
func TestInteractiveLaneDuringFirstSync(t *testing.T) {
	f := startDemoFixture(t, 3000)
	set := f.open(t)
	work, err := set.Get("work")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()

	firstBatch := make(chan struct{})
	release := make(chan struct{})
	var once sync.Once
	syncDone := make(chan error, 1)
	go func() {
		_, err := work.SyncWith(ctx, SyncOptions{First: "INBOX", Events: func(e Event) {
			if e.Kind == EventStored && e.Folder == "INBOX" {
				once.Do(func() {
					close(firstBatch)
					<-release // the sync lane is busy until the test is done
				})
			}
		}})
		syncDone <- err
	}()
	defer func() {
		select {
		case <-release:
		default:
			close(release)
		}
	}()
	select {
	case <-firstBatch:
	case err := <-syncDone:
		t.Fatalf("sync ended (%v) before its first batch was announced", err)
	case <-ctx.Done():
		t.Fatal("no first batch")
	}

	msgs, err := work.List("INBOX", 1, 0)
	if err != nil || len(msgs) != 1 {
		t.Fatalf("List after the first batch = %d rows, %v", len(msgs), err)
	}
	newest := msgs[0]
	if newest.HasBody {
		t.Fatal("the newest message's body is already cached; the test needs an uncached one")
	}
	within := func(what string, limit time.Duration, fn func(context.Context) error) {
		t.Helper()
		c, stop := context.WithTimeout(ctx, limit)
		defer stop()
		start := time.Now()
		done := make(chan error, 1)
		go func() { done <- fn(c) }()
		select {
		case err := <-done:
			if err != nil {
				t.Errorf("%s during the sync: %v", what, err)
			}
			t.Logf("%s during the first sync: %v", what, time.Since(start).Round(time.Millisecond))
		case <-c.Done():
			t.Errorf("%s waited %v behind the running sync", what, limit)
		}
	}
	within("opening an uncached message", 5*time.Second, func(c context.Context) error {
		raw, err := work.Body(c, newest.ID)
		if err == nil && !strings.Contains(string(raw), "Subject:") {
			err = fmt.Errorf("body without a header: %.60q", raw)
		}
		return err
	})
	within("flagging it", 5*time.Second, func(c context.Context) error {
		return work.SetFlag(c, newest.ID, mail.FlagFlagged, true)
	})
	within("searching the server", 5*time.Second, func(c context.Context) error {
		_, err := work.searchServer(c, []string{"planning"})
		return err
	})
	within("sending", 5*time.Second, func(c context.Context) error {
		return work.Send(c, "alice@work.example", []string{"bob@home.example"},
			[]byte("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: sent during a sync\r\n\r\nhi\r\n"))
	})
	select {
	case err := <-syncDone:
		t.Fatalf("the sync ended (%v) while held: the test did not overlap it", err)
	default:
	}
	close(release)
	if err := <-syncDone; err != nil {
		t.Fatalf("the held sync, released: %v", err)
	}
	if n, _ := work.Count("INBOX"); n != 3000+1 && n != 3000 {
		t.Errorf("INBOX holds %d messages after the sync, want the server's 3000", n)
	}
}

// TestSyncStreamsFolderListThenBatches checks the order a reader relies
// on: the folder list is stored first, then the open folder's first batch
// is listable while the rest of the folder is still coming.
func TestSyncStreamsFolderListThenBatches(t *testing.T) {
	f := startDemoFixture(t, 3000)
	set := f.open(t)
	work, _ := set.Get("work")
	var kinds []string
	firstCount := -1
	foldersAtList := 0
	_, err := work.SyncWith(context.Background(), SyncOptions{First: "INBOX", Events: func(e Event) {
		switch e.Kind {
		case EventFolders:
			kinds = append(kinds, "folders")
			fs, _ := work.Folders()
			foldersAtList = len(fs)
		case EventStored:
			if e.Folder == "INBOX" && firstCount < 0 {
				kinds = append(kinds, "stored INBOX")
				firstCount, _ = work.Count("INBOX")
			}
		case EventFolderDone:
			kinds = append(kinds, "done "+e.Folder)
		}
	}})
	if err != nil {
		t.Fatal(err)
	}
	if len(kinds) < 3 || kinds[0] != "folders" || kinds[1] != "stored INBOX" || kinds[2] != "done INBOX" {
		t.Fatalf("events = %v, want folders, the first INBOX batch, INBOX done, then the other folders", kinds)
	}
	if foldersAtList < 2 {
		t.Errorf("%d folders listable when EventFolders came", foldersAtList)
	}
	if firstCount <= 0 || firstCount >= 3000 {
		t.Errorf("INBOX held %d messages at its first EventStored, want the first batch of 3000", firstCount)
	}
	newest, _ := work.List("INBOX", 1, 0)
	all, _ := work.Count("INBOX")
	if all != 3000 || len(newest) != 1 {
		t.Fatalf("INBOX holds %d messages after the sync", all)
	}
}

// TestFolderFailureDoesNotStopTheRest deletes a folder on the server
// after posta listed it: its sync fails, is reported, and every other
// folder is synced.
func TestFolderFailureDoesNotStopTheRest(t *testing.T) {
	f := startDemoFixture(t, 50)
	set := f.open(t)
	work, _ := set.Get("work")
	other := f.imapClient(t)
	rep, err := work.SyncWith(context.Background(), SyncOptions{Events: func(e Event) {
		if e.Kind == EventFolders {
			if err := other.Delete("Archive").Wait(); err != nil {
				t.Errorf("delete Archive: %v", err)
			}
		}
	}})
	var partial *PartialError
	if !errors.As(err, &partial) {
		t.Fatalf("SyncWith = %v, want a *PartialError for the deleted folder", err)
	}
	if len(rep.Failures) != 1 || rep.Failures[0].Folder != "Archive" {
		t.Fatalf("failures = %v, want Archive alone", rep.Failures)
	}
	t.Logf("reported: %v", err)
	list, err := other.List("", "*", nil).Collect()
	if err != nil {
		t.Fatal(err)
	}
	for _, ld := range list {
		sd, err := other.Status(ld.Mailbox, &imapStatusMessages).Wait()
		if err != nil {
			t.Fatal(err)
		}
		if got, _ := work.Count(ld.Mailbox); got != int(*sd.NumMessages) {
			t.Errorf("%s: %d messages cached, the server has %d", ld.Mailbox, got, *sd.NumMessages)
		}
	}
	st, _ := work.State()
	if !strings.Contains(st.LastError, "Archive") {
		t.Errorf("recorded state %q does not name the failed folder", st.LastError)
	}
}

// TestUnchangedResyncCostsOneRoundTrip syncs an account of more than 20
// folders, then resyncs it with nothing changed: one round trip (LIST
// with STATUS) on the open connection, every folder skipped. A message
// arriving in one folder makes the next resync sync that folder only.
func TestUnchangedResyncCostsOneRoundTrip(t *testing.T) {
	f := startDemoFixture(t, 40)
	other := f.imapClient(t)
	for i := 0; i < 18; i++ {
		name := fmt.Sprintf("Lists/list-%02d", i)
		if err := other.Create(name, nil).Wait(); err != nil {
			t.Fatal(err)
		}
		appendMessage(t, other, name, "welcome to "+name)
	}
	relay, err := tcprelay.Start(f.srv.IMAPAddr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	f.cfg.Accounts[0].Fetch.Host, f.cfg.Accounts[0].Fetch.Port = splitFixtureAddr(t, relay.Addr())
	set := f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	if _, err := work.SyncWith(ctx, SyncOptions{}); err != nil {
		t.Fatal(err)
	}
	folders, _ := work.Folders()
	if len(folders) < 20 {
		t.Fatalf("%d folders, want at least 20", len(folders))
	}

	// The interactive lane connects in the background during a sync: make
	// sure it is done (open a message) before counting.
	first, _ := work.List("INBOX", 1, 0)
	if _, err := work.Body(ctx, first[0].ID); err != nil {
		t.Fatal(err)
	}
	before := relay.Turns.Load()
	rep, err := work.SyncWith(ctx, SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	turns := relay.Turns.Load() - before
	t.Logf("unchanged resync of %d folders: %d round trips, %d skipped", len(folders), turns, rep.Unchanged)
	if turns > 1 {
		t.Errorf("an unchanged resync took %d round trips, want 1", turns)
	}
	if rep.Unchanged != len(folders) {
		t.Errorf("skipped %d of %d unchanged folders", rep.Unchanged, len(folders))
	}

	appendMessage(t, other, "Lists/list-07", "news in one folder")
	rep, err = work.SyncWith(ctx, SyncOptions{})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 || rep.Unchanged != len(folders)-1 {
		t.Errorf("after one new message: added %d, skipped %d of %d; want 1 added, the other folders skipped", rep.Added, rep.Unchanged, len(folders))
	}
	if n, _ := work.Count("Lists/list-07"); n != 2 {
		t.Errorf("Lists/list-07 holds %d messages, want 2", n)
	}

	// A scoped sync (IDLE's news) does not list the account at all.
	appendMessage(t, other, "INBOX", "pushed")
	before = relay.Turns.Load()
	rep, err = work.SyncWith(ctx, SyncOptions{Folders: []string{"INBOX"}})
	if err != nil {
		t.Fatal(err)
	}
	if rep.Added != 1 {
		t.Errorf("a scoped INBOX sync added %d, want 1", rep.Added)
	}
	t.Logf("scoped INBOX sync with one new message: %d round trips", relay.Turns.Load()-before)
}

var imapStatusMessages = imap.StatusOptions{NumMessages: true}
