package cli

import (
	"strings"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/cache"
)

func newSearchCmd(g *globals) *cobra.Command {
	var (
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "search QUERY...",
		Short: "Search cached messages (no network)",
		Long: `Search prints the cached messages that match QUERY (the arguments joined
by spaces), newest first, in the format of "posta list": of every account,
or of --account. It never touches the network.

Every condition must hold:
  word "a phrase"           in the subject, addresses or body text
                            (case and accents ignored: cafe finds Café)
  from:X  to:X  subject:X   X in that field (to: also searches Cc);
                            X may be quoted: from:"Ann Smith"
  before:YYYY-MM-DD         dated before that day
  after:YYYY-MM-DD          dated that day or later
  has:attachment  is:unread  is:read  is:flagged
  folder:NAME  account:NAME

Body text is searchable for messages whose body has been downloaded.`,
		Example: `  posta search invoice from:billing after:2024-01-01
  posta search '"quarterly report"' is:unread --json`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			msgs, err := c.cache.Search(cache.SearchQuery{Text: strings.Join(args, " "), Account: g.account, Limit: limit})
			if err != nil {
				return err
			}
			return printMessages(g.stdout, msgs, asJSON)
		},
	}
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many messages (default: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
