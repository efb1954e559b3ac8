package ui

import "github.com/charmbracelet/bubbles/key"

// KeyMap is every binding of the TUI. The help screen is generated from
// it, so it cannot drift from what the keys do.
type KeyMap struct {
	Up, Down, Top, Bottom, PageUp, PageDown key.Binding
	Open, Back, Quit, Help                  key.Binding
	NextAccount, PrevAccount                key.Binding
	NextFolder, PrevFolder                  key.Binding
	NextMessage, PrevMessage                key.Binding
	Compose, Reply, ReplyAll, Sync          key.Binding
	ToggleRead, ToggleFlag                  key.Binding
	Send, Edit, Abort                       key.Binding
	Search, SaveAttachment, OpenAttachment  key.Binding
}

// DefaultKeyMap returns bindings that feel like mutt, aerc and vim.
func DefaultKeyMap() KeyMap {
	b := func(help string, keys ...string) key.Binding {
		return key.NewBinding(key.WithKeys(keys...), key.WithHelp(keys[0], help))
	}
	return KeyMap{
		Up:             b("up", "k", "up"),
		Down:           b("down", "j", "down"),
		Top:            b("first message", "g", "home"),
		Bottom:         b("last message", "G", "end"),
		PageUp:         b("page up", "ctrl+u", "pgup"),
		PageDown:       b("page down", "ctrl+d", "pgdown", " "),
		Open:           b("open message", "enter"),
		Back:           b("back to the index", "q", "esc"),
		Quit:           b("quit", "q", "ctrl+c"),
		Help:           b("toggle help", "?"),
		NextAccount:    b("next account (1-9: account N)", "tab"),
		PrevAccount:    b("previous account", "shift+tab"),
		NextFolder:     b("next folder", "J", "ctrl+n"),
		PrevFolder:     b("previous folder", "K", "ctrl+p"),
		NextMessage:    b("next message", "J", "n"),
		PrevMessage:    b("previous message", "K", "p"),
		Compose:        b("compose", "m"),
		Reply:          b("reply", "r"),
		ReplyAll:       b("reply to all", "R"),
		Sync:           b("sync now", "$"),
		ToggleRead:     b("toggle read", "N"),
		ToggleFlag:     b("toggle flag", "F"),
		Send:           b("send", "y"),
		Edit:           b("edit again", "e"),
		Abort:          b("discard", "q", "esc"),
		Search:         b("search all accounts (esc: back)", "/"),
		SaveAttachment: b("save an attachment", "s"),
		OpenAttachment: b("open an attachment", "o"),
	}
}

// indexHelp and pagerHelp list the bindings shown on the help screen, in
// order, per context.
func (k KeyMap) indexHelp() []key.Binding {
	return []key.Binding{k.Down, k.Up, k.Top, k.Bottom, k.PageDown, k.PageUp, k.Open,
		k.NextFolder, k.PrevFolder, k.NextAccount, k.PrevAccount, k.Compose, k.Reply, k.ReplyAll,
		k.ToggleRead, k.ToggleFlag, k.Search, k.Sync, k.Help, k.Quit}
}

func (k KeyMap) pagerHelp() []key.Binding {
	return []key.Binding{k.Down, k.Up, k.PageDown, k.PageUp, k.NextMessage, k.PrevMessage,
		k.Reply, k.ReplyAll, k.ToggleFlag, k.SaveAttachment, k.OpenAttachment, k.Back}
}

func (k KeyMap) composeHelp() []key.Binding {
	return []key.Binding{k.Send, k.Edit, k.Abort}
}
