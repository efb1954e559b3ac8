package cli

import (
	"errors"
	"fmt"
	netmail "net/mail"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/internal/when"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// outboxTarget finds the account of outbox item arg, checking it against
// --account.
func outboxTarget(g *globals, c *core, arg string) (*accounts.Account, accounts.OutboxItem, error) {
	id, err := strconv.ParseInt(arg, 10, 64)
	if err != nil {
		return nil, accounts.OutboxItem{}, fmt.Errorf("%q is not an outbox id (see \"posta outbox\")", arg)
	}
	a, it, err := c.set.OutboxItem(id)
	if err != nil {
		return nil, it, fmt.Errorf("outbox %d: not in the outbox (sent, cancelled, or never there)", id)
	}
	if g.account != "" && a.Name() != g.account {
		return nil, it, fmt.Errorf("outbox %d belongs to account %s, not %s", id, a.Name(), g.account)
	}
	return a, it, nil
}

func newOutboxCancelCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "cancel ID...",
		Short: "Remove messages from the outbox without sending them",
		Long: `Cancel removes the outbox messages with these ids (see "posta outbox")
without sending them. A message a posta process is sending at this very
moment cannot be cancelled any more, and one already sent is gone: both
are reported, and the exit status is non-zero.`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			var errs []error
			for _, arg := range args {
				a, it, err := outboxTarget(g, c, arg)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				subject := c.set.OutboxSubject(it.ID)
				if err := a.CancelOutbox(it.ID); err != nil {
					errs = append(errs, err)
					continue
				}
				fmt.Fprintf(g.stderr, "cancelled outbox %d (%s)\n", it.ID, sanitize.Line(subject))
			}
			return errors.Join(errs...)
		},
	}
}

func newOutboxEditCmd(g *globals) *cobra.Command {
	var at string
	var now, noEditor bool
	cmd := &cobra.Command{
		Use:   "edit ID",
		Short: "Edit a message waiting in the outbox, or change when it is sent",
		Long: `Edit takes the outbox message ID back (no posta process sends it
meanwhile), opens it in the configured editor ($VISUAL, $EDITOR; the
built-in editor only works in the reader) as the reader's composer does,
and puts the result back in the outbox with the same send time, or the
one --at gives ("in 2h", "tomorrow 8:00", "2026-12-24 09:00"); --now sends
it with the next sync. With --no-editor only the time changes. If the
editor fails or the edited text is not a valid message, the message
stays in the outbox as it was. A signed or encrypted message is edited
as the message it was made from (kept beside it when it was scheduled)
and signed or encrypted again with the next send; one scheduled without
that copy can only be cancelled and written anew.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if at != "" && now {
				return errors.New("outbox edit: --at and --now exclude each other")
			}
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			a, it, err := outboxTarget(g, c, args[0])
			if err != nil {
				return err
			}
			sendAt := it.SendAt
			switch {
			case now:
				sendAt = time.Time{}
			case at != "":
				if sendAt, err = when.Parse(at, time.Now()); err != nil {
					return fmt.Errorf("outbox edit: --at %w", err)
				}
			}
			if noEditor {
				if err := a.Reschedule(it.ID, sendAt); err != nil {
					return err
				}
				fmt.Fprintf(g.stderr, "outbox %d: %s\n", it.ID, describeSendAt(sendAt))
				return nil
			}
			id, err := editOutboxItem(g, c.cfg.Editor, a, it.ID, sendAt)
			if err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "outbox %d replaced by outbox %d: %s\n", it.ID, id, describeSendAt(sendAt))
			return nil
		},
	}
	cmd.Flags().StringVar(&at, "at", "", `send it at this time instead: "in 2h", "tomorrow 8:00", "2026-12-24 09:00"`)
	cmd.Flags().BoolVar(&now, "now", false, "send it with the next sync")
	cmd.Flags().BoolVar(&noEditor, "no-editor", false, "only change when it is sent")
	return cmd
}

func describeSendAt(t time.Time) string {
	if t.IsZero() || !t.After(time.Now()) {
		return "sent with the next sync"
	}
	return "to be sent " + t.Local().Format(when.Layout)
}

// editOutboxItem takes item id back, lets the user edit it, and puts the
// edited message in the outbox to be sent at sendAt; it returns the new
// item's id. The old item leaves the outbox only once the new one is
// saved; on any failure before that it is given back unchanged.
func editOutboxItem(g *globals, editor string, a *accounts.Account, id int64, sendAt time.Time) (int64, error) {
	_, d, err := a.TakeBackDraft(id, false)
	if err != nil {
		return 0, err
	}
	fail := func(err error) (int64, error) {
		if gerr := a.GiveBack(id); gerr != nil {
			return 0, errors.Join(err, gerr)
		}
		return 0, fmt.Errorf("%w (outbox %d is unchanged)", err, id)
	}
	f, err := os.CreateTemp("", "posta-outbox-*.eml")
	if err != nil {
		return fail(err)
	}
	path := f.Name()
	defer os.Remove(path)
	_, err = f.WriteString(d.EditorText())
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fail(err)
	}
	argv := cliEditorArgv(editor)
	ed := exec.Command(argv[0], append(argv[1:], path)...)
	ed.Stdin, ed.Stdout, ed.Stderr = os.Stdin, os.Stdout, os.Stderr
	if err := ed.Run(); err != nil {
		return fail(fmt.Errorf("editor %s: %w", argv[0], err))
	}
	text, err := os.ReadFile(path)
	if err != nil {
		return fail(err)
	}
	edited, err := message.ParseEditorText(string(text))
	if err != nil {
		return fail(err)
	}
	edited = d.KeepDataAttachments(edited)
	raw, err := edited.Build(time.Now())
	if err != nil {
		return fail(err)
	}
	from := a.Address()
	if id, err := a.Identity(edited.From); err == nil {
		from = id.Address
	} else if p, perr := netmail.ParseAddress(edited.From); perr == nil {
		from = p.Address
	}
	to := edited.Recipients()
	var kept []byte
	if edited.Sign || edited.Encrypt {
		// Signed or encrypted again, as its X-Posta-Crypto line says, and
		// its draft kept again for the next edit.
		if kept, err = edited.BuildDraft(time.Now()); err != nil {
			return fail(err)
		}
		if raw, err = protectOutgoing(g, a, raw, from, to, edited.Bcc, edited.Sign, edited.Encrypt, edited.SMIME, true); err != nil {
			return fail(err)
		}
	}
	it, err := a.ScheduleDraft(from, to, raw, kept, sendAt)
	if err != nil {
		return fail(err)
	}
	if err := a.DropTaken(id); err != nil {
		return it.ID, fmt.Errorf("outbox %d was saved, but the old outbox %d is still there (held, never sent): %w", it.ID, id, err)
	}
	return it.ID, nil
}

// cliEditorArgv is the editor the command line runs: the configured one
// unless it is the reader's built-in editor, then $VISUAL, $EDITOR, and
// a platform default.
func cliEditorArgv(editor string) []string {
	if editor == "builtin" {
		editor = ""
	}
	for _, e := range []string{editor, os.Getenv("VISUAL"), os.Getenv("EDITOR")} {
		if f := strings.Fields(e); len(f) > 0 {
			return f
		}
	}
	if runtime.GOOS == "windows" {
		return []string{"notepad"}
	}
	return []string{"vi"}
}
