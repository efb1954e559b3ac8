package cli

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/message"
)

func newInviteCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "invite",
		Short: "Show, answer or export a calendar invitation",
		Long: `Invite works on a message holding a calendar invitation (a text/calendar
part, iMIP). "show" prints its event card as the pager shows it: title,
organizer, time here and in its own zone, recurrence, location, attendees
with their answers, and the other invitations of your cached mail it
overlaps. "accept", "tentative" and "decline" send the organizer an iMIP
reply (METHOD:REPLY) through the account's outbox, with an optional
--comment. "export" writes the calendar part to a new .ics file.`,
	}
	for _, answer := range []struct{ use, partstat, short string }{
		{"accept", accounts.Accept, "Accept an invitation"},
		{"tentative", accounts.Tentative, "Accept an invitation tentatively"},
		{"decline", accounts.Decline, "Decline an invitation"},
	} {
		var comment string
		c := &cobra.Command{
			Use:   answer.use + " ID",
			Short: answer.short,
			Args:  cobra.ExactArgs(1),
			RunE: func(cmd *cobra.Command, args []string) error {
				c, a, id, err := g.messageAccount("invite", args[0])
				if err != nil {
					return err
				}
				defer c.Close()
				res, err := a.RespondInvite(cmd.Context(), id, answer.partstat, comment)
				var queued *accounts.QueuedError
				if err != nil && !errors.As(err, &queued) {
					return fmt.Errorf("invite: %w", err)
				}
				fmt.Fprintf(g.stdout, "%s %q: reply to %s\n", strings.ToLower(answer.partstat), res.Summary, res.To)
				if queued != nil {
					fmt.Fprintln(g.stderr, queued.Error())
				}
				return nil
			},
		}
		c.Flags().StringVar(&comment, "comment", "", "a comment for the organizer")
		cmd.AddCommand(c)
	}
	cmd.AddCommand(&cobra.Command{
		Use:   "show ID",
		Short: "Print an invitation's event card",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, a, id, err := g.messageAccount("invite", args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			raw, err := a.Body(cmd.Context(), id)
			if err != nil {
				return err
			}
			invs, err := a.InvitationsIn(id, raw)
			if err != nil {
				return err
			}
			if len(invs) == 0 {
				return fmt.Errorf("invite: message %d has no calendar part", id)
			}
			for i, inv := range invs {
				if i > 0 {
					fmt.Fprintln(g.stdout)
				}
				if inv.Invite == nil {
					fmt.Fprintln(g.stdout, "["+inv.Err+"]")
					continue
				}
				for j := range inv.Invite.Events {
					if j > 0 {
						fmt.Fprintln(g.stdout)
					}
					for _, l := range inv.Invite.Card(j, time.Local, inv.Conflicts[j]) {
						fmt.Fprintln(g.stdout, l)
					}
				}
			}
			return nil
		},
	})
	cmd.AddCommand(&cobra.Command{
		Use:   "export ID FILE.ics",
		Short: "Write an invitation's calendar part to a new file",
		Args:  cobra.ExactArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, a, id, err := g.messageAccount("invite", args[0])
			if err != nil {
				return err
			}
			defer c.Close()
			if err := a.ExportInvite(cmd.Context(), id, args[1]); err != nil {
				return err
			}
			fmt.Fprintln(g.stdout, "exported to", args[1])
			return nil
		},
	})
	return cmd
}

// messageAccount opens the core and finds the account of message idArg
// (an ID from posta list); the caller closes the core.
func (g *globals) messageAccount(verb, idArg string) (*core, *accounts.Account, int64, error) {
	id, err := strconv.ParseInt(idArg, 10, 64)
	if err != nil {
		return nil, nil, 0, fmt.Errorf("%s: %q is not a message ID (see posta list)", verb, idArg)
	}
	c, err := g.openCore()
	if err != nil {
		return nil, nil, 0, err
	}
	m, err := c.set.Message(id)
	if err != nil {
		c.Close()
		return nil, nil, 0, fmt.Errorf("%s: message %d: %w", verb, id, err)
	}
	if g.account != "" && g.account != m.Account {
		c.Close()
		return nil, nil, 0, fmt.Errorf("%s: message %d belongs to account %s, not %s", verb, id, m.Account, g.account)
	}
	a, err := c.set.Get(m.Account)
	if err != nil {
		c.Close()
		return nil, nil, 0, err
	}
	return c, a, id, nil
}

// withInviteCard puts the event cards of a message's calendar parts
// under the header lines of its rendered text, as the pager shows them;
// text is returned as it is when the message has none.
func withInviteCard(text string, a *accounts.Account, id int64, raw []byte) string {
	if !message.MentionsCalendar(raw) {
		return text
	}
	invs, err := a.InvitationsIn(id, raw)
	if err != nil || len(invs) == 0 {
		return text
	}
	var card strings.Builder
	for _, inv := range invs {
		if inv.Invite == nil {
			card.WriteString("[" + inv.Err + "]\n")
			continue
		}
		for j := range inv.Invite.Events {
			for _, l := range inv.Invite.Card(j, time.Local, inv.Conflicts[j]) {
				card.WriteString(l + "\n")
			}
		}
	}
	head, rest, ok := strings.Cut(text, "\n\n")
	if !ok {
		return text + "\n" + card.String()
	}
	return head + "\n\n" + card.String() + "\n" + rest
}
