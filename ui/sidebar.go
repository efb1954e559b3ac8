package ui

import (
	"fmt"
	"sort"
	"strings"

	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

const sidebarWidth = 24

// sidebarView lists the accounts, and the folders of the active one with
// their unread counts, and under them its scheduled mail with its time.
func sidebarView(t Theme, accts []*accounts.Account, errs, outbox map[string]string, active int, folders []mail.Folder, folder int, height int, scheduled []scheduledLine) string {
	w := sidebarWidth - 1
	var lines []string
	for i, a := range accts {
		label := fmt.Sprintf("%d %s (%s)", i+1, sanitize.Line(a.Name()), a.Kind())
		style := t.Sidebar.Account
		_, failed := errs[a.Name()]
		if failed {
			label += " !"
			style = t.Sidebar.Error
		}
		if i == active && !failed {
			style = t.Sidebar.ActiveAccount
			label = "▸" + label
		} else {
			label = " " + label
		}
		lines = append(lines, style.Render(pad(ansi.Truncate(label, w, "…"), w)))
		if i != active {
			continue
		}
		for j, f := range folders {
			lines = append(lines, folderLine(t, f, j == folder, w))
		}
		var mine []scheduledLine
		unscheduled := false
		for _, s := range scheduled {
			switch {
			case s.account != a.Name():
			case s.when == "":
				unscheduled = true
			default:
				mine = append(mine, s)
			}
		}
		if lastErr, waiting := outbox[a.Name()]; waiting && (lastErr != "" || unscheduled) {
			// Mail that is not sent yet, and why, stays in view.
			label := "  Outbox (waiting)"
			if lastErr != "" {
				label = "  Outbox: " + lastErr
			}
			lines = append(lines, t.Sidebar.Error.Render(pad(ansi.Truncate(label, w, "…"), w)))
		}
		if len(mine) > 0 {
			lines = append(lines, t.Sidebar.Folder.Render(pad(fmt.Sprintf("  Scheduled (%d) · L", len(mine)), w)))
			for i, s := range mine {
				if i == maxScheduledLines && len(mine) > i+1 {
					lines = append(lines, t.Sidebar.Folder.Render(pad(fmt.Sprintf("    … %d more", len(mine)-i), w)))
					break
				}
				lines = append(lines, t.Sidebar.Folder.Render(pad(ansi.Truncate("   "+s.when+" "+s.subject, w, "…"), w)))
			}
		}
	}
	for len(lines) < height {
		lines = append(lines, strings.Repeat(" ", w))
	}
	if len(lines) > height {
		lines = lines[:height]
	}
	return t.Sidebar.Box.Render(strings.Join(lines, "\n"))
}

// scheduledLine is one message of the outbox with a send time, as the
// sidebar lists it under its account; when is "" for a message that is
// not scheduled (waiting, retrying, refused: only counted).
type scheduledLine struct {
	account, when, subject string
}

// maxScheduledLines is how many scheduled messages the sidebar lists
// before it counts the rest.
const maxScheduledLines = 5

// scheduledLines lists the outbox's messages that wait for their time
// (or are held), soonest first, with the time made short, then the
// others without a time.
func (m Model) scheduledLines() []scheduledLine {
	now := m.opts.Now()
	var out []scheduledLine
	items := append([]accounts.OutboxItem(nil), m.later.items...)
	sort.SliceStable(items, func(i, j int) bool { return items[i].SendAt.Before(items[j].SendAt) })
	for _, it := range items {
		if !it.Held && !it.SendAt.After(now) {
			out = append(out, scheduledLine{account: it.Account})
			continue
		}
		when := "held"
		if !it.Held {
			when = outboxWhen(it.SendAt, now)
		}
		subject := sanitize.Line(m.later.subjects[it.ID])
		if subject == "" {
			subject = "(no subject)"
		}
		out = append(out, scheduledLine{account: it.Account, when: when, subject: subject})
	}
	return out
}

func folderLine(t Theme, f mail.Folder, selected bool, w int) string {
	name := sanitize.Line(f.Name)
	depth := 0
	if f.Delim != "" && f.Name != "INBOX" {
		parts := strings.Split(name, f.Delim)
		depth = len(parts) - 1
		name = parts[len(parts)-1]
	}
	count := ""
	if f.Unread > 0 {
		count = fmt.Sprintf("%d", f.Unread)
	}
	indent := strings.Repeat(" ", 2+2*depth)
	if selected {
		indent = " ▸" + indent[2:] // visible without styles too
	}
	left := indent + name
	left = ansi.Truncate(left, w-len(count)-1, "…")
	line := left + strings.Repeat(" ", max(w-ansi.StringWidth(left)-len(count), 1)) + count
	if selected {
		return t.Sidebar.ActiveFolder.Render(line)
	}
	if f.Unread > 0 {
		return t.Sidebar.Account.Render(line)
	}
	return t.Sidebar.Folder.Render(line)
}

// pad fills s with spaces to width w.
func pad(s string, w int) string {
	if d := w - ansi.StringWidth(s); d > 0 {
		return s + strings.Repeat(" ", d)
	}
	return s
}
