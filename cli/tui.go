package cli

import (
	"context"
	"fmt"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/ui"
)

// runTUI opens the mail reader on the configured accounts.
func runTUI(ctx context.Context, g *globals) error {
	c, err := g.openCore()
	if err != nil {
		return err
	}
	defer c.Close()
	return startTUI(ctx, c.set, ui.Options{Account: g.account})
}

// startTUI runs the Bubble Tea program until the user quits.
func startTUI(ctx context.Context, set *accounts.Set, opts ui.Options) error {
	m := ui.New(set, opts)
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithContext(ctx))
	final, err := p.Run()
	if fm, ok := final.(ui.Model); ok {
		fm.Quit()
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}
