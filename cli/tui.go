package cli

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"time"

	tea "github.com/charmbracelet/bubbletea"
	"github.com/charmbracelet/lipgloss"
	"github.com/muesli/termenv"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/keymap"
	"github.com/posta-mail/posta/sanitize"
	"github.com/posta-mail/posta/ui"
)

// runTUI opens the mail reader on the configured accounts.
func runTUI(ctx context.Context, g *globals) error {
	c, err := g.openCore()
	if errors.Is(err, accounts.ErrNoConfig) && isTerminal(g.stdin) && isTerminal(g.stderr) {
		// A newcomer: offer setup and the demo instead of only an error.
		fmt.Fprintf(g.stderr, "%s\n\nSet up your account now (s), try posta on local demo servers seeded with mail (d), or quit (q)? [S/d/q] ", sanitize.Text(err.Error()))
		answer, _ := bufio.NewReader(g.stdin).ReadString('\n')
		switch a := strings.TrimSpace(strings.ToLower(answer)); a {
		case "", "s", "setup":
			if err := runSetup(ctx, g, &setupOptions{}); err != nil {
				return err
			}
			c, err = g.openCore()
		case "d", "demo", "y", "yes":
			return runDemo(ctx, g, false, 0)
		default:
			return exitError(1)
		}
	}
	if err != nil {
		return err
	}
	defer c.Close()
	return startTUI(ctx, c.set, g.withLog(uiOptions(c.cfg, ui.Options{Account: g.account})))
}

// uiOptions adds what the configuration says about the interface: keys,
// colours and notifications. The configuration was validated on load, so
// the key map has no problems left.
func uiOptions(cfg *accounts.Config, o ui.Options) ui.Options {
	o.Keys, _ = keymap.Build(cfg.Keys)
	o.Theme = ui.ThemeOptions{Accent: cfg.Theme.Accent, Dim: cfg.Theme.Dim, Warning: cfg.Theme.Warning}
	o.NotifyCommand = cfg.NotifyCommand
	o.Bell = cfg.Bell
	if o.Editor == "" {
		o.Editor = cfg.Editor
	}
	o.UndoSendDelay = 10 * time.Second // undo_send_delay: unset means 10 s, 0 sends at once
	if cfg.UndoSendDelay != nil {
		o.UndoSendDelay = time.Duration(*cfg.UndoSendDelay) * time.Second
	}
	return o
}

// startTUI runs the Bubble Tea program until the user quits.
func startTUI(ctx context.Context, set *accounts.Set, opts ui.Options) error {
	applyColorEnv()
	m := ui.New(set, opts)
	if isTerminal(os.Stdout) {
		fmt.Fprint(os.Stdout, ui.WindowTitle)
	}
	p := tea.NewProgram(m, tea.WithAltScreen(), tea.WithMouseCellMotion(), tea.WithContext(ctx))
	final, err := p.Run()
	if fm, ok := final.(ui.Model); ok {
		fm.Quit()
		// A message still in its undo delay is sent now, not left for
		// the next sync.
		sendCtx, cancel := context.WithTimeout(ctx, time.Minute)
		if said := fm.SendPending(sendCtx); said != "" {
			fmt.Fprintln(os.Stderr, "posta: "+said)
		}
		cancel()
	}
	if err != nil && ctx.Err() == nil {
		return fmt.Errorf("tui: %w", err)
	}
	return nil
}

// applyColorEnv turns colours off when NO_COLOR is set
// (https://no-color.org); styles then fall back to bold and reverse.
func applyColorEnv() {
	if os.Getenv("NO_COLOR") != "" {
		lipgloss.SetColorProfile(termenv.Ascii)
	}
}
