package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
	"github.com/charmbracelet/lipgloss"

	"github.com/posta-mail/posta/keymap"
)

// helpLine is a one-line summary of some bindings: "y send · e edit".
func helpLine(bs ...key.Binding) string {
	parts := make([]string, 0, len(bs))
	for _, b := range bs {
		h := b.Help()
		parts = append(parts, h.Key+" "+h.Desc)
	}
	return strings.Join(parts, " · ")
}

// helpView is the full help screen, generated from the live key map: the
// index keys in one column, the pager and compose keys in another when
// the terminal is wide enough.
func helpView(t Theme, k KeyMap, width int) string {
	section := func(title string, bs []key.Binding) string {
		var b strings.Builder
		b.WriteString(t.Title.Render(title) + "\n")
		for _, kb := range bs {
			keys := make([]string, 0, len(kb.Keys()))
			for _, s := range kb.Keys() {
				keys = append(keys, displayKey(s))
			}
			fmt.Fprintf(&b, "  %-20s %s\n", strings.Join(keys, ", "), kb.Help().Desc)
		}
		return b.String()
	}
	left := section("Index", k.section(keymap.Index)) + "\n" + section("Sidebar", k.section(keymap.Sidebar))
	right := section("Pager", k.section(keymap.Pager)) + "\n" + section("Compose", k.section(keymap.Compose))
	body := left + "\n" + right
	if lipgloss.Width(left)+lipgloss.Width(right)+8 <= width {
		body = lipgloss.JoinHorizontal(lipgloss.Top, left, "    ", right)
	}
	return t.Help.Render(body + "\nPress ? or q to close this help.")
}
