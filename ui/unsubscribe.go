package ui

import (
	"context"
	"crypto/x509"
	"fmt"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
	"github.com/posta-mail/posta/unsubscribe"
)

// U: leave a mailing list. Nothing is fetched before the user agreed to
// a one-click request on a host they were shown.
type (
	unsubscribePlanMsg struct {
		account string
		id      int64
		plan    accounts.Unsubscription
		err     error
	}
	unsubscribeDoneMsg struct {
		res unsubscribe.Result
		err error
	}
)

func unsubscribePlanCmd(ctx context.Context, a *accounts.Account, id int64) tea.Cmd {
	return func() tea.Msg {
		plan, err := a.Unsubscription(ctx, id)
		return unsubscribePlanMsg{account: a.Name(), id: id, plan: plan, err: err}
	}
}

func oneClickCmd(ctx context.Context, plan accounts.Unsubscription, roots *x509.CertPool) tea.Cmd {
	return func() tea.Msg {
		res, err := accounts.OneClickUnsubscribe(ctx, plan, roots)
		return unsubscribeDoneMsg{res: res, err: err}
	}
}

// unsubscribeStart reads what message sel offers.
func (m Model) unsubscribeStart(sel messageRef) (tea.Model, tea.Cmd) {
	m.setInfo("Looking for the list's unsubscribe address…")
	return m, unsubscribePlanCmd(m.ctx, m.accountOf(sel), sel.ID)
}

// handleUnsubscribePlan asks before a one-click request, opens the
// composer on a mailto: message, or shows the page to open.
func (m Model) handleUnsubscribePlan(msg unsubscribePlanMsg) (tea.Model, tea.Cmd) {
	if msg.err != nil {
		m.setError(msg.err)
		return m, nil
	}
	switch msg.plan.Method {
	case unsubscribe.OneClick:
		m.inv = inviteState{id: msg.id, unsub: msg.plan}
		m.prompt = newPrompt(promptUnsubscribe, fmt.Sprintf("Unsubscribe with one request to %s? [y/N] ", msg.plan.Host), "")
		return m, textinput.Blink
	case unsubscribe.Mailto:
		m.setInfo("Unsubscribing by mail: review the message, then send it")
		draft := *msg.plan.Draft
		return m, func() tea.Msg { return replyReadyMsg{account: msg.account, draft: draft} }
	}
	// A page to open: shown in a prompt, where it can be selected and
	// copied; nothing is fetched.
	m.prompt = newPrompt(promptUnsubscribeLink, "Open this page to unsubscribe (esc closes): ", sanitize.Line(msg.plan.URL.String()))
	return m, textinput.Blink
}

func (m Model) handleUnsubscribeDone(msg unsubscribeDoneMsg) Model {
	if msg.err != nil {
		m.setError(msg.err)
		return m
	}
	m.setInfo(fmt.Sprintf("Unsubscribed: %s answered %d", msg.res.Host, msg.res.Status))
	return m
}

// handleInviteMsgs routes the messages of invitations and unsubscribing.
func (m Model) handleInviteMsgs(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case invitesMsg:
		return m.handleInvites(msg), nil
	case inviteDoneMsg:
		return m.handleInviteDone(msg), nil
	case unsubscribePlanMsg:
		return m.handleUnsubscribePlan(msg)
	case unsubscribeDoneMsg:
		return m.handleUnsubscribeDone(msg), nil
	}
	return m, nil
}
