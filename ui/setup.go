package ui

import (
	"context"
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/discover"
	"github.com/posta-mail/posta/sanitize"
)

// SetupOptions are the work the setup form hands back to its caller
// (posta setup): discovery, building the account, checking it and
// writing it. Each func runs in a tea.Cmd, off the UI goroutine.
type SetupOptions struct {
	Address, DisplayName string // prefilled values
	Theme                *Theme // nil means DefaultTheme()
	Discover             func(ctx context.Context, address string) (*discover.Result, error)
	// Build makes the account from what was found and typed;
	// passwordCommand is "" when none was typed, and password says
	// whether a password was (without one or the other, an OAuth2
	// provider's sign-in is used).
	Build func(found *discover.Result, address, displayName, kind, username, passwordCommand string, password bool) (accounts.AccountConfig, error)
	// Check logs in to the account's servers; secret is the typed
	// password ("" for none).
	Check func(ctx context.Context, ac accounts.AccountConfig, secret string) (fetch, send error)
	// Write appends the account to the configuration and stores secret;
	// it returns what to tell the user.
	Write func(ac accounts.AccountConfig, found *discover.Result, secret string) (string, error)
}

// Setup form messages.
type (
	setupFoundMsg struct {
		res *discover.Result
		err error
	}
	setupCheckedMsg struct{ fetch, send error }
	setupWrittenMsg struct {
		text string
		err  error
	}
)

type setupStep int

const (
	setupAddress setupStep = iota
	setupLooking
	setupReview
	setupChecking
	setupChecked
	setupDone
)

// Review fields, in focus order.
const (
	fieldKind = iota
	fieldLogin
	fieldPassword
	fieldCommand
	reviewFields
)

// SetupModel is the full-screen form of posta setup: the address, then
// what discovery found with the choice of IMAP or POP3, the login and
// the password or a password command, then the check of the servers and
// the account written.
type SetupModel struct {
	opts  SetupOptions
	theme Theme
	ctx   context.Context
	step  setupStep
	focus int

	address, name textinput.Model
	login, pass   textinput.Model
	command       textinput.Model
	kind          string

	found       *discover.Result
	account     accounts.AccountConfig
	err         error
	fetch, send error
	result      string
	// Written reports whether the account was written.
	Written bool
}

// NewSetup returns the form. ctx bounds discovery and the checks.
func NewSetup(ctx context.Context, opts SetupOptions) *SetupModel {
	m := &SetupModel{opts: opts, ctx: ctx, theme: DefaultTheme()}
	if opts.Theme != nil {
		m.theme = *opts.Theme
	}
	input := func(prompt, value string) textinput.Model {
		in := textinput.New()
		in.Prompt = prompt
		in.SetValue(value)
		in.CharLimit = 256
		return in
	}
	m.address = input("Mail address:  ", opts.Address)
	m.name = input("Your name:     ", opts.DisplayName)
	m.login = input("Login name:    ", "")
	m.pass = input("Password:      ", "")
	m.pass.EchoMode = textinput.EchoPassword
	m.command = input("or a command:  ", "")
	m.address.Focus()
	return m
}

// Init implements tea.Model.
func (m *SetupModel) Init() tea.Cmd { return textinput.Blink }

// Update implements tea.Model.
func (m *SetupModel) Update(msg tea.Msg) (tea.Model, tea.Cmd) {
	switch msg := msg.(type) {
	case setupFoundMsg:
		if msg.err != nil {
			m.step, m.err = setupAddress, msg.err
			m.address.Focus()
			return m, nil
		}
		m.found, m.err = msg.res, nil
		m.kind = "imap"
		if msg.res.IMAP == nil {
			m.kind = "pop3"
		}
		m.login.SetValue(msg.res.Username)
		m.address.Blur()
		m.name.Blur()
		m.step, m.focus = setupReview, fieldLogin
		m.focusReview()
		return m, nil
	case setupCheckedMsg:
		m.step, m.fetch, m.send = setupChecked, msg.fetch, msg.send
		return m, nil
	case setupWrittenMsg:
		if msg.err != nil {
			m.step, m.err = setupChecked, msg.err
			return m, nil
		}
		m.step, m.result, m.Written = setupDone, msg.text, true
		return m, nil
	case tea.KeyMsg:
		if msg.String() == "ctrl+c" {
			return m, tea.Quit
		}
		return m.key(msg)
	}
	return m, m.updateInputs(msg)
}

