package cli

import (
	"fmt"
	"io"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

func newListCmd(g *globals) *cobra.Command {
	var (
		folder string
		limit  int
		asJSON bool
	)
	cmd := &cobra.Command{
		Use:   "list",
		Short: "List cached messages (no network)",
		Long: `List prints the messages in the cache, newest first: of every account, or
of --account, in every folder, or in --folder. It never touches the
network: run "posta sync" first for new mail. --json prints an array of
objects (see the README for the fields).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			msgs, err := c.set.List(g.account, folder, limit, 0)
			if err != nil {
				return err
			}
			return printMessages(g.stdout, msgs, asJSON)
		},
	}
	cmd.Flags().StringVar(&folder, "folder", "", "only this folder (default: all)")
	cmd.Flags().IntVar(&limit, "limit", 0, "at most this many messages (default: all)")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

// printMessages prints msgs as `list` and `search` do: a table, or with
// asJSON an array of messageJSON.
func printMessages(w io.Writer, msgs []accounts.Message, asJSON bool) error {
	if asJSON {
		rows := make([]messageJSON, 0, len(msgs))
		for _, m := range msgs {
			rows = append(rows, toJSON(m))
		}
		return writeJSON(w, rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACCOUNT\tFOLDER\tDATE\tFROM\tSUBJECT")
	for _, m := range msgs {
		from := ""
		if len(m.From) > 0 {
			from = displayAddress(m.From[0])
		}
		date := ""
		if !m.Date.IsZero() {
			date = m.Date.Local().Format(time.DateTime)
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\n", m.ID, sanitize.Line(m.Account), sanitize.Line(m.Folder), date,
			ansi.Truncate(sanitize.Line(from), 32, "…"), sanitize.Line(m.Subject))
	}
	return tw.Flush()
}
