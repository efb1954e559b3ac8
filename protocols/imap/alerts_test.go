package imap

import (
	"github.com/posta-mail/posta/protocols"

	"context"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestScannerKeepsAlerts: the text of untagged OK [ALERT] and NO lines is
// kept, raw and bounded, however the bytes are cut into reads; other
// lines, tagged answers and literals are not.
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
		w := &wire{addr: "server", maxUntagged: 50}
		var s scanner
		for p := []byte(in); len(p) > 0; {
			n := min(step, len(p))
			if err := s.feed(w, p[:n]); err != nil {
				t.Fatalf("reads of %d: %v", step, err)
			}
			p = p[n:]
		}
		if got := w.takeAlerts(); !slices.Equal(got, want) {
			t.Errorf("reads of %d: alerts %q\nwant %q", step, got, want)
		}
		if got := w.takeAlerts(); got != nil {
			t.Errorf("reads of %d: taken twice: %q", step, got)
		}
	}
}

// TestScannerKeepsAtMostMaxAlerts: a server that keeps warning fills
// maxAlerts and no more until they are taken.
func TestScannerKeepsAtMostMaxAlerts(t *testing.T) {
	w := &wire{addr: "server", maxUntagged: 1000}
	var s scanner
	for range 3 * maxAlerts {
		if err := s.feed(w, []byte("* NO again\r\n")); err != nil {
			t.Fatal(err)
		}
	}
	if got := len(w.takeAlerts()); got != maxAlerts {
		t.Errorf("kept %d alerts, want %d", got, maxAlerts)
	}
	if err := s.feed(w, []byte("* NO later\r\n")); err != nil {
		t.Fatal(err)
	}
	if got := w.takeAlerts(); !slices.Equal(got, []string{"later"}) {
		t.Errorf("after taking them: %q", got)
	}
}

// TestSyncHandsUpServerAlerts: what a server says to the user in the
// greeting and during a sync reaches Alerts, or Options.OnAlert when set
// (and then not Alerts).
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
	want := []string{"This server moves to imap.example.org on Monday", "[OVERQUOTA] Mailbox is 95% full"}
	for _, callback := range []bool{false, true} {
		var (
			mu     sync.Mutex
			handed []string
		)
		opts := Options{Endpoint: ep}
		if callback {
			opts.OnAlert = func(text string) {
				mu.Lock()
				defer mu.Unlock()
				handed = append(handed, text)
			}
		}
		f := New(opts)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_, err := f.Sync(ctx, protocols.SyncRequest{Folder: "INBOX"})
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		kept := f.Alerts()
		f.Close()
		mu.Lock()
		got := handed
		mu.Unlock()
		if !callback {
			got = kept
		}
		if !slices.Equal(got, want) || (callback && kept != nil) {
			t.Errorf("OnAlert set %v: alerts %q (Alerts() %q), want %q", callback, got, kept, want)
		}
		if !callback && f.Alerts() != nil {
			t.Errorf("Alerts() twice returned alerts the second time")
		}
	}
}
