package ui

import (
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// maxNotifications bounds how many notify_command runs one sync causes.
const maxNotifications = 3

// notifyCmd announces new mail of one sync: the terminal bell, and the
// notify command for each of the newest unread inbox messages.
func (m Model) notifyCmd(rep accounts.SyncReport) tea.Cmd {
	if !m.opts.Bell && len(m.opts.NotifyCommand) == 0 {
		return nil
	}
	a, err := m.set.Get(rep.Account)
	if err != nil {
		return nil
	}
	var notes [][2]string
	if len(m.opts.NotifyCommand) > 0 {
		msgs, _ := a.List("INBOX", min(rep.Added, maxNotifications), 0)
		for _, msg := range msgs {
			if msg.Flags.Has(mail.FlagSeen) {
				continue
			}
			from := ""
			if len(msg.From) > 0 {
				from = notifySender(msg.From[0])
			}
			notes = append(notes, [2]string{from, msg.Subject})
		}
	}
	bell, argv, out := m.opts.Bell, m.opts.NotifyCommand, m.output()
	return func() tea.Msg {
		if bell {
			fmt.Fprint(out, "\a")
		}
		for _, n := range notes {
			if err := runNotify(argv, n[0], n[1]); err != nil {
				return flagDoneMsg{err: err}
			}
		}
		return nil
	}
}

// notifySender is the sender as a notification shows it: the name, made
// safe, with the address; the address alone when the name is empty once
// made safe (blank, or only characters a notifier would not show).
func notifySender(a mail.Address) string {
	addr, _ := sanitize.Address(a.Addr)
	name := strings.TrimSpace(sanitize.Line(a.Name))
	if name == "" {
		return addr
	}
	return name + " <" + addr + ">"
}

// runNotify runs the notify command with "--", the sender and the
// subject as more arguments, made safe for any terminal or notifier that
// shows them. The "--" ends the options of notifiers that take them, so
// that a subject like "--urgency=critical" is never read as one.
func runNotify(argv []string, from, subject string) error {
	args := append(append([]string(nil), argv[1:]...), "--", sanitize.Line(from), sanitize.Line(subject))
	cmd := exec.Command(argv[0], args...)
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("notify_command: %w", err)
	}
	return nil
}

func (m Model) output() io.Writer {
	if m.opts.Output != nil {
		return m.opts.Output
	}
	return os.Stdout
}
