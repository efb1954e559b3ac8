package cli

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// newActionCmds returns the message action commands: flag, move, copy,
// delete, archive, and pending, which lists what waits for the server.
func newActionCmds(g *globals) []*cobra.Command {
	flag := actionCmd(g, "flag ID [+|-]FLAG", "Add or remove a flag on a message",
		`Flag adds (+FLAG, or just FLAG) or removes (-FLAG) a flag: seen, flagged,
answered, draft, a system flag such as \Seen, or a keyword. Options such as
--account go before the ID: everything after it is taken as is, so
"posta flag 12 -seen" removes \Seen.`, 2,
		func(ctx context.Context, a *accounts.Account, id int64, args []string) error {
			flag, add, err := parseFlagArg(args[0])
			if err != nil {
				return err
			}
			return a.SetFlag(ctx, id, flag, add)
		})
	// "-seen" must reach the command as an argument, not as options.
	flag.Flags().SetInterspersed(false)
	return []*cobra.Command{
		flag,
		actionCmd(g, "move ID FOLDER", "Move a message to another folder", "", 2,
			func(ctx context.Context, a *accounts.Account, id int64, args []string) error {
				return a.Move(ctx, id, args[0])
			}),
		actionCmd(g, "copy ID FOLDER", "Copy a message to another folder (IMAP)", "", 2,
			func(ctx context.Context, a *accounts.Account, id int64, args []string) error {
				return a.Copy(ctx, id, args[0])
			}),
		actionCmd(g, "delete ID", "Move a message to Trash; in Trash, delete it for good",
			`Delete moves the message to the account's Trash folder. A message already
in Trash is deleted for good (IMAP: \Deleted and EXPUNGE; POP3: the mail file
is removed).`, 1,
			func(ctx context.Context, a *accounts.Account, id int64, _ []string) error {
				return a.Delete(ctx, id)
			}),
		actionCmd(g, "archive ID", "Move a message to the account's archive folder", "", 1,
			func(ctx context.Context, a *accounts.Account, id int64, _ []string) error {
				return a.Archive(ctx, id)
			}),
		newPendingCmd(g),
	}
}

const actionsLong = `

The change shows in the cache at once. When the IMAP server cannot be
reached it is queued (see "posta pending") and done on the next
"posta sync"; the command still succeeds and says so on stderr.`

// actionCmd builds one action command taking a message ID and nargs-1
// more arguments.
func actionCmd(g *globals, use, short, long string, nargs int,
	do func(ctx context.Context, a *accounts.Account, id int64, args []string) error) *cobra.Command {
	name := strings.Fields(use)[0]
	if long == "" {
		long = short + "."
	}
	return &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + actionsLong,
		Args:  cobra.ExactArgs(nargs),
		RunE: func(cmd *cobra.Command, args []string) error {
			id, err := strconv.ParseInt(args[0], 10, 64)
			if err != nil {
				return fmt.Errorf("%s: %q is not a message ID (see posta list)", name, args[0])
			}
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			m, err := c.set.Message(id)
			if err != nil {
				return fmt.Errorf("%s: message %d: %w", name, id, err)
			}
			if g.account != "" && g.account != m.Account {
				return fmt.Errorf("%s: message %d belongs to account %s, not %s", name, id, m.Account, g.account)
			}
			a, err := c.set.Get(m.Account)
			if err != nil {
				return err
			}
			err = do(cmd.Context(), a, id, args[1:])
			var pending *accounts.PendingError
			if errors.As(err, &pending) && !hasConflict(err) {
				fmt.Fprintf(g.stderr, "%s: server unreachable, queued: %s\n", name, sanitize.Line(pending.Err.Error()))
				return nil
			}
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		},
	}
}

func hasConflict(err error) bool {
	var c *accounts.ConflictError
	return errors.As(err, &c)
}

// parseFlagArg reads "+flagged", "-seen", "\Answered", "$label".
func parseFlagArg(s string) (mail.Flag, bool, error) {
	add := true
	switch {
	case strings.HasPrefix(s, "+"):
		s = s[1:]
	case strings.HasPrefix(s, "-"):
		s, add = s[1:], false
	}
	switch strings.ToLower(s) {
	case "seen", "read":
		return mail.FlagSeen, add, nil
	case "flagged", "flag", "starred":
		return mail.FlagFlagged, add, nil
	case "answered", "replied":
		return mail.FlagAnswered, add, nil
	case "draft":
		return mail.FlagDraft, add, nil
	case "deleted":
		return mail.FlagDeleted, add, nil
	}
	if s == "" || strings.ContainsAny(s, " \t\r\n()[]{}%*\"]") || strings.ContainsFunc(s, func(r rune) bool { return r < 0x21 || r > 0x7e }) {
		return "", false, fmt.Errorf("flag: %q is not a flag (seen, flagged, answered, draft, \\System or a keyword)", s)
	}
	if strings.HasPrefix(s, `\`) && strings.Contains(s[1:], `\`) {
		return "", false, fmt.Errorf("flag: %q is not a flag", s)
	}
	return mail.Flag(s), add, nil
}

// pendingJSON is one row of `pending --json`.
type pendingJSON struct {
	ID        int64  `json:"id"`
	Account   string `json:"account"`
	Kind      string `json:"kind"`
	MessageID int64  `json:"message"`
	Folder    string `json:"folder"`
	UID       string `json:"uid"`
	Flag      string `json:"flag,omitempty"`
	Dest      string `json:"dest,omitempty"`
	Created   string `json:"created"`
	Attempts  int    `json:"attempts"`
	LastError string `json:"last_error,omitempty"`
}

func newPendingCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "pending",
		Short: "List message actions waiting for the server (no network)",
		Long: `Pending lists the flag, move, copy and delete actions made while an IMAP
server could not be reached, oldest first, of every account or of
--account. "posta sync" does them in this order.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			acts, err := c.set.Pending(g.account)
			if err != nil {
				return err
			}
			if asJSON {
				rows := make([]pendingJSON, 0, len(acts))
				for _, p := range acts {
					rows = append(rows, pendingJSON{
						ID: p.ID, Account: p.Account, Kind: string(p.Kind), MessageID: p.MessageID,
						Folder: p.Folder, UID: p.UID, Flag: string(p.Args.Flag), Dest: p.Args.Dest,
						Created: p.Created.UTC().Format(time.RFC3339), Attempts: p.Attempts, LastError: p.LastError,
					})
				}
				return writeJSON(g.stdout, rows)
			}
			if len(acts) == 0 {
				fmt.Fprintln(g.stdout, "No pending actions.")
				return nil
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tACCOUNT\tMESSAGE\tACTION\tATTEMPTS\tLAST ERROR")
			for _, p := range acts {
				fmt.Fprintf(tw, "%d\t%s\t%d\t%s\t%d\t%s\n", p.ID, sanitize.Line(p.Account), p.MessageID,
					sanitize.Line(accounts.DescribeAction(p)), p.Attempts, sanitize.Line(p.LastError))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}