func (m *SetupModel) key(k tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch m.step {
	case setupAddress:
		switch k.String() {
		case "esc":
			return m, tea.Quit
		case "tab", "shift+tab", "up", "down":
			m.toggleAddressFocus()
			return m, nil
		case "enter":
			if m.address.Focused() && m.opts.DisplayName == "" && m.name.Value() == "" {
				m.toggleAddressFocus()
				return m, nil
			}
			addr := strings.TrimSpace(m.address.Value())
			if !strings.Contains(addr, "@") {
				m.err = fmt.Errorf("%q is not a mail address", addr)
				return m, nil
			}
			m.step, m.err = setupLooking, nil
			return m, discoverCmd(m.ctx, m.opts.Discover, addr)
		}
	case setupReview:
		switch k.String() {
		case "esc":
			m.step = setupAddress
			m.focus = fieldKind
			m.focusReview()
			m.address.Focus()
			return m, nil
		case "tab", "down":
			m.focus = (m.focus + 1) % reviewFields
			m.focusReview()
			return m, nil
		case "shift+tab", "up":
			m.focus = (m.focus + reviewFields - 1) % reviewFields
			m.focusReview()
			return m, nil
		case "left", "right", " ":
			if m.focus == fieldKind && m.found.IMAP != nil && m.found.POP3 != nil {
				if m.kind == "imap" {
					m.kind = "pop3"
				} else {
					m.kind = "imap"
				}
				return m, nil
			}
		case "enter":
			if m.focus < fieldPassword {
				m.focus++
				m.focusReview()
				return m, nil
			}
			ac, err := m.opts.Build(m.found, strings.TrimSpace(m.address.Value()), strings.TrimSpace(m.name.Value()),
				m.kind, strings.TrimSpace(m.login.Value()), strings.TrimSpace(m.command.Value()), m.pass.Value() != "")
			if err != nil {
				m.err = err
				return m, nil
			}
			if m.pass.Value() == "" && m.command.Value() == "" && ac.Fetch.OAuth2Provider == "" {
				m.err = fmt.Errorf("type the password, or a command that prints it")
				return m, nil
			}
			m.account, m.err, m.step = ac, nil, setupChecking
			if ac.Fetch.OAuth2Provider != "" {
				// Nothing to check before the OAuth2 sign-in.
				return m, func() tea.Msg { return setupCheckedMsg{} }
			}
			return m, checkCmd(m.ctx, m.opts.Check, ac, m.secret())
		}
	case setupChecked:
		switch k.String() {
		case "esc":
			m.step = setupReview
			m.focusReview()
			return m, nil
		case "enter":
			return m, writeCmd(m.opts.Write, m.account, m.found, m.secret())
		}
		return m, nil
	case setupDone:
		if k.String() == "enter" || k.String() == "q" || k.String() == "esc" {
			return m, tea.Quit
		}
		return m, nil
	case setupLooking, setupChecking:
		if k.String() == "esc" {
			return m, tea.Quit
		}
		return m, nil
	}
	return m, m.updateInputs(k)
}

// secret is the typed password, unless a command was given.
func (m *SetupModel) secret() string {
	if strings.TrimSpace(m.command.Value()) != "" {
		return ""
	}
	return m.pass.Value()
}

func (m *SetupModel) toggleAddressFocus() {
	if m.address.Focused() {
		m.address.Blur()
		m.name.Focus()
	} else {
		m.name.Blur()
		m.address.Focus()
	}
}

func (m *SetupModel) focusReview() {
	for i, in := range []*textinput.Model{nil, &m.login, &m.pass, &m.command} {
		if in == nil {
			continue
		}
		if i == m.focus {
			in.Focus()
		} else {
			in.Blur()
		}
	}
}

