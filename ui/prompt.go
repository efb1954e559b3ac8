package ui

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"

	"github.com/charmbracelet/bubbles/textinput"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// promptKind says what a one-line prompt in the status line asks for.
type promptKind int

const (
	promptNone promptKind = iota
	promptSearch
	promptSaveAttachment
	promptOpenAttachment
	promptOpenRisky // "open this program anyway?"
	promptMove
	promptMarkPattern // T: mark what a search finds (marks.go)
	promptMoveMarked  // M with marked messages
	promptSendAt      // l in the review screen: when to send (schedule.go)
	promptFind        // / in the pager: text to find in the message (pagersearch.go)
	promptPipe        // | in the pager: the command to pipe the message to (pipe.go)
	promptOpenLink    // l in the pager: the number of the link to open (links.go)
)

// prompt is the one-line input shown in place of the status line.
type prompt struct {
	kind  promptKind
	input textinput.Model
	// attachment is the attachment a promptOpenRisky is about.
	attachment int
}

// folderPrompt is a prompt for a folder of account a, as mutt's and
// aerc's: Tab completes the folder name typed so far (in any case), ↑
// and ↓ choose among the names that fit. Names that would not show as
// they are (control characters: a hostile server's) are not offered.
func folderPrompt(kind promptKind, label string, a *accounts.Account) prompt {
	p := newPrompt(kind, label, "")
	fs, err := a.Folders()
	if err != nil {
		return p
	}
	var names []string
	for _, f := range fs {
		if f.Name != "" && sanitize.Line(f.Name) == f.Name {
			names = append(names, f.Name)
		}
	}
	p.input.ShowSuggestions = true
	p.input.SetSuggestions(names)
	return p
}

// folderNamed returns the folder that name means: itself if the account
// has it, else the one folder whose name differs only in case (a
// completion keeps the case that was typed: "arch" Tab gives "archive").
func (p prompt) folderNamed(name string) string {
	folders := p.input.AvailableSuggestions()
	if slices.Contains(folders, name) {
		return name
	}
	match := ""
	for _, f := range folders {
		if strings.EqualFold(f, name) {
			if match != "" {
				return name // two folders differ only in case: as typed
			}
			match = f
		}
	}
	if match == "" {
		return name
	}
	return match
}

func newPrompt(kind promptKind, label, value string) prompt {
	in := textinput.New()
	in.Prompt = label
	in.SetValue(value)
	in.CursorEnd()
	in.Focus()
	return prompt{kind: kind, input: in}
}

// attachmentDoneMsg reports a saved or opened attachment.
type attachmentDoneMsg struct {
	path   string
	opened bool
	err    error
}

// saveAttachmentCmd writes attachment index of raw under dir, never
// overwriting and never outside dir (message.SaveAttachment sees to it).
func saveAttachmentCmd(raw []byte, index int, dir string, crypto message.Crypto) tea.Cmd {
	return func() tea.Msg {
		path, err := message.SaveAttachmentWith(bytes.NewReader(raw), index, dir, crypto)
		return attachmentDoneMsg{path: path, err: err}
	}
}

// openerArgv is the platform's "open this file with its application".
func openerArgv(path string) []string {
	switch runtime.GOOS {
	case "darwin":
		return []string{"open", path}
	case "windows":
		return []string{"rundll32", "url.dll,FileProtocolHandler", path}
	default:
		return []string{"xdg-open", path}
	}
}

// downloadDir is where attachments are saved: the option, else
// ~/Downloads when it exists, else the home folder.
func downloadDir(opt string) string {
	if opt != "" {
		return opt
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "."
	}
	if fi, err := os.Stat(filepath.Join(home, "Downloads")); err == nil && fi.IsDir() {
		return filepath.Join(home, "Downloads")
	}
	return home
}

