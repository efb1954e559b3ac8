package cli

import (
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

func newSearchCmd(g *globals) *cobra.Command {
	var (
		limit  int
		asJSON bool
	)
	var local bool
	cmd := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Search mail: the local index, then the IMAP servers",
		Long: `Search prints the messages that match QUERY (the arguments joined by
spaces), newest first, in the format of "posta list": of every account, or
of --account. It searches the local index first; a query of plain words and
phrases is also sent to the IMAP servers (UID SEARCH TEXT), which know the
bodies posta has not downloaded, and their results are merged in. --local
stays off the network; a server that cannot be reached is reported on
stderr and its account's local results are kept.

Every condition must hold:
  word "a phrase"           in the subject, addresses or body text
                            (case and accents ignored: cafe finds Café)
  from:X  to:X  subject:X   X in that field (to: also searches Cc);
                            X may be quoted: from:"Ann Smith"
  before:YYYY-MM-DD         dated before that day
  after:YYYY-MM-DD          dated that day or later
  has:attachment  is:unread  is:read  is:flagged
  folder:NAME  account:NAME

Locally, body text is searchable for messages whose body has been
downloaded; the servers search all of it.`,
		Example: `  posta search invoice from:billing after:2024-01-01
  posta search '"quarterly report"' is:unread --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			query := strings.Join(args, " ")
			msgs, err := c.set.Search(query, g.account, limit)
			if err != nil {
				return err
			}
			if !local {
				remote, err := c.set.SearchServers(cmd.Context(), query, g.account)
				if err != nil {
					fmt.Fprintf(g.stderr, "posta: server search: %s (local results only)\n", sanitize.Line(err.Error()))
				}
				msgs = accounts.MergeResults(msgs, remote)
				if limit > 0 && len(msgs) > limit {
					msgs = msgs[:limit]
				}
			}
			return printMessages(g.stdout, msgs, asJSON)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many messages (default: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&local, "local", false, "search the local index only (no network)")
	return cmd
}
