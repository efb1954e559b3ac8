package cli

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strconv"
	"time"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

// checkTimeout bounds the online check of one account.
const checkTimeout = 20 * time.Second

func newConfigCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "config",
		Short: "Work with the configuration file",
		Args:  cobra.NoArgs,
	}
	var offline bool
	check := &cobra.Command{
		Use:   "check",
		Short: "Validate the configuration and test every account's servers",
		Long: `Check reads the configuration file and lists every problem in it with its
line and key: TOML syntax, unknown keys, values of the wrong type, missing
or invalid values, and a password in a file other users can read.

Unless --offline is given, it then connects to each account's fetch
server (IMAP or POP3) and SMTP server, logs in and out, and prints ok or
the error for each (at most 20 seconds per account). No mail is
downloaded or sent. The exit status is non-zero if anything failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runConfigCheck(cmd.Context(), g, offline)
		},
	}
	check.Flags().BoolVar(&offline, "offline", false, "only validate the file; do not connect")
	cmd.AddCommand(check)
	return cmd
}

func runConfigCheck(ctx context.Context, g *globals, offline bool) error {
	path, err := g.configPath()
	if err != nil {
		return err
	}
	cfg, problems, err := accounts.CheckConfigFile(path)
	if errors.Is(err, accounts.ErrNoConfig) {
		return fmt.Errorf("%w\n\n%s", err, noConfigHelp(path))
	}
	if err != nil {
		return err
	}
	for _, p := range problems {
		fmt.Fprintf(g.stdout, "%s:%s\n", sanitize.Line(path), sanitize.Line(fmt.Sprint(p)))
	}
	if len(problems) > 0 {
		return fmt.Errorf("config check: %d problem(s) in %s", len(problems), path)
	}
	fmt.Fprintf(g.stdout, "%s: ok (%d accounts)\n", sanitize.Line(path), len(cfg.Accounts))
	if offline {
		return nil
	}
	if err := g.applyTrace(cfg); err != nil {
		return err
	}
	type result struct{ fetch, send error }
	results := make([]chan result, len(cfg.Accounts))
	for i, ac := range cfg.Accounts {
		results[i] = make(chan result, 1)
		go func() {
			actx, cancel := context.WithTimeout(ctx, checkTimeout)
			defer cancel()
			fetch, send := accounts.CheckAccount(actx, ac)
			results[i] <- result{fetch, send}
		}()
	}
	failed := 0
	for i, ac := range cfg.Accounts {
		r := <-results[i]
		for _, s := range []struct {
			kind string
			sc   accounts.ServerConfig
			err  error
		}{
			{ac.Fetch.Kind, ac.Fetch.ServerConfig, r.fetch},
			{"smtp", ac.SMTP, r.send},
		} {
			// The error carries the server's words (a NO text, a STARTTLS
			// refusal, the names in its certificate): shown made safe.
			addr := sanitize.Line(net.JoinHostPort(s.sc.Host, strconv.Itoa(s.sc.Port)))
			name, kind := sanitize.Line(ac.Name), sanitize.Line(s.kind)
			if s.err != nil {
				failed++
				fmt.Fprintf(g.stdout, "%s: %s %s FAILED: %s\n", name, kind, addr, sanitize.Line(s.err.Error()))
			} else {
				fmt.Fprintf(g.stdout, "%s: %s %s ok\n", name, kind, addr)
			}
		}
	}
	if failed > 0 {
		return fmt.Errorf("config check: %d server(s) failed", failed)
	}
	return nil
}
