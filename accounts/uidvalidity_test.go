package accounts

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2/imapclient"
)

// TestUIDValidityChangeResyncsFolder recreates a folder behind posta's
// back (new UIDVALIDITY, UIDs that reuse the old numbers): the next sync
// must hold exactly the new messages, none of the old rows or bodies.
func TestUIDValidityChangeResyncsFolder(t *testing.T) {
	f := startDemoFixture(t, 3)
	set := f.open(t)
	work, _ := set.Get("work")
	ctx := context.Background()
	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	before, _ := work.List("Archive", 0, 0)
	if len(before) == 0 {
		t.Fatal("the demo Archive is empty")
	}
	if _, err := work.Body(ctx, before[0].ID); err != nil { // cache one old body
		t.Fatal(err)
	}

	c, err := imapclient.DialTLS(f.srv.IMAPAddr, &imapclient.Options{TLSConfig: f.srv.TLSConfig()})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Login("alice", "password").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Delete("Archive").Wait(); err != nil {
		t.Fatal(err)
	}
	if err := c.Create("Archive", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	for i := 0; i < 2; i++ {
		raw := fmt.Sprintf("From: new@example.com\r\nTo: alice@work.example\r\nSubject: recreated %d\r\nMessage-ID: <re%d@example.com>\r\n\r\nnew body %d\r\n", i, i, i)
		ap := c.Append("Archive", int64(len(raw)), nil)
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

	if _, err := work.Sync(ctx, nil); err != nil {
		t.Fatal(err)
	}
	after, _ := work.List("Archive", 0, 0)
	if len(after) != 2 {
		t.Fatalf("Archive holds %d messages after the reset, want the 2 new ones", len(after))
	}
	for _, m := range after {
		body, err := work.Body(ctx, m.ID)
		if err != nil {
			t.Fatal(err)
		}
		if want := "recreated"; !strings.Contains(m.Subject, want) || !strings.Contains(string(body), "new body") {
			t.Errorf("message %q has body %q: an old row or body survived the reset", m.Subject, body)
		}
	}
}
