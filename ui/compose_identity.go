package ui

import (
	"fmt"
	netmail "net/mail"
	"os"
	"strings"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// Identities in the composer: a new message is From the account's own
// identity, a reply or forward from the identity the original was
// addressed to (accounts.ReplyIdentity); each gets that identity's
// signature. On the review screen f switches to the account's next
// identity: the draft file's From line and signature follow, the rest of
// the text stays as the user wrote it.

// newDraft is a new message From the account's own identity, with its
// signature.
func newDraft(a *accounts.Account) message.Draft {
	id := a.Identities()[0]
	return message.Draft{From: id.From(), Body: message.AddSignature("", id.Signature, a.SignaturePosition())}
}

// identityAddresses lists the addresses of all of a's identities, which
// a reply leaves out of its recipients.
func identityAddresses(a *accounts.Account) []string {
	var out []string
	for _, id := range a.Identities() {
		out = append(out, id.Address)
	}
	return out
}

// signedAs gives a reply's or a forward's body the signature of the
// identity it is sent as.
func signedAs(a *accounts.Account, id accounts.Identity, d message.Draft) message.Draft {
	d.From = id.From()
	d.Body = message.AddSignature(d.Body, id.Signature, a.SignaturePosition())
	return d
}

// identityIndex is the position of the draft's From among a's identities,
// -1 when it is none of them.
func identityIndex(ids []accounts.Identity, from string) int {
	addr := from
	if p, err := netmail.ParseAddress(from); err == nil {
		addr = p.Address
	}
	for i, id := range ids {
		if strings.EqualFold(id.Address, strings.TrimSpace(addr)) {
			return i
		}
	}
	return -1
}

// identityLabel says which identity the review screen shows ("2/3"),
// "" for an account with one.
func (c *compose) identityLabel(a *accounts.Account) string {
	ids := a.Identities()
	if len(ids) < 2 {
		return ""
	}
	i := identityIndex(ids, c.draft.From)
	if i < 0 {
		return fmt.Sprintf("not one of the %d identities", len(ids))
	}
	return fmt.Sprintf("identity %d/%d", i+1, len(ids))
}

// composeView draws the review screen with the identity From is.
func (m Model) composeView() string {
	c := m.compose
	if a, err := m.set.Get(c.account); err == nil {
		c.idLabel = c.identityLabel(a)
	}
	return c.view(m.theme, m.keys, m.width, m.height-1)
}

// nextIdentity switches the message under review to the account's next
// identity (after the last, the first again).
func (m Model) nextIdentity() (tea.Model, tea.Cmd) {
	if m.compose.err != nil {
		return m, nil
	}
	a, err := m.set.Get(m.compose.account)
	if err != nil {
		m.setError(err)
		return m, nil
	}
	ids := a.Identities()
	if len(ids) < 2 {
		m.setInfo(sanitize.Line(a.Name()) + " has one identity; [[account.identity]] tables add more")
		return m, nil
	}
	i := identityIndex(ids, m.compose.draft.From)
	old := ""
	if i >= 0 {
		old = ids[i].Signature
	}
	next := ids[(i+1)%len(ids)]
	if err := rewriteIdentity(m.compose.path, next.From(), old, next.Signature); err != nil {
		m.setError(fmt.Errorf("switching identity: %w", err))
		return m, nil
	}
	m.compose.load()
	m.setInfo("From " + sanitize.Line(next.From()))
	return m, m.cryptoPlanCmd() // the signing key follows the From address
}

// rewriteIdentity sets the From line of the draft file at path and swaps
// the signature old for sig in its body, leaving the rest as it is.
func rewriteIdentity(path, from, old, sig string) error {
	data, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	head, body, ok := strings.Cut(text, "\n\n")
	if !ok {
		head, body = strings.TrimSuffix(text, "\n"), ""
	}
	lines := strings.Split(head, "\n")
	found := false
	for i := 0; i < len(lines); i++ {
		if k, _, ok := strings.Cut(lines[i], ":"); ok && strings.EqualFold(strings.TrimSpace(k), "from") {
			lines[i] = "From: " + from
			found = true
			// Drop the field's continuation lines.
			for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], " ") || strings.HasPrefix(lines[i+1], "\t")) {
				lines = append(lines[:i+1], lines[i+2:]...)
			}
		}
	}
	if !found {
		lines = append([]string{"From: " + from}, lines...)
	}
	out := strings.Join(lines, "\n") + "\n\n" + message.SwapSignature(body, old, sig)
	return os.WriteFile(path, []byte(out), 0o600)
}
