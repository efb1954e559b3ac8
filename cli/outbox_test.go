package cli

import (
	"encoding/json"
	"strings"
	"testing"
)

func TestOutboxListsRefusedMessageAndFlush(t *testing.T) {
	e := newEnv(t, 1)
	if out := e.mustRun("", "outbox"); !strings.Contains(out, "empty") {
		t.Errorf("outbox of a new cache = %q, want it to say empty", out)
	}
	msg := "From: alice@work.example\r\nTo: nobody@home.example\r\nSubject: to nobody\r\n\r\nhello?\r\n"
	if _, _, err := e.run(msg, "send", "--account", "work"); err == nil {
		t.Fatal("send to an unknown recipient succeeded")
	}
	var items []outboxJSON
	out := e.mustRun("", "outbox", "--json")
	if err := json.Unmarshal([]byte(out), &items); err != nil {
		t.Fatalf("outbox --json: %v\n%s", err, out)
	}
	if len(items) != 1 || items[0].State != "refused" || items[0].Attempts != 1 ||
		items[0].Subject != "to nobody" || !strings.Contains(items[0].LastError, "550") {
		t.Fatalf("outbox --json = %+v, want one refused item with the 550 error", items)
	}
	if text := e.mustRun("", "outbox"); !strings.Contains(text, "refused") || !strings.Contains(text, "to nobody") {
		t.Errorf("outbox table does not show the refused message:\n%s", text)
	}
	// A plain flush leaves refused mail alone; --all retries it and fails.
	if _, _, err := e.run("", "outbox", "flush"); err != nil {
		t.Errorf("outbox flush with only refused mail: %v", err)
	}
	if _, _, err := e.run("", "outbox", "flush", "--all"); err == nil {
		t.Error("outbox flush --all succeeded although the recipient is still unknown")
	}
	if err := json.Unmarshal([]byte(e.mustRun("", "outbox", "--json")), &items); err != nil || len(items) != 1 || items[0].Attempts != 2 {
		t.Errorf("after flush --all: %+v, %v; want 2 attempts", items, err)
	}
}

func TestCacheRebuildKeepsPOPMail(t *testing.T) {
	const n = 6
	e := newEnv(t, n)
	e.mustRun("", "sync")
	out := e.mustRun("", "cache", "rebuild")
	if !strings.Contains(out, "index rebuilt") || !strings.Contains(out, "after") {
		t.Errorf("cache rebuild output = %q", out)
	}
	count := map[string]int{}
	for _, r := range e.list() {
		count[r.Account]++
	}
	if count["home"] != n || count["work"] != 0 {
		t.Errorf("after rebuild: %v, want the %d POP3 messages of home and no IMAP rows", count, n)
	}
	e.mustRun("", "sync")
	if rows := e.list("--account", "work", "--folder", "INBOX"); len(rows) != n {
		t.Errorf("work INBOX after resync has %d messages, want %d", len(rows), n)
	}
}
