package cli

import (
	"bytes"
	"fmt"
	"os"
	"strconv"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

func newReadCmd(g *globals) *cobra.Command {
	var raw, asJSON bool
	cmd := &cobra.Command{
		Use:   "read ID",
		Short: "Show one message as the pager does, or its raw bytes",
		Long: `Read shows the message with the given ID (from "posta list") as the
pager shows it: sanitized headers, the text body and the attachments. Its
body comes from the cache, or from the server when it is not cached yet.
--raw prints the exact bytes when the output is a file or a pipe; on a
terminal they are made safe first. --json prints what render --json does,
"signature" and "encrypted" included.

Signed mail is verified and encrypted mail decrypted (gpg, openssl) for
this display only: the decrypted text is not stored.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("read: %q is not a message ID (see posta list)", args[0])
			}
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			m, err := c.set.Message(id)
			if err != nil {
				return fmt.Errorf("read: message %d: %w", id, err)
			}
			a, err := c.set.Get(m.Account)
			if err != nil {
				return err
			}
			if g.account != "" && g.account != m.Account {
				return fmt.Errorf("read: message %d belongs to account %s, not %s", id, m.Account, g.account)
			}
			body, err := a.Body(cmd.Context(), id)
			if err != nil {
				return err
			}
			if raw {
				if isTerminal(g.stdout) {
					_, err = fmt.Fprint(g.stdout, sanitize.Text(string(body)))
					return err
				}
				_, err = g.stdout.Write(body)
				return err
			}
			a.NoteAutocrypt(body)
			opts := message.Options{Width: termWidth(g.stdout), Crypto: a.CryptoEngine(false)}
			if asJSON {
				opts.Width = 0
			}
			r, err := message.Render(bytes.NewReader(body), opts)
			if err != nil {
				return err
			}
			a.KeepDecrypted(id, r) // only with store_decrypted = true
			if asJSON {
				return writeRenderJSON(g, r)
			}
			_, err = fmt.Fprint(g.stdout, withInviteCard(r.String(), a, id, body))
			return err
		},
	}
	cmd.Flags().BoolVar(&raw, "raw", false, "print the raw RFC 5322 bytes")
	cmd.Flags().BoolVar(&asJSON, "json", false, "print headers, parts, attachments, text, signature and encryption as JSON")
	return cmd
}

func isTerminal(w any) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(f.Fd())
}

// termWidth is the terminal's width, or 0 (no wrapping) for pipes.
func termWidth(w any) int {
	f, ok := w.(*os.File)
	if !ok || !term.IsTerminal(f.Fd()) {
		return 0
	}
	width, _, err := term.GetSize(f.Fd())
	if err != nil {
		return 0
	}
	return width
}
