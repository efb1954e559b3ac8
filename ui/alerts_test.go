package ui

import (
	"errors"
	"strings"
	"testing"

	"github.com/posta-mail/posta/accounts"
)

// TestServerAlertsShowInTheStatusLine: what the server said to the user
// during a sync shows in the status line and is logged; a sync that
// failed shows its error and still logs what the server said.
func TestServerAlertsShowInTheStatusLine(t *testing.T) {
	model, logged := loggedReader(t, 120, "")
	alerts := []string{"[OVERQUOTA] Mailbox is 95% full", "This server moves on Monday"}
	model, _ = model.Update(syncDoneMsg{report: accounts.SyncReport{Account: "work", Added: 2, Alerts: alerts}})
	want := "work: the server says: [OVERQUOTA] Mailbox is 95% full · This server moves on Monday"
	if status := statusLine(model); !strings.Contains(status, want) {
		t.Errorf("status line %q, want %q", status, want)
	}
	if got := model.(Model).isError; !got {
		t.Error("an alert is not marked as the status line marks errors")
	}

	logged.Reset()
	model.(Model).syncing["work"] = true
	model, _ = model.Update(syncDoneMsg{report: accounts.SyncReport{Account: "work", Alerts: alerts[:1]}, err: errors.New("INBOX: over quota")})
	if status := statusLine(model); !strings.Contains(status, "over quota") || strings.Contains(status, "the server says") {
		t.Errorf("status line %q, want the sync's error", status)
	}
	if got := logged.String(); !strings.Contains(got, "server alert") || !strings.Contains(got, "Mailbox is 95% full") || !strings.Contains(got, "account=work") {
		t.Errorf("log = %q, want the alert and its account", got)
	}
}
