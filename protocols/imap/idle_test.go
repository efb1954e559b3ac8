package imap

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/protocols"
)

func TestIdleReportsNewAndExpungedMail(t *testing.T) {
	ts := startServer(t)
	seedMessages(t, ts)
	f := ts.fetcher(t, protocols.SecurityTLS)

	ctx, cancel := context.WithCancel(context.Background())
	changed := make(chan struct{}, 10)
	done := make(chan error, 1)
	go func() { done <- f.Idle(ctx, "INBOX", func() { changed <- struct{}{} }) }()

	waitChange := func(what string) {
		t.Helper()
		select {
		case <-changed:
		case err := <-done:
			t.Fatalf("Idle returned %v before %s", err, what)
		case <-time.After(5 * time.Second):
			t.Fatalf("no change reported after %s", what)
		}
	}
	// Idle is ready once the server has seen the IDLE command.
	deadline := time.Now().Add(5 * time.Second)
	for !strings.Contains(ts.received.String(), " IDLE\r\n") {
		if time.Now().After(deadline) {
			t.Fatal("Idle never sent IDLE")
		}
		time.Sleep(10 * time.Millisecond)
	}

	other := ts.otherClient(t)
	cmd := other.Append("INBOX", int64(len(crlf(msgNoDate))), nil)
	cmd.Write([]byte(crlf(msgNoDate)))
	cmd.Close()
	if _, err := cmd.Wait(); err != nil {
		t.Fatal(err)
	}
	waitChange("append")

	if _, err := other.Select("INBOX", nil).Wait(); err != nil {
		t.Fatal(err)
	}
	if err := other.Store(imap.UIDSetNum(1), &imap.StoreFlags{Op: imap.StoreFlagsAdd, Flags: []imap.Flag{imap.FlagDeleted}}, nil).Close(); err != nil {
		t.Fatal(err)
	}
	if err := other.Expunge().Close(); err != nil {
		t.Fatal(err)
	}
	waitChange("expunge")

	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("Idle() = %v after cancel, want nil", err)
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Idle did not return after cancel")
	}
}
