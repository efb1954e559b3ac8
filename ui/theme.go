package ui

import "github.com/charmbracelet/lipgloss"

// Theme holds every style the screens use; no screen file calls lipgloss
// colours directly.
type Theme struct {
	Sidebar struct {
		Box, Account, ActiveAccount, Error, Folder, ActiveFolder, Count lipgloss.Style
	}
	Index struct {
		Row, Cursor, Unread, Flagged, Empty lipgloss.Style
	}
	Pager struct {
		HeaderName, HeaderValue, Attachment, Separator lipgloss.Style
		Security, SecurityAlarm                        lipgloss.Style // signed/encrypted status lines
	}
	Status struct {
		Bar, Error, Info lipgloss.Style
	}
	Title lipgloss.Style
	Help  lipgloss.Style
}

// ThemeOptions overrides the default colours: "#rrggbb" or an ANSI
// number; "" keeps the default.
type ThemeOptions struct {
	Accent, Dim, Warning string
}

// DefaultTheme uses adaptive colours that read on light and dark
// terminals and degrade to bold/reverse in monochrome ones.
func DefaultTheme() Theme { return NewTheme(ThemeOptions{}) }

// NewTheme is the default theme with the colours of o.
func NewTheme(o ThemeOptions) Theme {
	var t Theme
	pick := func(user string, def lipgloss.AdaptiveColor) lipgloss.TerminalColor {
		if user != "" {
			return lipgloss.Color(user)
		}
		return def
	}
	accent := pick(o.Accent, lipgloss.AdaptiveColor{Light: "25", Dark: "75"})
	dim := pick(o.Dim, lipgloss.AdaptiveColor{Light: "245", Dark: "243"})
	warn := pick(o.Warning, lipgloss.AdaptiveColor{Light: "160", Dark: "203"})

	t.Sidebar.Box = lipgloss.NewStyle().BorderStyle(lipgloss.NormalBorder()).BorderRight(true).BorderForeground(dim)
	t.Sidebar.Account = lipgloss.NewStyle().Bold(true)
	t.Sidebar.ActiveAccount = lipgloss.NewStyle().Bold(true).Foreground(accent)
	t.Sidebar.Error = lipgloss.NewStyle().Bold(true).Foreground(warn)
	t.Sidebar.Folder = lipgloss.NewStyle()
	t.Sidebar.ActiveFolder = lipgloss.NewStyle().Reverse(true)
	t.Sidebar.Count = lipgloss.NewStyle().Foreground(dim)

	t.Index.Row = lipgloss.NewStyle()
	t.Index.Cursor = lipgloss.NewStyle().Reverse(true)
	t.Index.Unread = lipgloss.NewStyle().Bold(true)
	t.Index.Flagged = lipgloss.NewStyle().Foreground(warn)
	t.Index.Empty = lipgloss.NewStyle().Foreground(dim).Italic(true)

	t.Pager.HeaderName = lipgloss.NewStyle().Bold(true).Foreground(accent)
	t.Pager.HeaderValue = lipgloss.NewStyle()
	t.Pager.Attachment = lipgloss.NewStyle().Foreground(accent)
	t.Pager.Separator = lipgloss.NewStyle().Foreground(dim)
	t.Pager.Security = lipgloss.NewStyle().Foreground(accent)
	t.Pager.SecurityAlarm = lipgloss.NewStyle().Bold(true).Foreground(warn)

	t.Status.Bar = lipgloss.NewStyle().Reverse(true)
	t.Status.Error = lipgloss.NewStyle().Reverse(true).Foreground(warn)
	t.Status.Info = lipgloss.NewStyle().Reverse(true)

	t.Title = lipgloss.NewStyle().Bold(true)
	t.Help = lipgloss.NewStyle().Padding(1, 2)
	return t
}
