package cli

import (
	"bufio"
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

func newAccountsCmd(g *globals) *cobra.Command {
	var asJSON bool
	cmd := &cobra.Command{
		Use:   "accounts",
		Short: "List the configured accounts",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			type row struct {
				Name        string `json:"name"`
				Kind        string `json:"kind"`
				Address     string `json:"address"`
				Default     bool   `json:"default"`
				State       string `json:"state"` // "ok", "failing" or "never synced"
				LastSync    string `json:"last_sync,omitempty"`
				LastOK      string `json:"last_ok,omitempty"`
				LastError   string `json:"last_error,omitempty"`
				InsecureTLS bool   `json:"insecure_tls"`
				Messages    int    `json:"messages"`
				Unread      int    `json:"unread"`
				Outbox      int    `json:"outbox"`
				Pending     int    `json:"pending"`
			}
			var rows []row
			for _, a := range c.set.Accounts {
				r := row{Name: a.Name(), Kind: a.Kind(), Address: a.Address(), Default: a == c.set.Default}
				folders, err := a.Folders()
				if err != nil {
					return err
				}
				for _, f := range folders {
					r.Messages += f.Total
					r.Unread += f.Unread
				}
				out, err := c.set.Outbox(a.Name())
				if err != nil {
					return err
				}
				r.Outbox = len(out)
				pending, err := a.Pending()
				if err != nil {
					return err
				}
				r.Pending = len(pending)
				r.InsecureTLS = a.InsecureTLS()
				st, err := a.State()
				if err != nil {
					return err
				}
				switch {
				case st.LastSync.IsZero():
					r.State = "never synced"
				case st.LastError != "":
					r.State = "failing"
				default:
					r.State = "ok"
				}
				if !st.LastSync.IsZero() {
					r.LastSync = st.LastSync.UTC().Format(time.RFC3339)
				}
				if !st.LastOK.IsZero() {
					r.LastOK = st.LastOK.UTC().Format(time.RFC3339)
				}
				r.LastError = st.LastError
				rows = append(rows, r)
			}
			if asJSON {
				return writeJSON(g.stdout, rows)
			}
			tw := tabwriter.NewWriter(g.stdout, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "NAME\tKIND\tADDRESS\tSTATE\tMESSAGES\tUNREAD\tOUTBOX\tPENDING")
			for _, r := range rows {
				name := r.Name
				if r.Default {
					name += " *"
				}
				state := r.State
				if r.LastError != "" {
					state += ": " + ansi.Truncate(sanitize.Line(r.LastError), 60, "…")
				}
				if r.InsecureTLS {
					state += " (TLS NOT VERIFIED)"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\n", sanitize.Line(name), r.Kind, sanitize.Line(r.Address), state, r.Messages, r.Unread, r.Outbox, r.Pending)
			}
			return tw.Flush()
		},
	}
	cmd.Flags().BoolVar(&asJSON, "json", false, "print JSON")
	return cmd
}

func newLoginCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "login ACCOUNT",
		Short: "Store an account's password in the OS keyring",
		Long: `Login asks for the account's password without echoing it and stores it in
the OS keyring (Secret Service, macOS Keychain, Windows Credential
Manager), where posta looks for it when no password_command is set.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			path, err := g.configPath()
			if err != nil {
				return err
			}
			cfg, err := accounts.LoadConfig(path)
			if err != nil {
				return err
			}
			if _, ok := cfg.Account(args[0]); !ok {
				return fmt.Errorf("login: no account %q in %s", args[0], path)
			}
			fmt.Fprintf(g.stderr, "Password for %s: ", args[0])
			var pw string
			if f, ok := g.stdin.(interface{ Fd() uintptr }); ok && term.IsTerminal(f.Fd()) {
				b, err := term.ReadPassword(f.Fd())
				fmt.Fprintln(g.stderr)
				if err != nil {
					return err
				}
				pw = string(b)
			} else {
				line, err := bufio.NewReader(g.stdin).ReadString('\n')
				if err != nil && line == "" {
					return fmt.Errorf("login: no password given")
				}
				pw = strings.TrimRight(line, "\r\n")
			}
			if pw == "" {
				return fmt.Errorf("login: empty password")
			}
			if err := accounts.StorePassword(args[0], pw); err != nil {
				return err
			}
			fmt.Fprintf(g.stderr, "Stored in the keyring for %s.\n", args[0])
			return nil
		},
	}
}
