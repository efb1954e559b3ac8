package ui

import (
	"bytes"
	"context"
	"testing"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/demo"
)

// showcaseSet is demoSet with the demo's invitations and mailing lists
// in alice's INBOX (the work account), synced once.
func showcaseSet(t *testing.T) (*accounts.Set, *demo.Servers) {
	t.Helper()
	set, srv := demoSetOpts(t, demo.Options{Messages: 3, Showcase: true}, func(ac *accounts.AccountConfig) {
		ac.DisplayName = "Alice Example"
	})
	work, _ := set.Get("work")
	if _, err := work.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	return set, srv
}

// The index lists, newest first: Deals, [posta-users], gadgets, Soup, the
// cancelled talk, the budget review, the team sync, then generated mail.
func TestInvitationCardAndAnswer(t *testing.T) {
	set, _ := showcaseSet(t)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true}), teatest.WithInitialTermSize(160, 40))
	waitFor(t, tm, "Invitation: Team sync (weekly)")
	tm.Type("jjjjjj")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	teatest.WaitFor(t, tm.Output(), func(b []byte) bool {
		return bytes.Contains(b, []byte("Repeats: every week on Monday until")) && bytes.Contains(b, []byte("[A accept · T tentative · D decline · X export]"))
	}, teatest.WithDuration(15*time.Second), teatest.WithCheckInterval(20*time.Millisecond))
	tm.Type("q")
	tm.Type("k")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Conflicts with: Team sync")
	tm.Type("A")
	waitFor(t, tm, "Accept: comment for the organizer")
	tm.Type("I will be there")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, `Accepted "Budget review": the reply went to bob@home.example`)
	tm.Type("q")
	tm.Type("k")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Cancelled: Lunch talk: posta internals")
	tm.Type("A")
	waitFor(t, tm, "This message holds no invitation to answer.")
	tm.Type("q")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))

	home, _ := set.Get("home")
	if _, err := home.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, _ := home.List("INBOX", 5, 0)
	found := false
	for _, m := range msgs {
		found = found || m.Subject == "Accepted: Budget review"
	}
	if !found {
		t.Error("the organizer did not receive the answer")
	}
}

func TestUnsubscribeKeys(t *testing.T) {
	set, srv := showcaseSet(t)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, NoWatch: true, UnsubscribeRoots: srv.TLSConfig().RootCAs}),
		teatest.WithInitialTermSize(160, 40))
	waitFor(t, tm, "Deals of the day")
	// Deals: its one-click address redirects to another host name.
	tm.Type("U")
	waitFor(t, tm, "Unsubscribe with one request to 127.0.0.1:")
	tm.Type("y")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "redirects to localhost:")
	// Gadgets, from the pager: asked, refused, asked again, done.
	tm.Type("jj")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Ten gadgets")
	tm.Type("U")
	waitFor(t, tm, "Unsubscribe with one request to 127.0.0.1:")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Not unsubscribed")
	if n := srv.UnsubscribeHits(); n != 0 {
		t.Fatalf("hits before confirmation = %d", n)
	}
	tm.Type("U")
	waitFor(t, tm, "[y/N]")
	tm.Type("y")
	tm.Send(tea.KeyMsg{Type: tea.KeyEnter})
	waitFor(t, tm, "Unsubscribed: 127.0.0.1:")
	// Soup: a page to open, shown and not fetched.
	tm.Type("q")
	tm.Type("j")
	tm.Type("U")
	waitFor(t, tm, "Open this page to unsubscribe (esc closes): https://recipes.lists.example/leave?u=alice")
	tm.Send(tea.KeyMsg{Type: tea.KeyEsc})
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))
	if n := srv.UnsubscribeHits(); n != 1 {
		t.Errorf("hits = %d, want 1", n)
	}
}
