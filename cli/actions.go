package cli

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/sanitize"
)

// newActionCmds returns the message action commands: flag, move, copy,
// delete, archive (each on one or many messages, see bulk.go), and
// pending, which lists what waits for the server.
func newActionCmds(g *globals) []*cobra.Command {
	flag := bulkActionCmd(g, "flag [ID...] [+|-]FLAG", "flagged", "Add or remove a flag on messages",
		`Flag adds (+FLAG, or just FLAG) or removes (-FLAG) a flag: seen, flagged,
answered, draft, a system flag such as \Seen, or a keyword. Options such as
--account and --query go before the IDs: everything after the first ID is
taken as is, so "posta flag 12 -seen" removes \Seen; with --query and no ID,
put "--" before a flag that starts with "-" ("posta flag --query
is:unread -- -flagged").`, 1,
		func(a *accounts.Account, args []string) (bulkOp, error) {
			flag, add, err := parseFlagArg(args[0])
			if err != nil {
				return nil, err
			}
			return func(ctx context.Context, ids []int64) (accounts.BulkUndo, error) {
				return a.FlagMany(ctx, ids, flag, add, nil)
			}, nil
		})
	// "-seen" must reach the command as an argument, not as options.
	flag.Flags().SetInterspersed(false)
	return []*cobra.Command{
		flag,
		bulkActionCmd(g, "move [ID...] FOLDER", "moved", "Move messages to another folder", "", 1,
			func(a *accounts.Account, args []string) (bulkOp, error) {
				return func(ctx context.Context, ids []int64) (accounts.BulkUndo, error) {
					return a.MoveMany(ctx, ids, args[0], nil)
				}, nil
			}),
		bulkActionCmd(g, "copy [ID...] FOLDER", "copied", "Copy messages to another folder (IMAP)", "", 1,
			func(a *accounts.Account, args []string) (bulkOp, error) {
				return func(ctx context.Context, ids []int64) (accounts.BulkUndo, error) {
					return a.CopyMany(ctx, ids, args[0], nil)
				}, nil
			}),
		bulkActionCmd(g, "delete [ID...]", "deleted", "Move messages to Trash; in Trash, delete them for good",
			`Delete moves the messages to the account's Trash folder. A message already
in Trash is deleted for good (IMAP: \Deleted and EXPUNGE; POP3: the mail file
is removed).`, 0,
			func(a *accounts.Account, _ []string) (bulkOp, error) {
				return func(ctx context.Context, ids []int64) (accounts.BulkUndo, error) {
					return a.DeleteMany(ctx, ids, nil)
				}, nil
			}),
		bulkActionCmd(g, "archive [ID...]", "archived", "Move messages to the account's archive folder", "", 0,
			func(a *accounts.Account, _ []string) (bulkOp, error) {
				return func(ctx context.Context, ids []int64) (accounts.BulkUndo, error) {
					return a.ArchiveMany(ctx, ids, nil)
				}, nil
			}),
		newPendingCmd(g),
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
	// Messages lists the messages of a bulk action (message is the first).
	Messages []int64 `json:"messages,omitempty"`
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
					var members []int64
					for _, m := range p.Args.Members {
						members = append(members, m.MessageID)
					}
					rows = append(rows, pendingJSON{Messages: members,
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
