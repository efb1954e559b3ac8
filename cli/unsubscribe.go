package cli

import (
	"bufio"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
	"github.com/posta-mail/posta/unsubscribe"
)

func newUnsubscribeCmd(g *globals) *cobra.Command {
	var yes, dryRun bool
	cmd := &cobra.Command{
		Use:   "unsubscribe ID",
		Short: "Leave the mailing list a message came from",
		Long: `Unsubscribe reads the message's List-Unsubscribe field (RFC 2369) and
does what it offers, after saying what that is:

  - with List-Unsubscribe-Post: List-Unsubscribe=One-Click (RFC 8058) and
    an https address, one POST to that address, after you confirm (on a
    terminal, or with --yes); the host is shown first. The certificate is
    verified, and a redirect to another host is not followed: it is
    reported;
  - else, a mailto: address: the message is printed, and sent through the
    account's outbox with --yes;
  - else, the web page is printed for you to open.

--dry-run says what would be done and does nothing.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, a, id, err := g.messageAccount("unsubscribe", args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			u, err := a.Unsubscription(cmd.Context(), id)
			if err != nil {
				return err
			}
			switch u.Method {
			case unsubscribe.OneClick:
				fmt.Fprintf(g.stdout, "one-click: POST to %s (%s)\n", u.Host, sanitize.Line(u.URL.String()))
				if dryRun {
					return nil
				}
				if !yes && !g.confirm(fmt.Sprintf("Unsubscribe with one request to %s? [y/N] ", u.Host)) {
					return errors.New("unsubscribe: not confirmed (--yes confirms)")
				}
				res, err := accounts.OneClickUnsubscribe(cmd.Context(), u, nil)
				if err != nil {
					return err
				}
				fmt.Fprintf(g.stdout, "unsubscribed: %s answered %d\n", res.Host, res.Status)
			case unsubscribe.Mailto:
				d := u.Draft
				fmt.Fprintf(g.stdout, "mailto: a message to %s\n", strings.Join(d.To, ", "))
				fmt.Fprintf(g.stdout, "From: %s\nTo: %s\nSubject: %s\n\n%s\n", d.From, strings.Join(d.To, ", "), d.Subject, d.Body)
				if dryRun {
					return nil
				}
				if !yes {
					fmt.Fprintln(g.stderr, "not sent: --yes sends it (or open it in the reader with: posta '"+u.Mailto+"')")
					return nil
				}
				raw, err := d.Build(time.Now())
				if err != nil {
					return err
				}
				err = a.Send(cmd.Context(), a.Address(), d.Recipients(), raw)
				var queued *accounts.QueuedError
				if err != nil && !errors.As(err, &queued) {
					return err
				}
				fmt.Fprintln(g.stdout, "sent")
				if queued != nil {
					fmt.Fprintln(g.stderr, queued.Error())
				}
			case unsubscribe.Link:
				fmt.Fprintln(g.stdout, "open this page to unsubscribe (nothing was fetched):")
				for _, l := range u.Links {
					fmt.Fprintln(g.stdout, l)
				}
			}
			return nil
		},
	}
	cmd.Flags().BoolVar(&yes, "yes", false, "do it without asking")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "say what would be done, do nothing")
	return cmd
}

// confirm asks a yes/no question on stderr when stdin is a terminal; it
// is false otherwise.
func (g *globals) confirm(question string) bool {
	if !isTerminal(g.stdin) {
		return false
	}
	fmt.Fprint(g.stderr, question)
	line, _ := bufio.NewReader(g.stdin).ReadString('\n')
	answer := strings.ToLower(strings.TrimSpace(line))
	return answer == "y" || answer == "yes"
}
