package cli

import (
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/oauth"
)

func newOAuthCmd(g *globals) *cobra.Command {
	var noBrowser bool
	var timeout time.Duration
	cmd := &cobra.Command{
		Use:   "oauth ACCOUNT",
		Short: "Sign an account in with OAuth2 and keep its refresh token in the OS keyring",
		Long: `Oauth signs in to the account's provider (oauth2_provider: gmail,
microsoft or custom) in the browser, with the authorization-code flow and
PKCE on a redirect to 127.0.0.1. The refresh token goes to the OS keyring;
posta then gets and refreshes access tokens by itself.

The sign-in URL is always printed on stderr, so it can be opened on another
machine's browser only if that browser can reach this machine's 127.0.0.1
(use an SSH tunnel to the printed port).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := g.configPath()
			if err != nil {
				return err
			}
			cfg, err := accounts.LoadConfig(path)
			if err != nil {
				return err
			}
			ac, ok := cfg.Account(args[0])
			if !ok {
				return fmt.Errorf("oauth: no account %q in %s", args[0], path)
			}
			server, ok := ac.OAuth2Server()
			if !ok {
				return fmt.Errorf("oauth: account %q has no oauth2_provider in [account.fetch] or [account.smtp]", ac.Name)
			}
			config, provider, err := server.OAuth2Settings().Config()
			if err != nil {
				return err
			}
			opts := oauth.LoginOptions{Config: config, Provider: provider, Prompt: g.stderr, Timeout: timeout}
			if !noBrowser {
				opts.OpenBrowser = oauth.OpenBrowser
			}
			tok, err := oauth.Login(cmd.Context(), opts)
			if err != nil {
				return err
			}
			if err := (oauth.Store{Account: ac.Name}).Save(tok); err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "Signed in: the refresh token for %s is in the OS keyring.\n", ac.Name)
			return nil
		},
	}
	cmd.Flags().BoolVar(&noBrowser, "no-browser", false, "print the sign-in URL without opening a browser")
	cmd.Flags().DurationVar(&timeout, "timeout", oauth.DefaultLoginTimeout, "how long to wait for the browser to come back")
	return cmd
}
