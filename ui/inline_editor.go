package ui

import (
	"os"
	"strings"

	"os/exec"

	"github.com/charmbracelet/bubbles/textarea"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

// inlineEditMsg asks for the built-in editor on a draft file.
type inlineEditMsg struct{ path string }

// useBuiltinEditor reports whether to edit inside posta: when the editor
// setting says "builtin", or when the editor it names is not installed.
func useBuiltinEditor(argv []string) bool {
	if argv[0] == "builtin" {
		return true
	}
	_, err := exec.LookPath(argv[0])
	return err != nil
}

// inlineEditor is the built-in composer: a text area over the same text
// an external editor would get (header block, blank line, body). Tab on
// a To, Cc or Bcc line completes the address being typed.
type inlineEditor struct {
	path string
	ta   textarea.Model
}

func newInlineEditor(path string, width, height int) (inlineEditor, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return inlineEditor{}, err
	}
	ta := textarea.New()
	ta.ShowLineNumbers = false
	ta.Prompt = ""
	ta.CharLimit = 0
	ta.MaxHeight = 0
	ta.SetWidth(width)
	ta.SetHeight(max(height, 3))
	ta.SetValue(string(data))
	ta.Focus()
	return inlineEditor{path: path, ta: ta}, nil
}

// save writes the text back to the draft file, for the review step.
func (e inlineEditor) save() error {
	return os.WriteFile(e.path, []byte(e.ta.Value()), 0o600)
}

// complete replaces the address being typed on the current header line
// with the best match from the cache.
func (e *inlineEditor) complete(set *accounts.Set) {
	lines := strings.Split(e.ta.Value(), "\n")
	row := e.ta.Line()
	if row >= len(lines) {
		return
	}
	line := lines[row]
	name, _, ok := strings.Cut(line, ":")
	if !ok || !isAddressHeader(name) || inBody(lines, row) {
		return
	}
	cut := max(strings.LastIndex(line, ","), strings.Index(line, ":")) + 1
	prefix := strings.TrimSpace(line[cut:])
	if prefix == "" {
		return
	}
	found, err := set.Addresses(prefix, 1)
	if err != nil || len(found) == 0 {
		return
	}
	lines[row] = line[:cut] + " " + sanitize.Line(found[0].String())
	e.ta.SetValue(strings.Join(lines, "\n"))
	// SetValue leaves the cursor at the end: walk back to the line.
	for i := len(lines) - 1; i > row; i-- {
		e.ta.CursorUp()
	}
	e.ta.CursorEnd()
}

func isAddressHeader(name string) bool {
	switch strings.ToLower(strings.TrimSpace(name)) {
	case "to", "cc", "bcc":
		return true
	}
	return false
}

// inBody reports whether row lies after the blank line ending the
// headers.
func inBody(lines []string, row int) bool {
	for i := 0; i < row; i++ {
		if strings.TrimSpace(lines[i]) == "" {
			return true
		}
	}
	return false
}

// inlineKey handles keys in the built-in editor: ctrl+s finishes (the
// review step follows, as after an external editor), esc finishes too,
// tab completes an address.
func (m Model) inlineKey(msg tea.KeyMsg) (tea.Model, tea.Cmd) {
	switch msg.String() {
	case "ctrl+s", "esc":
		if err := m.inline.save(); err != nil {
			m.setError(err)
			return m, nil
		}
		path := m.inline.path
		return m, func() tea.Msg { return editorDoneMsg{path: path} }
	case "tab":
		m.inline.complete(m.set)
		return m, nil
	}
	var cmd tea.Cmd
	m.inline.ta, cmd = m.inline.ta.Update(msg)
	return m, cmd
}

func (m Model) inlineView() string {
	return m.theme.Title.Render("Compose · ctrl+s or esc: done · tab: complete an address") + "\n" + m.inline.ta.View()
}
