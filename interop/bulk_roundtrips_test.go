//go:build interop

package interop

import (
	"fmt"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	goimap "github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/internal/tcprelay"
	"github.com/posta-mail/posta/mail"
)

// TestBulkActionsRoundTripsDovecot marks 1,000 messages of a Dovecot
// folder and flags, moves and deletes them through accounts, counting the
// round trips each bulk action costs on the interactive connection (issue
// 20: a handful, UID sets of 500 rather than one command per message),
// and checks on a second connection that the server did it all.
func TestBulkActionsRoundTripsDovecot(t *testing.T) {
	const n = 1000
	s := requireStack(t)
	ctx := testCtx(t)
	other := s.rawIMAP(t, alice, alicePass)
	src, dest := uniqueName(t, "Bulk-"), uniqueName(t, "BulkDest-")
	for _, name := range []string{src, dest} {
		if err := other.Create(name, nil).Wait(); err != nil {
			t.Fatalf("CREATE %s: %v", name, err)
		}
		t.Cleanup(func() { other.Delete(name).Wait() })
	}
	date := time.Now().Format(time.RFC1123Z)
	for i := 0; i < n; i++ {
		raw := fmt.Sprintf("From: Bob <%s>\r\nTo: <%s>\r\nSubject: bulk %d\r\nMessage-ID: <bulk-%d.%s@example.test>\r\nDate: %s\r\n\r\nbody %d\r\n",
			bob, alice, i, i, src, date, i)
		cmd := other.Append(src, int64(len(raw)), nil)
		if _, err := cmd.Write([]byte(raw)); err != nil {
			t.Fatalf("APPEND: %v", err)
		}
		if err := cmd.Close(); err != nil {
			t.Fatalf("APPEND: %v", err)
		}
		if _, err := cmd.Wait(); err != nil {
			t.Fatalf("APPEND: %v", err)
		}
	}

	relay, err := tcprelay.Start(s.imapTLS)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(relay.Close)
	cfg := s.imapAccount(t, src, dest, "Trash")
	host, port, _ := net.SplitHostPort(relay.Addr())
	cfg.Fetch.Host = host
	cfg.Fetch.Port, _ = strconv.Atoi(port)
	set := openAccounts(t, t.TempDir(), cfg)
	a := set.Default
	rep, err := a.SyncWith(ctx, accounts.SyncOptions{})
	if err != nil {
		t.Fatalf("sync: %v", err)
	}
	if len(rep.Failures) > 0 {
		t.Logf("sync failures: %v", rep.Failures)
	}
	msgs, err := a.List(src, 2*n, 0)
	if err != nil || len(msgs) != n {
		t.Fatalf("List(%s) = %d messages, %v; want %d", src, len(msgs), err, n)
	}
	ids := make([]int64, n)
	for i, m := range msgs {
		ids[i] = m.ID
	}
	// Open the interactive lane on another folder's message first, so
	// that its login and capabilities are not counted.
	if err := a.SetFlag(ctx, ids[0], mail.FlagSeen, true); err != nil {
		t.Fatal(err)
	}
	type step struct {
		name  string
		max   int64
		do    func() (accounts.BulkUndo, error)
		turns int64
	}
	steps := []*step{
		{name: "flag", max: 6, do: func() (accounts.BulkUndo, error) { return a.FlagMany(ctx, ids, mail.FlagFlagged, true, nil) }},
		{name: "mark read", max: 6, do: func() (accounts.BulkUndo, error) { return a.FlagMany(ctx, ids, mail.FlagSeen, true, nil) }},
		{name: "move", max: 8, do: func() (accounts.BulkUndo, error) { return a.MoveMany(ctx, ids, dest, nil) }},
		{name: "delete (to Trash)", max: 8, do: func() (accounts.BulkUndo, error) { return a.DeleteMany(ctx, ids, nil) }},
		{name: "delete from Trash", max: 8, do: func() (accounts.BulkUndo, error) { return a.DeleteMany(ctx, ids, nil) }},
	}
	for _, st := range steps {
		before := relay.Turns.Load()
		u, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		st.turns = relay.Turns.Load() - before
		t.Logf("%s %d messages on Dovecot: %d round trips (%d touched)", st.name, n, st.turns, u.Count)
		if st.turns > st.max {
			t.Errorf("%s of %d messages took %d round trips, want at most %d", st.name, n, st.turns, st.max)
		}
		if u.Count < n-1 { // the first message was already \Seen
			t.Errorf("%s touched %d messages, want %d", st.name, u.Count, n)
		}
		switch st.name {
		case "flag":
			checkFolder(t, other, src, n, goimap.FlagFlagged)
		case "move":
			checkFolder(t, other, src, 0, "")
			checkFolder(t, other, dest, n, goimap.FlagFlagged)
		case "delete (to Trash)":
			checkFolder(t, other, dest, 0, "")
		}
	}
	var words []string
	for _, st := range steps {
		words = append(words, fmt.Sprintf("%s %d", st.name, st.turns))
	}
	t.Logf("round trips for %d messages: %s", n, strings.Join(words, ", "))
}

// checkFolder checks on a second connection that a folder holds want
// messages, each with flag when it is not empty.
func checkFolder(t *testing.T, c *imapclient.Client, folder string, want int, flag goimap.Flag) {
	t.Helper()
	sel, err := c.Select(folder, &goimap.SelectOptions{ReadOnly: true}).Wait()
	if err != nil {
		t.Fatalf("SELECT %s: %v", folder, err)
	}
	if int(sel.NumMessages) != want {
		t.Errorf("server: %s holds %d messages, want %d", folder, sel.NumMessages, want)
	}
	if flag != "" && want > 0 {
		data, err := c.UIDSearch(&goimap.SearchCriteria{Flag: []goimap.Flag{flag}}, nil).Wait()
		if err != nil {
			t.Fatalf("SEARCH %s: %v", folder, err)
		}
		if got := len(data.AllUIDs()); got != want {
			t.Errorf("server: %d messages of %s have %s, want %d", got, folder, flag, want)
		}
	}
	if err := c.Unselect().Wait(); err != nil {
		t.Fatalf("UNSELECT: %v", err)
	}
}
