package cli

import (
	"encoding/json"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/message"
)

// renderJSON is the output of `render --json`.
type renderJSON struct {
	Headers     []message.Field  `json:"headers"`
	Parts       *message.Part    `json:"parts"`
	Attachments []attachmentJSON `json:"attachments"`
	Text        string           `json:"text"`
	Links       []string         `json:"links"`
	Warnings    []string         `json:"warnings"`
	securityJSON
}

type attachmentJSON struct {
	Index       int    `json:"index"`
	Name        string `json:"name"`
	ContentType string `json:"content_type"`
	Size        int64  `json:"size"`
}

func newRenderCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "render FILE",
		Short: "Render a message file exactly as the pager would",
		Long: `Render prints a message file (RFC 5322, e.g. a .eml) as the pager shows it:
sanitized headers, the text body and the list of attachments. Broken MIME
is shown as well as it can be, with exit status 0; only a file that
cannot be read is an error. Use - to read standard input.

With --json it prints one JSON object instead: "headers" (name/value
pairs, with a "note" when a field needs attention: several From fields,
a Sender or Reply-To other than From, an address that may imitate
another), "parts" (the MIME tree: type, charset, disposition, filename,
size, index, children), "attachments" (index, name, content_type, size;
the index is the one the pager saves by), "text" (the body, unwrapped),
"links" (the numbered link footnotes of HTML parts), "warnings",
"signature" (the signature that covers the whole message, or null),
"signatures" (every signature found, with the parts it covers) and
"encrypted" (null, or whether and to whom it was encrypted).

Signed and encrypted mail (OpenPGP, S/MIME) is verified and decrypted
with gpg and openssl, and the result is said above the body.`,
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
			opts := message.Options{Width: termWidth(g.stdout), Crypto: g.cryptoEngine()}
			if asJSON {
				opts.Width = 0
			}
			r, err := message.Render(in, opts)
			if err != nil {
				return fmt.Errorf("render: %w", err)
			}
			if asJSON {
				return writeRenderJSON(g, r)
			}
			_, err = fmt.Fprint(g.stdout, r.String())
			return err
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print headers, parts tree, attachments and text as JSON")
	return cmd
}

func writeRenderJSON(g *globals, r *message.Rendered) error {
	out := renderJSON{
		Headers: r.Headers, Parts: r.Parts, Text: r.Body,
		Attachments: []attachmentJSON{}, Links: r.Links, Warnings: r.Warnings,
		securityJSON: newSecurityJSON(r),
	}
	if out.Headers == nil {
		out.Headers = []message.Field{}
	}
	if out.Links == nil {
		out.Links = []string{}
	}
	if out.Warnings == nil {
		out.Warnings = []string{}
	}
	for _, a := range r.Attachments {
		out.Attachments = append(out.Attachments, attachmentJSON{
			Index: a.Index, Name: a.Name, ContentType: a.ContentType, Size: a.Size,
		})
	}
	enc := json.NewEncoder(g.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(out)
}
