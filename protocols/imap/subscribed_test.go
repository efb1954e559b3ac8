package imap

import (
	"testing"

	"github.com/posta-mail/posta/protocols"
)

func TestSubscribedOnly(t *testing.T) {
	ts := startServer(t)
	for _, name := range []string{"Sent", "Lists/Go", "Lists/Rust"} {
		if err := ts.user.Create(name, nil); err != nil {
			t.Fatal(err)
		}
	}
	c := ts.otherClient(t)
	for _, name := range []string{"INBOX", "Lists/Go"} {
		if err := c.Subscribe(name).Wait(); err != nil {
			t.Fatal(err)
		}
	}
	f := New(Options{Endpoint: ts.endpoint(protocols.SecurityTLS), SubscribedOnly: true})
	t.Cleanup(func() { f.Close() })
	folders, err := f.Folders(testCtx(t))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, fo := range folders {
		names = append(names, fo.Name)
	}
	if len(names) != 2 || names[0] != "INBOX" || names[1] != "Lists/Go" {
		t.Errorf("subscribed folders = %v, want [INBOX Lists/Go]", names)
	}
}