// submitPrompt acts on what the user typed.
func (m Model) submitPrompt() (tea.Model, tea.Cmd) {
	p := m.prompt
	m.prompt = prompt{}
	value := strings.TrimSpace(p.input.Value())
	switch p.kind {
	case promptSearch:
		if value == "" {
			return m, nil
		}
		ids, err := m.set.SearchIDs(value, searchLimit)
		if err != nil {
			m.setError(err)
			return m, nil
		}
		m.search = &searchListing{set: m.set, query: value, ids: ids}
		m.index = index{height: m.index.height}
		m.index.load(m.listing())
		if !accounts.ServerSearchable(value) {
			m.setInfo(fmt.Sprintf("%d found · q or esc back to the folder", len(ids)))
			return m, nil
		}
		m.setInfo(fmt.Sprintf("%d found · asking the servers… · q or esc back to the folder", len(ids)))
		return m, serverSearchCmd(m.ctx, m.set, value)
	case promptMove:
		if value == "" {
			return m, nil
		}
		value = p.folderNamed(value)
		sel := m.moveTarget
		a := m.accountOf(sel)
		m.mode = modeIndex
		return m, actionCmd(m.ctx, a, sel.ID, "Moved to "+sanitize.Line(value), func(c ctxT) error { return a.Move(c, sel.ID, value) })
	case promptMarkPattern:
		return m.markPattern(value)
	case promptMoveMarked:
		return m.moveMarked(p.folderNamed(value))
	case promptSendAt:
		return m.submitSendAt(value)
	case promptFind:
		return m.submitFind(p.input.Value())
	case promptPipe:
		return m.submitPipe(value)
	case promptOpenLink:
		return m.submitOpenLink(value)
	case promptSaveAttachment, promptOpenAttachment:
		n, err := strconv.Atoi(value)
		if err != nil || !m.pager.hasAttachment(n) {
			m.setError(fmt.Errorf("no attachment %q", sanitize.Line(value)))
			return m, nil
		}
		if p.kind == promptOpenAttachment {
			if a, _ := m.pager.attachment(n); riskyAttachment(a) {
				m.prompt = newPrompt(promptOpenRisky, sanitize.Line(a.Name)+" may run as a program. Open it anyway? [y/N] ", "")
				m.prompt.attachment = n
				return m, textinput.Blink
			}
			return m, openAttachmentCmd(m.pager.raw, m.pager.crypto, n, m.opened, openerArgv, openedGrace)
		}
		return m, saveAttachmentCmd(m.pager.raw, n, downloadDir(m.opts.DownloadDir), m.pager.crypto)
	case promptOpenRisky:
		if v := strings.ToLower(value); v != "y" && v != "yes" {
			m.setInfo("Not opened")
			return m, nil
		}
		return m, openAttachmentCmd(m.pager.raw, m.pager.crypto, p.attachment, m.opened, openerArgv, openedGrace)
	}
	return m, nil
}

// attachmentPrompt asks which attachment to save or open, offering the
// only one when there is just one.
func (m Model) attachmentPrompt(kind promptKind) (tea.Model, tea.Cmd) {
	if m.pager.rendered == nil || len(m.pager.rendered.Attachments) == 0 {
		m.setInfo("This message has no attachments.")
		return m, nil
	}
	value := ""
	if len(m.pager.rendered.Attachments) == 1 {
		value = strconv.Itoa(m.pager.rendered.Attachments[0].Index)
	}
	label := "Save attachment number: "
	if kind == promptOpenAttachment {
		label = "Open attachment number: "
	}
	m.prompt = newPrompt(kind, label, value)
	return m, textinput.Blink
}

func (m Model) handleAttachmentDone(msg attachmentDoneMsg) Model {
	switch {
	case msg.err != nil:
		m.setError(msg.err)
	case msg.opened:
		m.setInfo("Opened " + sanitize.Line(filepath.Base(msg.path)))
	default:
		m.setInfo("Saved to " + sanitize.Line(msg.path))
	}
	return m
}

// serverResultsMsg brings what the IMAP servers found for a search.
type serverResultsMsg struct {
	query string
	found []accounts.Message
	err   error
}

// serverSearchCmd asks the IMAP servers about a text query, for mail
// whose body the local index does not have.
func serverSearchCmd(ctx context.Context, set *accounts.Set, query string) tea.Cmd {
	return func() tea.Msg {
		found, err := set.SearchServers(ctx, query, "")
		return serverResultsMsg{query: query, found: found, err: err}
	}
}

// mergeServerResults adds the servers' finds to the search on screen.
func (m Model) mergeServerResults(msg serverResultsMsg) Model {
	if m.search == nil || m.search.query != msg.query {
		return m // the user moved on
	}
	before := len(m.search.ids)
	ids, err := m.set.MergeIDs(m.search.ids, msg.found)
	if err != nil {
		m.setError(err)
		return m
	}
	m.search.ids = ids[:min(len(ids), searchLimit)]
	m.index.load(m.listing())
	more := len(m.search.ids) - before
	switch {
	case msg.err != nil:
		m.setError(fmt.Errorf("%d found here; server search: %w", before, msg.err))
	default:
		m.setInfo(fmt.Sprintf("%d found (%d more from the servers) · q or esc back to the folder", len(m.search.ids), more))
	}
	return m
}
