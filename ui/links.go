package ui

import (
	"context"
	"fmt"
	"net/url"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/sanitize"
)

// Opening a link of the shown message (l), as urlscan does for mutt and
// :open-link for aerc. The links are numbered below the body: the
// footnotes of HTML parts, then the web addresses of the text. Only
// http and https links are opened, by the platform's opener (the one
// attachments use, without a shell): a stranger's file:, javascript: or
// custom-scheme link could run something.

// maxTextLinks bounds the addresses taken from a message's text.
const maxTextLinks = 200

// textURL finds web addresses in text; closing punctuation after one is
// not part of it (trimURL).
var textURL = regexp.MustCompile(`https?://[^\s<>"'` + "`" + `]+`)

// textLinks returns the web addresses of text that are not in seen, in
// order, each once, at most maxTextLinks.
func textLinks(text string, seen []string) []string {
	known := map[string]bool{}
	for _, l := range seen {
		known[l] = true
	}
	var out []string
	for _, u := range textURL.FindAllString(text, -1) {
		u = trimURL(u)
		if known[u] || len(u) <= len("https://") {
			continue
		}
		known[u] = true
		out = append(out, u)
		if len(out) == maxTextLinks {
			break
		}
	}
	return out
}

// trimURL drops the punctuation that ends a sentence after an address,
// and a closing bracket that the address did not open.
func trimURL(u string) string {
	for u != "" {
		last := u[len(u)-1]
		switch {
		case strings.IndexByte(".,;:!?'\"", last) >= 0:
			u = u[:len(u)-1]
		case last == ')' && strings.Count(u, "(") < strings.Count(u, ")"),
			last == ']' && strings.Count(u, "[") < strings.Count(u, "]"),
			last == '}' && strings.Count(u, "{") < strings.Count(u, "}"):
			u = u[:len(u)-1]
		default:
			return u
		}
	}
	return u
}

// openableURL returns link as the opener gets it, or why it is not
// opened: only absolute http and https addresses with a host are.
func openableURL(link string) (string, error) {
	u, err := url.Parse(link)
	if err != nil {
		return "", fmt.Errorf("not a web address: %s", sanitize.Line(link))
	}
	if s := strings.ToLower(u.Scheme); s != "http" && s != "https" {
		return "", fmt.Errorf("only http and https links are opened, not %q", sanitize.Line(u.Scheme))
	}
	if u.Host == "" || u.User != nil {
		return "", fmt.Errorf("not opened: %s", sanitize.Line(link))
	}
	return u.String(), nil
}

// linkOpenedMsg reports a link handed to the opener.
type linkOpenedMsg struct {
	url string
	err error
}

// openLinkCmd hands link to the opener, without a shell.
func openLinkCmd(link string, opener func(string) []string) tea.Cmd {
	return func() tea.Msg {
		argv := opener(link)
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
		if err := cmd.Run(); err != nil {
			return linkOpenedMsg{url: link, err: fmt.Errorf("open with %s: %w", argv[0], err)}
		}
		return linkOpenedMsg{url: link}
	}
}

// linkPrompt asks which link to open, offering the only one when there
// is just one.
func (m Model) linkPrompt() (tea.Model, tea.Cmd) {
	n := len(m.pager.links)
	if n == 0 {
		m.setInfo("This message has no links.")
		return m, nil
	}
	value := ""
	if n == 1 {
		value = "1"
	}
	m.prompt = newPrompt(promptOpenLink, fmt.Sprintf("Open link number (1-%d): ", n), value)
	return m, textinput.Blink
}

// submitOpenLink opens the link whose number was typed.
func (m Model) submitOpenLink(value string) (tea.Model, tea.Cmd) {
	n, err := strconv.Atoi(value)
	if err != nil || n < 1 || n > len(m.pager.links) {
		m.setError(fmt.Errorf("no link %q", sanitize.Line(value)))
		return m, nil
	}
	link, err := openableURL(m.pager.links[n-1])
	if err != nil {
		m.setError(err)
		return m, nil
	}
	m.setInfo("Opening " + sanitize.Line(link) + "…")
	return m, openLinkCmd(link, openerArgv)
}

func (m Model) handleLinkOpened(msg linkOpenedMsg) Model {
	if msg.err != nil {
		m.setError(msg.err)
	} else {
		m.setInfo("Opened " + sanitize.Line(msg.url))
	}
	return m
}
