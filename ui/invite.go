package ui

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// Invitations in the pager: the event card above the body, and the keys
// that answer (A, T, D, with a comment prompt) or export (X) it.
type (
	// invitesMsg brings the calendar parts of the message on screen.
	invitesMsg struct {
		id      int64
		invites []accounts.Invitation
		err     error
	}
	// inviteDoneMsg reports an answer sent (or queued) or an export.
	inviteDoneMsg struct {
		done string
		err  error
	}
)

// inviteState is what an invitation or unsubscribe prompt is about.
type inviteState struct {
	answer string                  // the PARTSTAT a comment prompt answers with
	id     int64                   // the message
	unsub  accounts.Unsubscription // the plan a confirmation is about
}

// invitesCmd reads the calendar parts of a message whose body has come.
func invitesCmd(a *accounts.Account, id int64, raw []byte) tea.Cmd {
	if !message.MentionsCalendar(raw) {
		return nil
	}
	return func() tea.Msg {
		invs, err := a.InvitationsIn(id, raw)
		return invitesMsg{id: id, invites: invs, err: err}
	}
}

func respondCmd(ctx context.Context, a *accounts.Account, id int64, answer, comment string) tea.Cmd {
	return func() tea.Msg {
		res, err := a.RespondInvite(ctx, id, answer, comment)
		verb := map[string]string{accounts.Accept: "Accepted", accounts.Tentative: "Tentatively accepted", accounts.Decline: "Declined"}[answer]
		done := fmt.Sprintf("%s %q: the reply went to %s", verb, res.Summary, res.To)
		var queued *accounts.QueuedError
		if errors.As(err, &queued) {
			return inviteDoneMsg{done: fmt.Sprintf("%s %q: the reply waits in the outbox (%s)", verb, res.Summary, sanitize.Line(queued.Err.Error()))}
		}
		return inviteDoneMsg{done: done, err: err}
	}
}

func exportCmd(ctx context.Context, a *accounts.Account, id int64, path string) tea.Cmd {
	return func() tea.Msg {
		err := a.ExportInvite(ctx, id, path)
		return inviteDoneMsg{done: "Exported to " + sanitize.Line(path), err: err}
	}
}

// handleInvites shows the invitations of the message on screen.
func (m Model) handleInvites(msg invitesMsg) Model {
	if m.mode != modePager || m.pager.msg.ID != msg.id {
		return m
	}
	if msg.err != nil {
		m.pager.invites = []accounts.Invitation{{Err: sanitize.Line("calendar: " + msg.err.Error())}}
	} else {
		m.pager.invites = msg.invites
	}
	m.pager.render(m.theme)
	return m
}

// inviteCard returns the event cards of the pager's message, styled, or
// "" when it has no calendar part.
func (p *pager) inviteCard(t Theme, width int) string {
	if len(p.invites) == 0 {
		return ""
	}
	var b strings.Builder
	w := max(width, 20)
	for _, inv := range p.invites {
		if inv.Invite == nil {
			b.WriteString(t.Pager.SecurityAlarm.Width(w).Render("["+inv.Err+"]") + "\n")
			continue
		}
		for i := range inv.Invite.Events {
			for j, line := range inv.Invite.Card(i, time.Local, inv.Conflicts[i]) {
				switch {
				case j == 0:
					b.WriteString(t.Pager.HeaderName.Width(w).Render(line) + "\n")
				case strings.HasPrefix(line, "Conflicts with"):
					b.WriteString(t.Pager.SecurityAlarm.Width(w).Render(line) + "\n")
				default:
					b.WriteString(t.Pager.HeaderValue.Width(w).Render(line) + "\n")
				}
			}
			if inv.Invite.CanReply(i) == nil && i == 0 {
				b.WriteString(t.Pager.Separator.Render("[A accept · T tentative · D decline · X export]") + "\n")
			} else if i == 0 {
				b.WriteString(t.Pager.Separator.Render("[X export]") + "\n")
			}
		}
	}
	b.WriteString("\n")
	return b.String()
}

// canAnswer reports whether the pager's message holds an invitation that
// takes an answer.
func (p *pager) canAnswer() bool {
	for _, inv := range p.invites {
		if inv.Invite != nil && inv.Invite.CanReply(0) == nil {
			return true
		}
	}
	return false
}

