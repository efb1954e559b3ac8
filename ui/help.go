package ui

import (
	"fmt"
	"strings"

	"github.com/charmbracelet/bubbles/key"
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

// helpView is the full help screen, generated from the live key map.
func helpView(t Theme, k KeyMap) string {
	var b strings.Builder
	section := func(title string, bs []key.Binding) {
		b.WriteString(t.Title.Render(title) + "\n")
		for _, kb := range bs {
			fmt.Fprintf(&b, "  %-22s %s\n", strings.Join(kb.Keys(), ", "), kb.Help().Desc)
		}
		b.WriteString("\n")
	}
	section("Index", k.indexHelp())
	section("Pager", k.pagerHelp())
	section("Compose", k.composeHelp())
	b.WriteString("Press ? or q to close this help.")
	return t.Help.Render(b.String())
}
