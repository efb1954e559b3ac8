package cli

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/demo"
)

// newShowcaseEnv is newEnv with the demo's invitations and lists.
func newShowcaseEnv(t *testing.T) *env {
	t.Helper()
	srv, err := demo.Start(demo.Options{Messages: 3, Showcase: true})
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	cfg, err := writeDemoConfig(dir, srv)
	if err != nil {
		t.Fatalf("writeDemoConfig: %v", err)
	}
	return &env{t: t, srv: srv, config: cfg, cache: filepath.Join(dir, "cache")}
}

func (e *env) idOf(account, subject string) string {
	e.t.Helper()
	for _, r := range e.list("--account", account) {
		if r.Subject == subject {
			return fmt.Sprint(r.ID)
		}
	}
	e.t.Fatalf("no message %q in %s", subject, account)
	return ""
}

func TestInviteCommands(t *testing.T) {
	e := newShowcaseEnv(t)
	e.mustRun("", "sync")
	weekly := e.idOf("work", "Invitation: Team sync (weekly)")
	budget := e.idOf("work", "Invitation: Budget review")
	card := e.mustRun("", "invite", "show", weekly)
	for _, want := range []string{"Invitation: Team sync", "Organizer: Bob <bob@home.example>", "Repeats: every week on Monday until ",
		"Where: Room 4, second floor", "Alice Example <alice@work.example> (no answer yet)", "Carol Wu <carol@work.example> (tentative)"} {
		if !strings.Contains(card, want) {
			t.Errorf("invite show lacks %q:\n%s", want, card)
		}
	}
	if out := e.mustRun("", "read", weekly); !strings.Contains(out, "Subject: Invitation: Team sync (weekly)\n\nInvitation: Team sync\nOrganizer: Bob <bob@home.example>\n") ||
		!strings.Contains(out, "\n\nTeam sync (weekly)\n") {
		t.Errorf("read shows no card under the header:\n%s", out)
	}
	if card := e.mustRun("", "invite", "show", budget); !strings.Contains(card, "Conflicts with: Team sync") {
		t.Errorf("invite show (budget) has no conflict:\n%s", card)
	}
	out := e.mustRun("", "invite", "decline", budget, "--comment", "Out that week.")
	if !strings.Contains(out, `declined "Budget review": reply to bob@home.example`) {
		t.Errorf("invite decline said %q", out)
	}
	e.mustRun("", "sync", "--account", "home")
	reply := e.idOf("home", "Declined: Budget review")
	if card := e.mustRun("", "invite", "show", reply); !strings.Contains(card, "Reply to an invitation: Budget review") ||
		!strings.Contains(card, "Answer: Alice Example <alice@work.example> (declined)") || !strings.Contains(card, "Comment: Out that week.") {
		t.Errorf("the organizer's view of the reply:\n%s", card)
	}
	ics := filepath.Join(t.TempDir(), "weekly.ics")
	e.mustRun("", "invite", "export", weekly, ics)
	if b, err := os.ReadFile(ics); err != nil || !strings.HasPrefix(string(b), "BEGIN:VCALENDAR") {
		t.Errorf("export wrote %q, %v", b, err)
	}
	if _, _, err := e.run("", "invite", "accept", e.idOf("work", "Cancelled: Lunch talk")); err == nil {
		t.Error("invite accept on a cancellation succeeded")
	}
}

func TestUnsubscribeCommand(t *testing.T) {
	e := newShowcaseEnv(t)
	e.mustRun("", "sync", "--account", "work")
	news := e.idOf("work", "This week in gadgets")
	out := e.mustRun("", "unsubscribe", news, "--dry-run")
	host := strings.TrimPrefix(e.srv.UnsubscribeURL, "https://")
	if !strings.Contains(out, "one-click: POST to "+host) {
		t.Errorf("unsubscribe --dry-run said %q", out)
	}
	// Not a terminal and no --yes: nothing is sent.
	if _, _, err := e.run("", "unsubscribe", news); err == nil || e.srv.UnsubscribeHits() != 0 {
		t.Errorf("unsubscribe without --yes: err %v, hits %d", err, e.srv.UnsubscribeHits())
	}
	// The demo's certificate is not among the system's roots: refused.
	if _, _, err := e.run("", "unsubscribe", news, "--yes"); err == nil || !strings.Contains(err.Error(), "certificate") || e.srv.UnsubscribeHits() != 0 {
		t.Errorf("unsubscribe --yes to an untrusted host: err %v, hits %d", err, e.srv.UnsubscribeHits())
	}
	list := e.idOf("work", "[posta-users] Tips for the pager")
	if out := e.mustRun("", "unsubscribe", list); !strings.Contains(out, "To: bob@home.example") || !strings.Contains(out, "Subject: unsubscribe posta-users") {
		t.Errorf("unsubscribe (mailto) printed %q", out)
	}
	e.mustRun("", "unsubscribe", list, "--yes")
	e.mustRun("", "sync", "--account", "home")
	e.idOf("home", "unsubscribe posta-users")
}
