package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
	"github.com/posta-mail/posta/ui"
)

// mailtoMain handles `posta mailto:...`, which cobra cannot route because
// the argument is not a subcommand name. It reports whether args[0] is a
// mailto URI and, if so, the exit status.
//
// The composer is not wired into the TUI yet: for now the draft is
// printed as the editor would show it (sanitized on a terminal). The TUI
// will open its composer on the draft from composeFromMailto instead.
func mailtoMain(ctx context.Context, g *globals, args []string) (status int, handled bool) {
	if len(args) == 0 || !isMailto(args[0]) {
		return 0, false
	}
	if err := runMailto(ctx, g, args[0]); err != nil {
		fmt.Fprintln(g.stderr, "posta:", sanitize.Text(err.Error()))
		return 1, true
	}
	return 0, true
}

func isMailto(arg string) bool {
	return len(arg) >= 7 && strings.EqualFold(arg[:7], "mailto:")
}

func runMailto(ctx context.Context, g *globals, uri string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d, err := composeFromMailto(g, uri)
	if err != nil {
		return err
	}
	if isTerminal(g.stdout) && isTerminal(g.stdin) {
		// A person clicked a mailto: link: open the composer on it.
		c, err := g.openCore()
		if err != nil {
			return err
		}
		defer c.Close()
		return startTUI(ctx, c.set, uiOptions(c.cfg, ui.Options{Account: g.account, Compose: &d}))
	}
	// A script: print the draft as the editor would show it.
	text := d.EditorText()
	if isTerminal(g.stdout) {
		text = sanitize.Text(text)
	}
	_, err = fmt.Fprint(g.stdout, text)
	return err
}

// composeFromMailto parses uri into a draft from the chosen (or default)
// account when a configuration exists; without one From stays empty.
func composeFromMailto(g *globals, uri string) (message.Draft, error) {
	d, err := message.ParseMailto(uri)
	if err != nil {
		return message.Draft{}, err
	}
	path, err := g.configPath()
	if err != nil {
		return d, nil
	}
	cfg, err := accounts.LoadConfig(path)
	if errors.Is(err, accounts.ErrNoConfig) {
		return d, nil
	}
	if err != nil {
		return message.Draft{}, err
	}
	if ac := pickAccount(cfg, g.account); ac != nil {
		d.From = mail.Address{Name: ac.DisplayName, Addr: ac.Address}.String()
	}
	return d, nil
}

// pickAccount returns the account named name, else the default one, else
// the first; nil when there is none.
func pickAccount(cfg *accounts.Config, name string) *accounts.AccountConfig {
	if name == "" {
		name = cfg.DefaultAccount
	}
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == name {
			return &cfg.Accounts[i]
		}
	}
	if len(cfg.Accounts) > 0 {
		return &cfg.Accounts[0]
	}
	return nil
}
