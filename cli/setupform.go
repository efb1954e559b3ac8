package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"time"

	tea "github.com/charmbracelet/bubbletea"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/discover"
	"github.com/posta-mail/posta/ui"
)

// runSetupForm runs posta setup as a full-screen form (ui.SetupModel);
// the work is the same as the line-by-line prompts'.
func runSetupForm(ctx context.Context, g *globals, o *setupOptions, path string) error {
	dopts, err := o.discoverOptions(io.Discard) // the form owns the screen
	if err != nil {
		return err
	}
	m := ui.NewSetup(ctx, ui.SetupOptions{
		Address:     o.address,
		DisplayName: o.displayName,
		Discover: func(ctx context.Context, address string) (*discover.Result, error) {
			return discover.Discover(ctx, address, dopts)
		},
		Build: func(found *discover.Result, address, displayName, kind, username, command string, password bool) (accounts.AccountConfig, error) {
			b := *o
			b.address, b.displayName, b.kind, b.username = address, displayName, kind, username
			ac, err := b.account(found, nil)
			if err != nil {
				return ac, err
			}
			existing, _ := os.ReadFile(path)
			ac.Name = uniqueName(ac.Name, string(existing))
			switch {
			case command != "":
				argv := splitCommand(command)
				ac.Fetch.PasswordCommand, ac.SMTP.PasswordCommand = argv, argv
			case !password && found.OAuth2Provider != "":
				for _, s := range []*accounts.ServerConfig{&ac.Fetch.ServerConfig, &ac.SMTP} {
					s.Auth, s.OAuth2Provider = "xoauth2", found.OAuth2Provider
				}
			}
			return ac, nil
		},
		Check: func(ctx context.Context, ac accounts.AccountConfig, secret string) (error, error) {
			traced := &accounts.Config{Accounts: []accounts.AccountConfig{ac}}
			if err := g.applyTrace(traced); err != nil {
				return err, err
			}
			test := traced.Accounts[0]
			if secret != "" {
				test.Fetch.Password, test.SMTP.Password = secret, secret
			}
			cctx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			return accounts.CheckAccount(cctx, test)
		},
		Write: func(ac accounts.AccountConfig, found *discover.Result, secret string) (string, error) {
			existing, err := os.ReadFile(path)
			if err != nil && !errors.Is(err, os.ErrNotExist) {
				return "", err
			}
			if err := appendAccount(path, existing, accountBlock(ac, found, time.Now())); err != nil {
				return "", err
			}
			msg := fmt.Sprintf("Added account %q to %s.", ac.Name, path)
			if secret != "" {
				if err := accounts.StorePassword(ac.Name, secret); err != nil {
					msg += fmt.Sprintf("\nThe password could not be stored in the OS keyring (%v):\nadd a password_command to the account, or set %s", err, accounts.EnvPasswordVar(ac.Name))
				} else {
					msg += "\nThe password is in the OS keyring."
				}
			}
			if ac.Fetch.OAuth2Provider != "" {
				msg += "\nSign in with: posta oauth " + ac.Name
			}
			return msg + "\nFetch your mail with posta sync, or open the reader: posta", nil
		},
	})
	final, err := tea.NewProgram(m, tea.WithContext(ctx), tea.WithInput(g.stdin), tea.WithOutput(g.stdout)).Run()
	if err != nil {
		return fmt.Errorf("setup: %w", err)
	}
	if sm, ok := final.(*ui.SetupModel); !ok || !sm.Written {
		return errors.New("setup: nothing written")
	}
	return nil
}