// inviteKey handles the pager's invitation keys; ok is false for other
// keys.
func (m Model) inviteKey(msg tea.KeyMsg) (tea.Model, tea.Cmd, bool) {
	is := func(action string) bool { return m.keys.is(msg, keymap.Pager, action) }
	var answer, verb string
	switch {
	case is("invite_accept"):
		answer, verb = accounts.Accept, "Accept"
	case is("invite_tentative"):
		answer, verb = accounts.Tentative, "Accept tentatively"
	case is("invite_decline"):
		answer, verb = accounts.Decline, "Decline"
	case is("invite_export"):
		if len(m.pager.invites) == 0 {
			m.setInfo("This message holds no invitation.")
			return m, nil, true
		}
		m.inv = inviteState{id: m.pager.msg.ID}
		name := "invitation.ics"
		if inv := m.pager.invites[0].Invite; inv != nil && inv.Events[0].Summary != "" {
			name = fileSafe(inv.Events[0].Summary) + ".ics"
		}
		m.prompt = newPrompt(promptInviteExport, "Export the invitation to: ", filepath.Join(downloadDir(m.opts.DownloadDir), name))
		return m, textinput.Blink, true
	default:
		return m, nil, false
	}
	if !m.pager.canAnswer() {
		m.setInfo("This message holds no invitation to answer.")
		return m, nil, true
	}
	m.inv = inviteState{answer: answer, id: m.pager.msg.ID}
	m.prompt = newPrompt(promptInviteComment, verb+": comment for the organizer (Enter: none, esc: cancel): ", "")
	return m, textinput.Blink, true
}

// submitInvitePrompt acts on an answered invitation or unsubscribe
// prompt.
func (m Model) submitInvitePrompt(kind promptKind, value string) (tea.Model, tea.Cmd) {
	st := m.inv
	m.inv = inviteState{}
	switch kind {
	case promptInviteComment:
		a := m.accountOf(m.pager.msg)
		m.setInfo("Sending the answer…")
		return m, respondCmd(m.ctx, a, st.id, st.answer, value)
	case promptInviteExport:
		if value == "" {
			return m, nil
		}
		return m, exportCmd(m.ctx, m.accountOf(m.pager.msg), st.id, value)
	case promptUnsubscribe:
		if v := strings.ToLower(value); v != "y" && v != "yes" {
			m.setInfo("Not unsubscribed")
			return m, nil
		}
		m.setInfo("Unsubscribing at " + st.unsub.Host + "…")
		return m, oneClickCmd(m.ctx, st.unsub, m.opts.UnsubscribeRoots)
	}
	return m, nil
}

// fileSafe makes a summary into a short file name.
func fileSafe(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_':
			b.WriteRune(r)
		case r == ' ':
			b.WriteRune('-')
		}
		if b.Len() >= 40 {
			break
		}
	}
	if b.Len() == 0 {
		return "invitation"
	}
	return b.String()
}

// handleInviteDone reports an answer or an export.
func (m Model) handleInviteDone(msg inviteDoneMsg) Model {
	if msg.err != nil {
		m.setError(msg.err)
		return m
	}
	m.setInfo(msg.done)
	m.refresh() // the invitation is now answered; a queued reply shows in the outbox
	return m
}

// The prompts of invitations and unsubscribing, numbered apart from
// prompt.go's.
const (
	promptInviteComment promptKind = 100 + iota
	promptInviteExport
	promptUnsubscribe
	promptUnsubscribeLink
)

// submitOwnPrompt submits the prompts above; ok is false for others.
func (m Model) submitOwnPrompt() (tea.Model, tea.Cmd, bool) {
	switch m.prompt.kind {
	case promptInviteComment, promptInviteExport, promptUnsubscribe:
	case promptUnsubscribeLink:
		m.prompt = prompt{}
		return m, nil, true
	default:
		return m, nil, false
	}
	kind, value := m.prompt.kind, strings.TrimSpace(m.prompt.input.Value())
	m.prompt = prompt{}
	model, cmd := m.submitInvitePrompt(kind, value)
	return model, cmd, true
}
