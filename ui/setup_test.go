package ui

import (
	"context"
	"errors"
	"strings"
	"testing"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/discover"
)

// drive sends msg to the form and runs the command it returns (and the
// ones that returns), as the Bubble Tea loop would, skipping batches.
func drive(t *testing.T, m *SetupModel, msg tea.Msg) {
	t.Helper()
	for i := 0; msg != nil && i < 5; i++ {
		k, isKey := msg.(tea.KeyMsg)
		_, cmd := m.Update(msg)
		msg = nil
		// Only enter starts work; other commands are the cursor's blink.
		if cmd != nil && (!isKey || k.Type == tea.KeyEnter) {
			out := cmd()
			switch out.(type) {
			case setupFoundMsg, setupCheckedMsg, setupWrittenMsg:
				msg = out
			}
		}
	}
}

func typeText(t *testing.T, m *SetupModel, s string) {
	t.Helper()
	for _, r := range s {
		drive(t, m, tea.KeyMsg{Type: tea.KeyRunes, Runes: []rune{r}})
	}
}

func press(k tea.KeyType) tea.KeyMsg { return tea.KeyMsg{Type: k} }

func TestSetupForm(t *testing.T) {
	found := &discover.Result{
		Source:   "DNS SRV records of home.example",
		IMAP:     &discover.Server{Host: "imap.home.example", Port: 993, Security: "tls"},
		POP3:     &discover.Server{Host: "pop.home.example", Port: 995, Security: "tls"},
		SMTP:     &discover.Server{Host: "smtp.home.example", Port: 465, Security: "tls"},
		Username: "bob@home.example",
	}
	var built, written accounts.AccountConfig
	var checkSecret, writeSecret string
	checks := 0
	m := NewSetup(context.Background(), SetupOptions{
		Discover: func(_ context.Context, address string) (*discover.Result, error) {
			if address != "bob@home.example" {
				return nil, errors.New("unknown")
			}
			return found, nil
		},
		Build: func(f *discover.Result, address, name, kind, user, cmd string, pw bool) (accounts.AccountConfig, error) {
			ac := accounts.AccountConfig{Name: "home", Address: address, DisplayName: name}
			ac.Fetch.Kind, ac.Fetch.Username = kind, user
			ac.Fetch.Host = f.POP3.Host
			return ac, nil
		},
		Check: func(_ context.Context, ac accounts.AccountConfig, secret string) (error, error) {
			checks++
			built, checkSecret = ac, secret
			if checks == 1 {
				return errors.New("imap server refused the password"), nil
			}
			return nil, nil
		},
		Write: func(ac accounts.AccountConfig, _ *discover.Result, secret string) (string, error) {
			written, writeSecret = ac, secret
			return "Added account \"home\"", nil
		},
	})
	typeText(t, m, "bob@home.example")
	drive(t, m, press(tea.KeyEnter)) // to the name
	typeText(t, m, "Bob")
	drive(t, m, press(tea.KeyEnter)) // discover
	if m.step != setupReview {
		t.Fatalf("step = %d after discovery, want review; view:\n%s", m.step, m.View())
	}
	v := m.View()
	for _, want := range []string{"DNS SRV records of home.example", "imap.home.example:993 (tls)", "← → to choose IMAP or POP3", "bob@home.example"} {
		if !strings.Contains(v, want) {
			t.Errorf("review lacks %q:\n%s", want, v)
		}
	}
	drive(t, m, press(tea.KeyShiftTab)) // to the kind
	drive(t, m, press(tea.KeyRight))    // POP3
	if !strings.Contains(m.View(), "POP3: mail is downloaded and kept here") {
		t.Errorf("the kind did not switch:\n%s", m.View())
	}
	drive(t, m, press(tea.KeyEnter)) // to the login
	drive(t, m, press(tea.KeyCtrlU))
	typeText(t, m, "bob")
	drive(t, m, press(tea.KeyEnter)) // to the password
	typeText(t, m, "hunter2")
	if strings.Contains(m.View(), "hunter2") {
		t.Errorf("the password is shown:\n%s", m.View())
	}
	drive(t, m, press(tea.KeyEnter)) // check: refused
	if m.step != setupChecked || !strings.Contains(m.View(), "FAILED: imap server refused the password") {
		t.Fatalf("after a refused check:\n%s", m.View())
	}
	drive(t, m, press(tea.KeyEsc))   // back to correct it
	drive(t, m, press(tea.KeyEnter)) // check again: ok
	if !strings.Contains(m.View(), "pop3 ok") && !strings.Contains(m.View(), " ok") {
		t.Errorf("after a good check:\n%s", m.View())
	}
	drive(t, m, press(tea.KeyEnter)) // write
	if !m.Written || !strings.Contains(m.View(), `Added account "home"`) {
		t.Fatalf("not written:\n%s", m.View())
	}
	if built.Fetch.Kind != "pop3" || built.Fetch.Username != "bob" || built.DisplayName != "Bob" || checkSecret != "hunter2" {
		t.Errorf("checked %+v with %q", built, checkSecret)
	}
	if written.Fetch.Kind != "pop3" || writeSecret != "hunter2" {
		t.Errorf("wrote %+v with %q", written, writeSecret)
	}
}

func TestSetupFormUnknownAddress(t *testing.T) {
	m := NewSetup(context.Background(), SetupOptions{
		DisplayName: "Ann",
		Discover: func(context.Context, string) (*discover.Result, error) {
			return nil, errors.New("discover nowhere.example: no settings found")
		},
	})
	typeText(t, m, "ann@nowhere.example")
	drive(t, m, press(tea.KeyEnter))
	if m.step != setupAddress || !strings.Contains(m.View(), "no settings found") {
		t.Errorf("after a failed discovery:\n%s", m.View())
	}
}
