package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/sanitize"
)

func newAddressesCmd(g *globals) *cobra.Command {
	var (
		asJSON bool
		mutt   bool
		limit  int
	)
	cmd := &cobra.Command{
		Use:   "addresses PREFIX",
		Short: "Complete an address from the mail in the cache",
		Long: `Addresses prints the people whose name or address has a word starting
with PREFIX, taken from the From, To and Cc of cached mail, most frequent
first. --mutt prints the format of mutt's query_command (a first line, then
"address<TAB>name" lines), so editors and other clients can use it.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			found, err := c.set.Addresses(args[0], limit)
			if err != nil {
				return err
			}
			if asJSON {
				return writeJSON(g.stdout, found)
			}
			if mutt {
				fmt.Fprintf(g.stdout, "posta: %d found\n", len(found))
			}
			for _, a := range found {
				if mutt {
					fmt.Fprintf(g.stdout, "%s\t%s\n", sanitize.Line(a.Addr), sanitize.Line(a.Name))
				} else {
					fmt.Fprintln(g.stdout, sanitize.Line(a.String()))
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.Flags().BoolVar(&mutt, "mutt", false, "print mutt's query_command format")
	cmd.Flags().IntVar(&limit, "limit", 20, "at most this many")
	return cmd
}
