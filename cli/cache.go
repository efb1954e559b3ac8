package cli

import (
	"fmt"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
)

func newCacheCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "cache",
		Short: "Maintain the local cache",
		Args:  cobra.NoArgs,
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "rebuild",
		Short: "Rebuild the index from the mail files (no network)",
		Long: `Rebuild drops the index and builds it again from the POP3 Maildirs and the
outbox, which are never deleted. IMAP headers and cached IMAP bodies are
dropped: the next "posta sync" fetches them again. Message ids change.
It needs no configuration, only the cache and data folders.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cacheDir, dataDir, err := g.dirs()
			if err != nil {
				return err
			}
			c, err := accounts.OpenCache(cacheDir, dataDir)
			if err != nil {
				return err
			}
			defer c.Close()
			r, err := accounts.RebuildCache(c)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stdout, "index rebuilt in %s\n", cacheDir)
			fmt.Fprintf(g.stdout, "  %d messages indexed before, %d after (from the Maildirs in %s)\n", r.Before, r.After, dataDir)
			fmt.Fprintf(g.stdout, "  IMAP headers and bodies dropped: \"posta sync\" fetches them again\n")
			fmt.Fprintf(g.stdout, "  %d messages waiting in the outbox, kept\n", r.Outbox)
			return nil
		},
	})
	return cmd
}
