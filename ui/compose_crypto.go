package ui

import (
	"bytes"
	netmail "net/mail"
	"os"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// composeCrypto is the review screen's signing and encryption state.
type composeCrypto struct {
	// byDefault: encryption is on because the account asks for it
	// ("when-possible"), not because the user turned it on.
	byDefault bool
	// plan is what sending would do, from the last check (gen); nil
	// while a check runs.
	plan *accounts.CryptoPlan
	gen  int
}

// cryptoPlanMsg is the result of checking the keys for a draft.
type cryptoPlanMsg struct {
	path string
	gen  int
	plan accounts.CryptoPlan
}

// setCryptoDefaults puts the account's signing and encryption defaults
// into a new draft (the editor shows them as an X-Posta-Crypto line).
func (c *compose) setCryptoDefaults(a *accounts.Account, d message.Draft) message.Draft {
	def := a.CryptoDefaults()
	d.Sign, d.Encrypt, d.SMIME = d.Sign || def.Sign, d.Encrypt || def.Encrypt, d.SMIME || def.SMIME
	c.crypto = composeCrypto{byDefault: def.Encrypt && def.Policy == "when-possible"}
	return d
}

// cryptoRequest is what the draft asks of the account.
func cryptoRequest(a *accounts.Account, d message.Draft, byDefault bool) accounts.CryptoRequest {
	from := a.Address()
	if addr, err := netmail.ParseAddress(d.From); err == nil {
		from = addr.Address
	}
	bare := func(list []string) []string {
		var out []string
		for _, s := range list {
			if addr, err := netmail.ParseAddress(s); err == nil {
				out = append(out, addr.Address)
			}
		}
		return out
	}
	return accounts.CryptoRequest{
		From: from, Recipients: bare(append(append([]string(nil), d.To...), d.Cc...)), Hidden: bare(d.Bcc),
		Sign: d.Sign, Encrypt: d.Encrypt, SMIME: d.SMIME, EncryptByDefault: byDefault && d.Encrypt,
	}
}

// cryptoPlanCmd checks the draft's keys in the background (gpg and
// openssl run there, never on the UI goroutine).
func (m *Model) cryptoPlanCmd() tea.Cmd {
	if m.mode != modeCompose || m.compose.err != nil {
		return nil
	}
	a, err := m.set.Get(m.compose.account)
	if err != nil {
		return nil
	}
	m.compose.crypto.gen++
	m.compose.crypto.plan = nil
	req := cryptoRequest(a, m.compose.draft, m.compose.crypto.byDefault)
	path, gen := m.compose.path, m.compose.crypto.gen
	return func() tea.Msg {
		return cryptoPlanMsg{path: path, gen: gen, plan: a.PlanCrypto(req, noPinentry())}
	}
}

func (m Model) handleCryptoPlan(msg cryptoPlanMsg) Model {
	if msg.path == m.compose.path && msg.gen == m.compose.crypto.gen {
		m.compose.crypto.plan = &msg.plan
	}
	return m
}

// toggleCrypto turns signing or encryption on or off, or switches
// between OpenPGP and S/MIME, for this message; the draft file's
// X-Posta-Crypto line follows, so editing again keeps the choice.
func (m Model) toggleCrypto(what string) (Model, tea.Cmd) {
	if m.compose.err != nil {
		return m, nil
	}
	d := &m.compose.draft
	switch what {
	case "sign":
		d.Sign = !d.Sign
	case "encrypt":
		d.Encrypt = !d.Encrypt
		m.compose.crypto.byDefault = false
	case "smime":
		d.SMIME = !d.SMIME
	}
	m.compose.rewriteCryptoLine()
	cmd := m.cryptoPlanCmd()
	return m, cmd
}

// rewriteCryptoLine writes the draft's protection into the draft file's
// header, leaving the rest of the file as the user wrote it.
func (c *compose) rewriteCryptoLine() {
	data, err := os.ReadFile(c.path)
	if err != nil {
		return
	}
	text := strings.ReplaceAll(string(data), "\r\n", "\n")
	head, body, ok := strings.Cut(text, "\n\n")
	if !ok {
		head, body = strings.TrimSuffix(text, "\n"), ""
	}
	var lines []string
	skipping := false
	for _, l := range strings.Split(head, "\n") {
		if skipping && (strings.HasPrefix(l, " ") || strings.HasPrefix(l, "\t")) {
			continue
		}
		k, _, _ := strings.Cut(l, ":")
		k = strings.ToLower(strings.TrimSpace(k))
		skipping = k == strings.ToLower(message.CryptoField) || k == "sign" || k == "encrypt"
		if !skipping {
			lines = append(lines, l)
		}
	}
	words := cryptoWords(c.draft)
	lines = append(lines, message.CryptoField+": "+words)
	_ = os.WriteFile(c.path, []byte(strings.Join(lines, "\n")+"\n\n"+body), 0o600)
}

func cryptoWords(d message.Draft) string {
	var w []string
	if d.Sign {
		w = append(w, "sign")
	}
	if d.Encrypt {
		w = append(w, "encrypt")
	}
	if d.SMIME {
		w = append(w, "smime")
	}
	if len(w) == 0 {
		return "none"
	}
	return strings.Join(w, ", ")
}

// cryptoView is the review screen's line about signing and encryption,
// and, when sending cannot be done as asked, why.
func (c *compose) cryptoView(t Theme, width int) string {
	p := c.crypto.plan
	d := c.draft
	if c.err != nil {
		return "" // not sendable as it is: no keys are checked (cryptoPlanCmd)
	}
	if p == nil {
		if !d.Sign && !d.Encrypt {
			return ""
		}
		return t.Pager.HeaderName.Render("Security:") + " " + truncate("checking keys…", max(width-10, 1)) + "\n"
	}
	if !p.Sign && !p.Encrypt && !p.Fallback && !p.Suggest && p.Refuse == "" && !p.Autocrypt {
		return ""
	}
	line := t.Pager.HeaderName.Render("Security:") + " " + t.Pager.Security.Width(max(width-10, 10)).Render(sanitize.Line(p.Words())) + "\n"
	if p.Fallback {
		line = t.Pager.HeaderName.Render("Security:") + " " + t.Pager.SecurityAlarm.Width(max(width-10, 10)).Render(sanitize.Line(p.Words())) + "\n"
	}
	if p.Refuse != "" {
		line += t.Status.Error.Render(" "+truncate(sanitize.Line(p.Refuse), max(width-2, 1))+" ") + "\n"
	}
	return line
}

// cryptoBlocks reports why the message cannot be sent as it is ("" when
// it can): its keys are still being checked, or the check refused it.
func (c *compose) cryptoBlocks() string {
	p := c.crypto.plan
	switch {
	case p == nil && (c.draft.Sign || c.draft.Encrypt):
		return "still checking the keys"
	case p != nil && p.Refuse != "":
		return p.Refuse
	}
	return ""
}

// sendDraft is the draft as it will be sent: encryption dropped when the
// account's "when-possible" could not be met (the review screen said so).
func (c *compose) sendDraft() message.Draft {
	d := c.draft
	if p := c.crypto.plan; p != nil && p.Fallback {
		d.Encrypt = false
	}
	return d
}

// cryptoRows is how many lines cryptoView and the second line of keys
// take from the review's body.
func (c *compose) cryptoRows(width int) int {
	n := strings.Count(c.cryptoView(DefaultTheme(), width), "\n")
	return n + 1
}

// wrappedHelp is helpLine broken into lines of width cells.
func wrappedHelp(width int, bs ...key.Binding) string {
	var lines []string
	cur := ""
	for _, b := range bs {
		item := helpLine(b)
		switch {
		case cur == "":
			cur = item
		case ansi.StringWidth(cur+" · "+item) <= width:
			cur += " · " + item
		default:
			lines = append(lines, cur)
			cur = item
		}
	}
	if cur != "" {
		lines = append(lines, cur)
	}
	for i := range lines {
		lines[i] = truncate(lines[i], max(width, 1))
	}
	return strings.Join(lines, "\n")
}

// answeringEncrypted turns encryption on for a reply to (or a forward
// of) an encrypted message, as asked for by the user: if a recipient has
// no key the review screen says so and it is not sent in clear unless
// encryption is turned off (c).
func (c *compose) answeringEncrypted(d message.Draft, encrypted bool) message.Draft {
	if encrypted {
		d.Encrypt = true
		c.crypto.byDefault = false
	}
	return d
}

// sealDraft encrypts a draft kept in Drafts to the sender's own key
// when it is to be sent encrypted.
func sealDraft(a *accounts.Account, raw []byte, d message.Draft) ([]byte, error) {
	return a.SealDraft(raw, cryptoRequest(a, d, false).From, d.Encrypt, d.SMIME, noPinentry())
}

// replyText is the text a reply quotes: for an encrypted message, the
// decrypted text (the reply starts encrypted too, and a postponed draft
// of it is kept encrypted).
func replyText(a *accounts.Account, raw []byte, sec mail.Security) string {
	if !sec.Has(mail.Encrypted) {
		body, _ := message.BodyText(bytes.NewReader(raw))
		return body
	}
	r, err := message.Render(bytes.NewReader(raw), message.Options{Crypto: a.CryptoEngine(noPinentry())})
	if err != nil {
		return ""
	}
	return r.Body
}
