package cli

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

// outboxJSON is one item of `posta outbox --json`.
type outboxJSON struct {
	ID          int64    `json:"id"`
	Account     string   `json:"account"`
	From        string   `json:"from"`
	To          []string `json:"to"`
	Subject     string   `json:"subject"`
	Created     string   `json:"created"`
	Attempts    int      `json:"attempts"`
	LastError   string   `json:"last_error,omitempty"`
	NextAttempt string   `json:"next_attempt,omitempty"`
	SendAt      string   `json:"send_at,omitempty"` // scheduled: when it goes (RFC 3339)
	// State is "scheduled" (its time has not come), "held" (taken back
	// for editing), "waiting" (not tried yet), "retrying" or "refused".
	State string `json:"state"`
}

func newOutboxCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "outbox",
		Short: "List messages waiting to be sent (no network)",
		Long: `Outbox lists the messages that were not sent yet, of every account or of
--account, with their attempts and last error. State is "scheduled" (to
be sent at SEND AT: "posta send --at", the reader's send later, or a
sent message in its undo delay), "held" (taken back for editing: nobody
sends it; if the posta that took it back ended before it was done, "posta
outbox edit ID" or "cancel ID" takes it over), "waiting" (not tried yet), "retrying" (failed; the next sync
tries again after a backoff) or "refused" (the server refused it for
good, for example an unknown recipient: not retried automatically;
"posta outbox flush --all" tries it again). "posta outbox cancel ID"
removes a message without sending it, "posta outbox edit ID" edits it
or changes its time.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			items, err := c.set.Outbox(g.account)
			if err != nil {
				return err
			}
			rows := make([]outboxJSON, 0, len(items))
			for _, it := range items {
				rows = append(rows, outboxRow(c.set, it))
			}
			if asJSON {
				return writeJSON(g.stdout, rows)
			}
			return printOutbox(g.stdout, rows)
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	cmd.AddCommand(newOutboxFlushCmd(g), newOutboxCancelCmd(g), newOutboxEditCmd(g))
	return cmd
}

func newOutboxFlushCmd(g *globals) *cobra.Command {
	var all bool
	cmd := &cobra.Command{
		Use:   "flush",
		Short: "Send the outbox now",
		Long: `Flush sends the outbox of every account (or of --account) now, without
waiting for the retry backoff. Messages the server refused for good are
left alone unless --all is given. The exit status is non-zero if any
message is still not sent.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			targets := c.set.Accounts
			if g.account != "" {
				a, err := c.set.Get(g.account)
				if err != nil {
					return err
				}
				targets = []*accounts.Account{a}
			}
			var errs []error
			for _, a := range targets {
				sent, err := a.RetryOutbox(cmd.Context(), all)
				if sent > 0 {
					fmt.Fprintf(g.stderr, "%s: sent %d\n", sanitize.Line(a.Name()), sent)
				}
				if err != nil {
					errs = append(errs, fmt.Errorf("%s: %w", a.Name(), err))
				}
			}
			left, err := c.set.Outbox(g.account)
			if err != nil {
				return err
			}
			if len(left) > 0 {
				fmt.Fprintf(g.stderr, "%d message(s) still in the outbox (see \"posta outbox\")\n", len(left))
			}
			return errors.Join(errs...)
		},
	}
	cmd.Flags().BoolVar(&all, "all", false, "also retry messages the server refused for good")
	return cmd
}

func outboxRow(set *accounts.Set, it accounts.OutboxItem) outboxJSON {
	row := outboxJSON{ID: it.ID, Account: it.Account, From: it.From, To: it.To, Attempts: it.Attempts,
		LastError: it.LastError, Created: it.Created.Format(time.RFC3339), State: "waiting"}
	if row.To == nil {
		row.To = []string{}
	}
	if !it.SendAt.IsZero() {
		row.SendAt = it.SendAt.Format(time.RFC3339)
	}
	switch {
	case it.Held:
		row.State = "held"
	case it.SendAt.After(time.Now()):
		row.State = "scheduled"
	case it.Permanent:
		row.State = "refused"
	case it.Attempts > 0:
		row.State = "retrying"
		if !it.NextAttempt.IsZero() {
			row.NextAttempt = it.NextAttempt.Format(time.RFC3339)
		}
	}
	row.Subject = set.OutboxSubject(it.ID)
	return row
}

func printOutbox(w io.Writer, rows []outboxJSON) error {
	if len(rows) == 0 {
		fmt.Fprintln(w, "the outbox is empty")
		return nil
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tACCOUNT\tCREATED\tSEND AT\tTO\tSUBJECT\tATTEMPTS\tSTATE\tLAST ERROR")
	for _, r := range rows {
		created, _ := time.Parse(time.RFC3339, r.Created)
		sendAt := "-"
		if t, err := time.Parse(time.RFC3339, r.SendAt); err == nil {
			sendAt = t.Local().Format("Mon 2006-01-02 15:04")
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%s\t%d\t%s\t%s\n", r.ID, sanitize.Line(r.Account),
			created.Local().Format(time.DateTime), sendAt,
			ansi.Truncate(sanitize.Line(strings.Join(r.To, ", ")), 32, "…"),
			ansi.Truncate(sanitize.Line(r.Subject), 40, "…"), r.Attempts, r.State,
			sanitize.Line(r.LastError))
	}
	return tw.Flush()
}
