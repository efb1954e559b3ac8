package ui

import (
	"github.com/charmbracelet/bubbles/key"
	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/keymap"
)

// KeyMap is the TUI's bindings, built from the keymap package's table
// with the user's [keys] overrides. The help screen is generated from it,
// so it cannot drift from what the keys do.
type KeyMap struct {
	m        keymap.Map
	bindings map[keymap.Context]map[string]key.Binding
}

// NewKeyMap builds the bindings of m.
func NewKeyMap(m keymap.Map) KeyMap {
	k := KeyMap{m: m, bindings: map[keymap.Context]map[string]key.Binding{}}
	for ctx, actions := range m {
		k.bindings[ctx] = map[string]key.Binding{}
		for _, a := range actions {
			k.bindings[ctx][a.Name] = key.NewBinding(key.WithKeys(a.Keys...), key.WithHelp(displayKey(a.Keys[0]), a.Help))
		}
	}
	return k
}

// DefaultKeyMap returns the default bindings.
func DefaultKeyMap() KeyMap { return NewKeyMap(keymap.Defaults()) }

// is reports whether msg is bound to the action of a context.
func (k KeyMap) is(msg tea.KeyMsg, ctx keymap.Context, action string) bool {
	return key.Matches(msg, k.bindings[ctx][action])
}

// binding returns one binding, for help lines.
func (k KeyMap) binding(ctx keymap.Context, action string) key.Binding {
	return k.bindings[ctx][action]
}

// section lists a context's bindings in help order.
func (k KeyMap) section(ctx keymap.Context) []key.Binding {
	out := make([]key.Binding, 0, len(k.m[ctx]))
	for _, a := range k.m[ctx] {
		out = append(out, k.bindings[ctx][a.Name])
	}
	return out
}

// displayKey names a key for people: the space bar as "space".
func displayKey(s string) string {
	if s == " " {
		return "space"
	}
	return s
}
