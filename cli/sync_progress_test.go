package cli

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
)

// A POP3 download reports every message: the status line is redrawn at
// most every progressRedraw on a terminal, always at the end, and a log
// gets one line a folder.
func TestProgressLineThrottles(t *testing.T) {
	clock := time.Unix(1000, 0)
	now := func() time.Time { return clock }
	var term bytes.Buffer
	live := &progressLine{w: &term, name: "home", live: true, now: now}
	for i := 1; i <= 1000; i++ {
		live.show(accounts.Progress{Folder: "INBOX", Done: i, Total: 1000, Bytes: int64(i) << 10})
		if i == 500 {
			clock = clock.Add(progressRedraw)
		}
	}
	live.end()
	got := term.String()
	if n := strings.Count(got, "\r\x1b[K"); n != 3 {
		t.Errorf("redrew %d times, want 3 (first, after %v, last):\n%q", n, progressRedraw, got)
	}
	for _, want := range []string{"home: INBOX 1/1000", "home: INBOX 501/1000", "home: INBOX 1000/1000 (1.0 MB)\n"} {
		if !strings.Contains(got, want) {
			t.Errorf("terminal output lacks %q:\n%q", want, got)
		}
	}

	var log bytes.Buffer
	logged := &progressLine{w: &log, name: "home", now: now}
	for i := 1; i <= 1000; i++ {
		logged.show(accounts.Progress{Folder: "INBOX", Done: i, Total: 1000})
	}
	logged.show(accounts.Progress{Folder: "INBOX", Done: 1000, Total: 1000})
	logged.end()
	if got, want := log.String(), "home: INBOX 1000/1000 (0.0 MB)\n"; got != want {
		t.Errorf("log got %q, want %q", got, want)
	}
}
