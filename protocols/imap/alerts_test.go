package imap

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/posta-mail/posta/protocols"
)

// TestScannerKeepsAlerts: the text of untagged OK [ALERT] and NO lines is
// handed to onAlert, raw and bounded, however the bytes are cut into
// reads; other lines, tagged answers and literals are not.
func TestScannerKeepsAlerts(t *testing.T) {
	long := strings.Repeat("full ", 200)
	in := "* OK [CAPABILITY IMAP4rev1] ready\r\n" +
		"* NO [OVERQUOTA] Mailbox \"INBOX\" is 95% full\r\n" +
		"* 1 FETCH (UID 7 BODY[HEADER.FIELDS (SUBJECT)] {29}\r\nSubject: * OK [ALERT] fake\r\n)\r\n" +
		"* ok [alert] Maintenance at 22:00 UTC;\x1b[2J back at 23:00  \r\n" +
		"T1 NO [ALERT] a tagged answer is the command's error\r\n" +
		"* NO " + long + "\r\n" +
		"* OK [ALERT]\r\n" +
		"T2 OK done\r\n"
	want := []string{
		`[OVERQUOTA] Mailbox "INBOX" is 95% full`,
		"Maintenance at 22:00 UTC;\x1b[2J back at 23:00",
		strings.TrimSpace(long[:maxAlertBytes]),
		"",
	}
	for _, step := range []int{1, 3, 7, 64, len(in)} {
		var got []string
		w := &wire{addr: "server", maxUntagged: 50, onAlert: func(text string) { got = append(got, text) }}
		var s scanner
		if err := s.feedIn(w, []byte(in), step); err != nil {
			t.Fatalf("reads of %d: %v", step, err)
		}
		if !slices.Equal(got, want) {
			t.Errorf("reads of %d: alerts %q\nwant %q", step, got, want)
		}
	}
}

// TestSyncHandsUpServerAlerts: what a server says to the user in the
// greeting and during a sync reaches Options.OnAlert.
func TestSyncHandsUpServerAlerts(t *testing.T) {
	greeting := "* OK [ALERT] This server moves to imap.example.org on Monday\r\n"
	ep := hostileServer(t, greeting, func(s *hostileSession) {
		tag, ok := s.serve("EXAMINE")
		if !ok {
			return
		}
		s.send("* 0 EXISTS\r\n* NO [OVERQUOTA] Mailbox is 95%% full\r\n* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 1] ok\r\n%s OK [READ-ONLY] done\r\n", tag)
		s.serve("")
	})
	var (
		mu     sync.Mutex
		handed []string
	)
	f := New(Options{Endpoint: ep, OnAlert: func(text string) {
		mu.Lock()
		defer mu.Unlock()
		handed = append(handed, text)
	}})
	defer f.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if _, err := f.Sync(ctx, protocols.SyncRequest{Folder: "INBOX"}); err != nil {
		t.Fatal(err)
	}
	want := []string{"This server moves to imap.example.org on Monday", "[OVERQUOTA] Mailbox is 95% full"}
	mu.Lock()
	defer mu.Unlock()
	if !slices.Equal(handed, want) {
		t.Errorf("OnAlert got %q, want %q", handed, want)
	}
}