func (m *SetupModel) updateInputs(msg tea.Msg) tea.Cmd {
	var cmds []tea.Cmd
	for _, in := range []*textinput.Model{&m.address, &m.name, &m.login, &m.pass, &m.command} {
		if in.Focused() {
			var c tea.Cmd
			*in, c = in.Update(msg)
			cmds = append(cmds, c)
		}
	}
	return tea.Batch(cmds...)
}

func discoverCmd(ctx context.Context, f func(context.Context, string) (*discover.Result, error), address string) tea.Cmd {
	return func() tea.Msg {
		res, err := f(ctx, address)
		return setupFoundMsg{res, err}
	}
}

func checkCmd(ctx context.Context, f func(context.Context, accounts.AccountConfig, string) (error, error), ac accounts.AccountConfig, secret string) tea.Cmd {
	return func() tea.Msg {
		fetch, send := f(ctx, ac, secret)
		return setupCheckedMsg{fetch, send}
	}
}

func writeCmd(f func(accounts.AccountConfig, *discover.Result, string) (string, error), ac accounts.AccountConfig, found *discover.Result, secret string) tea.Cmd {
	return func() tea.Msg {
		text, err := f(ac, found, secret)
		return setupWrittenMsg{text, err}
	}
}

// View implements tea.Model.
func (m *SetupModel) View() string {
	t := m.theme
	var b strings.Builder
	line := func(s string) { b.WriteString(s + "\n") }
	hint := func(s string) { line(t.Sidebar.Count.Render(s)) }
	line(t.Title.Render("posta setup: add a mail account"))
	line("")
	switch m.step {
	case setupAddress, setupLooking:
		line(m.address.View())
		line(m.name.View())
		line("")
		if m.step == setupLooking {
			line("Looking for the servers of " + sanitize.Line(m.address.Value()) + "…")
		} else {
			hint("enter: find the servers · tab: next field · esc: quit")
		}
	default:
		f := m.found
		line(t.Pager.HeaderName.Render("Found in ") + sanitize.Line(f.Source))
		if f.Provider != "" {
			line(t.Pager.HeaderName.Render("Provider ") + sanitize.Line(f.Provider))
		}
		line(fmt.Sprintf("  IMAP  %s\n  POP3  %s\n  SMTP  %s", sanitize.Line(f.IMAP.String()), sanitize.Line(f.POP3.String()), sanitize.Line(f.SMTP.String())))
		for _, n := range f.Notes {
			hint("  " + sanitize.Line(n))
		}
		line("")
		kind := "IMAP: mail stays on the server, in sync with your other devices"
		if m.kind == "pop3" {
			kind = "POP3: mail is downloaded and kept here"
		}
		cursor := "  "
		if m.step == setupReview && m.focus == fieldKind {
			cursor = "> "
		}
		line(cursor + "Kind:          " + kind)
		if f.IMAP != nil && f.POP3 != nil {
			hint("                 (← → to choose IMAP or POP3)")
		}
		line(m.login.View())
		line(m.pass.View())
		line(m.command.View())
		line("")
		switch m.step {
		case setupReview:
			hint("enter: check the servers · tab: next field · esc: back")
		case setupChecking:
			line("Logging in to " + sanitize.Line(m.account.Fetch.Host) + " and " + sanitize.Line(m.account.SMTP.Host) + "…")
		case setupChecked:
			if m.account.Fetch.OAuth2Provider != "" {
				line("This account signs in with OAuth2: after it is written, run posta oauth " + sanitize.Line(m.account.Name))
			}
			ok := func(kind string, err error) {
				if err != nil {
					line(t.Sidebar.Error.Render(kind+" FAILED: ") + sanitize.Line(err.Error()))
				} else if m.account.Fetch.OAuth2Provider == "" {
					line(kind + " ok")
				}
			}
			ok(m.account.Fetch.Kind, m.fetch)
			ok("smtp", m.send)
			line("")
			if m.fetch != nil || m.send != nil {
				hint("enter: write the account anyway · esc: back to correct it")
			} else {
				hint("enter: write the account · esc: back")
			}
		case setupDone:
			line(sanitize.Text(m.result))
			hint("enter: quit")
		}
	}
	if m.err != nil {
		line("")
		line(t.Sidebar.Error.Render("Error: ") + sanitize.Line(m.err.Error()))
	}
	return b.String()
}
