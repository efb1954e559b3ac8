package cli

import (
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/message"
)

func newRenderCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "render FILE",
		Short: "Render a message file exactly as the pager would",
		Long: `Render prints a message file (RFC 5322, e.g. a .eml) as the pager shows it:
sanitized headers, the text body and the list of attachments. Broken MIME
is shown as well as it can be, with exit status 0; only a file that
cannot be read is an error. Use - to read standard input.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			in := g.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("render: %w", err)
				}
				defer f.Close()
				in = f
			}
			r, err := message.Render(in, message.Options{Width: termWidth(g.stdout)})
			if err != nil {
				return fmt.Errorf("render: %w", err)
			}
			_, err = fmt.Fprint(g.stdout, r.String())
			return err
		},
	}
}
