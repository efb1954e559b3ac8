package cli

import (
	"errors"
	"fmt"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

func newSyncCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "sync",
		Short: "Fetch new mail and send the outbox, once",
		Long: `Sync brings the cache up to date with the servers of every account (or
the one named by --account) and sends what waits in the outbox. Progress
goes to stderr. The exit status is non-zero when a server fails.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			targets := c.set.Accounts
			if g.account != "" {
				a, _ := c.set.Get(g.account)
				targets = []*accounts.Account{a}
			}
			var failed []error
			live := isTerminal(g.stderr)
			for _, a := range targets {
				last := ""
				rep, err := a.Sync(cmd.Context(), func(p accounts.Progress) {
					line := fmt.Sprintf("%s: %s %d/%d (%.1f MB)", sanitize.Line(a.Name()), sanitize.Line(p.Folder), p.Done, p.Total, float64(p.Bytes)/(1<<20))
					switch {
					case line == last:
					case live: // redraw one status line in place
						fmt.Fprintf(g.stderr, "\r\x1b[K%s", line)
						last = line
					case p.Done == p.Total: // logs get one line a folder
						fmt.Fprintln(g.stderr, line)
						last = line
					}
				})
				if live && last != "" {
					fmt.Fprintln(g.stderr)
				}
				var copyErr *accounts.SentCopyError
				if err != nil && !errors.As(err, &copyErr) {
					fmt.Fprintf(g.stderr, "%s: sync failed: %s\n", a.Name(), sanitize.Line(err.Error()))
					failed = append(failed, err)
					continue
				}
				if err != nil {
					fmt.Fprintf(g.stderr, "%s: %v\n", a.Name(), err)
				}
				for _, c := range rep.Conflicts {
					fmt.Fprintf(g.stderr, "%s: dropped a queued action: %s\n", a.Name(), sanitize.Line(c))
				}
				fmt.Fprintf(g.stderr, "%s: %d new, %d removed, %d sent\n", a.Name(), rep.Added, rep.Removed, rep.Sent)
			}
			if len(failed) > 0 {
				return fmt.Errorf("%d of %d accounts failed to sync", len(failed), len(targets))
			}
			return nil
		},
	}
}
