package cli

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

// bulkOp does an action on messages of one account.
type bulkOp func(ctx context.Context, ids []int64) (accounts.BulkUndo, error)

const actionsLong = `

The messages are given by ID (see "posta list"), by --query (the search
syntax of "posta search", over the local index), or both. --dry-run lists
what would be touched and changes nothing. The messages of one folder go
to the server as one command (per 500). The change shows in the cache at once.
When the IMAP server cannot be reached it is queued (see "posta pending")
and done on the next "posta sync"; the command still succeeds and says so
on stderr.`

// bulkActionCmd builds an action command taking message IDs (or --query)
// followed by trailing more arguments. prepare checks those arguments for
// an account and returns what to do with its messages.
func bulkActionCmd(g *globals, use, done, short, long string, trailing int,
	prepare func(a *accounts.Account, args []string) (bulkOp, error)) *cobra.Command {
	name := strings.Fields(use)[0]
	if long == "" {
		long = short + "."
	}
	var (
		query  string
		dryRun bool
	)
	cmd := &cobra.Command{
		Use:   use,
		Short: short,
		Long:  long + actionsLong,
		Args:  cobra.MinimumNArgs(trailing),
		RunE: func(cmd *cobra.Command, args []string) error {
			idArgs, rest := args[:len(args)-trailing], args[len(args)-trailing:]
			var ids []int64
			for _, s := range idArgs {
				id, err := strconv.ParseInt(s, 10, 64)
				if err != nil {
					return fmt.Errorf("%s: %q is not a message ID (see posta list)", name, s)
				}
				if !slices.Contains(ids, id) {
					ids = append(ids, id)
				}
			}
			if len(ids) == 0 && query == "" {
				if trailing > 0 && len(rest) == trailing {
					if _, err := strconv.ParseInt(rest[0], 10, 64); err == nil {
						// "posta flag 12": the ID was read as the
						// argument that comes last (the flag, the folder).
						fields := strings.Fields(use)
						what := strings.ToLower(strings.TrimPrefix(fields[len(fields)-1], "[+|-]"))
						return fmt.Errorf("%s: %q is read as the %s, and no message is given; usage: posta %s", name, rest[0], what, use)
					}
				}
				return fmt.Errorf("%s: give message IDs or --query", name)
			}
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			msgs, err := c.set.MessagesByID(ids)
			if err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			if len(msgs) < len(ids) {
				return fmt.Errorf("%s: %w", name, missingIDs(ids, msgs))
			}
			for _, m := range msgs {
				if g.account != "" && g.account != m.Account {
					return fmt.Errorf("%s: message %d belongs to account %s, not %s", name, m.ID, m.Account, g.account)
				}
			}
			if query != "" {
				found, err := c.set.SearchIDs(query, 0)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				more, err := c.set.MessagesByID(found)
				if err != nil {
					return fmt.Errorf("%s: %w", name, err)
				}
				seen := map[int64]bool{}
				for _, m := range msgs {
					seen[m.ID] = true
				}
				for _, m := range more {
					if !seen[m.ID] && (g.account == "" || m.Account == g.account) {
						seen[m.ID] = true
						msgs = append(msgs, m)
					}
				}
			}
			// Group by account, in the order given; check the arguments
			// (a flag's name) before touching anything.
			var order []*accounts.Account
			groups := map[string][]int64{}
			ops := map[string]bulkOp{}
			for _, m := range msgs {
				if _, ok := groups[m.Account]; !ok {
					a, err := c.set.Get(m.Account)
					if err != nil {
						return err
					}
					op, err := prepare(a, rest)
					if err != nil {
						return err
					}
					order = append(order, a)
					ops[m.Account] = op
				}
				groups[m.Account] = append(groups[m.Account], m.ID)
			}
			if dryRun {
				fmt.Fprintf(g.stderr, "%s: would act on %d messages\n", name, len(msgs))
				return printMessages(g.stdout, msgs, false)
			}
			if len(msgs) == 0 {
				fmt.Fprintf(g.stderr, "%s: no message matches\n", name)
				return nil
			}
			var errs []error
			var queued []string
			count := 0
			for _, a := range order {
				u, err := ops[a.Name()](cmd.Context(), groups[a.Name()])
				count += u.Count
				var pending *accounts.PendingError
				switch {
				case errors.As(err, &pending) && !hasConflict(err):
					queued = append(queued, sanitize.Line(pending.Err.Error()))
				case err != nil:
					errs = append(errs, err)
				}
			}
			for _, q := range queued {
				fmt.Fprintf(g.stderr, "%s: server unreachable, queued: %s\n", name, q)
			}
			if len(msgs) > 1 {
				fmt.Fprintf(g.stderr, "%s: %s %d of %d messages\n", name, done, count, len(msgs))
			}
			if err := errors.Join(errs...); err != nil {
				return fmt.Errorf("%s: %w", name, err)
			}
			return nil
		},
	}
	cmd.Flags().StringVar(&query, "query", "", "act on the messages this search finds (see posta search)")
	cmd.Flags().BoolVar(&dryRun, "dry-run", false, "list the messages that would be touched; change nothing")
	return cmd
}

// missingIDs names the ids that are not in msgs.
func missingIDs(ids []int64, msgs []accounts.Message) error {
	have := map[int64]bool{}
	for _, m := range msgs {
		have[m.ID] = true
	}
	var missing []string
	for _, id := range ids {
		if !have[id] {
			missing = append(missing, strconv.FormatInt(id, 10))
		}
	}
	return fmt.Errorf("no message %s in the cache (see posta list)", strings.Join(missing, ", "))
}
