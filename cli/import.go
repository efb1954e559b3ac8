package cli

import (
	"bufio"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/importer"
)

type importOptions struct {
	yes, storePasswords bool
	caFile              string
}

func newImportCmd(g *globals) *cobra.Command {
	var o importOptions
	cmd := &cobra.Command{
		Use:       "import aerc|neomutt|himalaya [FILE]",
		Short:     "Add the accounts of aerc, neomutt (or mutt) or himalaya to the configuration",
		ValidArgs: []string{"aerc", "neomutt", "himalaya"},
		Long: `Import reads the accounts another mail client has written down and appends
them to posta's configuration file, commented, for you to review; text
already in the file is never rewritten.

  aerc      accounts.conf (default ~/.config/aerc/accounts.conf)
  neomutt   a neomuttrc or muttrc, following its source lines (default
            ~/.config/neomutt/neomuttrc, ~/.neomuttrc, ~/.muttrc)
  himalaya  config.toml (default ~/.config/himalaya/config.toml)

Password commands (aerc's *-cred-cmd, mutt's backticks, himalaya's
auth.cmd) become password_command. Passwords written in clear are never
copied into posta's file: with --store-passwords (or your yes on a
terminal) they go to the OS keyring, else run posta login ACCOUNT.
Accounts posta cannot use as they are (no SMTP server, say) are written
commented out, with the reason.`,
		Args: cobra.RangeArgs(1, 2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runImport(g, &o, args)
		},
	}
	f := cmd.Flags()
	f.BoolVar(&o.yes, "yes", false, "append the accounts without asking")
	f.BoolVar(&o.storePasswords, "store-passwords", false, "move passwords written in clear to the OS keyring")
	f.StringVar(&o.caFile, "ca-file", "", "trust only the certificates in this PEM file for the imported servers (written as ca_file)")
	return cmd
}

func defaultImportFile(program string) (string, error) {
	home, err := os.UserHomeDir()
	if err != nil {
		return "", err
	}
	cfg, err := os.UserConfigDir()
	if err != nil {
		cfg = filepath.Join(home, ".config")
	}
	if x := os.Getenv("XDG_CONFIG_HOME"); x != "" {
		cfg = x
	}
	var candidates []string
	switch program {
	case "aerc":
		candidates = []string{filepath.Join(cfg, "aerc", "accounts.conf")}
	case "neomutt":
		candidates = []string{filepath.Join(cfg, "neomutt", "neomuttrc"), filepath.Join(home, ".neomuttrc"),
			filepath.Join(cfg, "mutt", "muttrc"), filepath.Join(home, ".muttrc")}
	case "himalaya":
		candidates = []string{filepath.Join(cfg, "himalaya", "config.toml")}
	}
	for _, c := range candidates {
		if _, err := os.Stat(c); err == nil {
			return c, nil
		}
	}
	return "", fmt.Errorf("import: no %s configuration found (looked at %s): give the file", program, strings.Join(candidates, ", "))
}

func runImport(g *globals, o *importOptions, args []string) error {
	program := args[0]
	file := ""
	if len(args) > 1 {
		file = args[1]
	}
	if file == "" {
		var err error
		if file, err = defaultImportFile(program); err != nil {
			return err
		}
	}
	var found []importer.Account
	var skipped []string
	var err error
	switch program {
	case "aerc":
		var f *os.File
		if f, err = os.Open(file); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		found, skipped, err = importer.Aerc(f)
		f.Close()
	case "neomutt", "mutt":
		home, _ := os.UserHomeDir()
		found, err = importer.Neomutt(file, home)
	case "himalaya":
		var data []byte
		if data, err = os.ReadFile(file); err != nil {
			return fmt.Errorf("import: %w", err)
		}
		found, skipped, err = importer.Himalaya(string(data))
	default:
		return fmt.Errorf("import: %q is not aerc, neomutt or himalaya", program)
	}
	if err != nil {
		return err
	}
	for _, s := range skipped {
		fmt.Fprintf(g.stderr, "skipped %s\n", s)
	}
	if len(found) == 0 {
		return fmt.Errorf("import: no account posta can use in %s", file)
	}
	path, err := g.configPath()
	if err != nil {
		return err
	}
	existing, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("import: %w", err)
	}
	var p *prompter
	if f, ok := g.stdin.(interface{ Fd() uintptr }); ok && term.IsTerminal(f.Fd()) && !o.yes {
		p = &prompter{in: bufio.NewReader(g.stdin), out: g.stderr, fd: f.Fd()}
	}
	if p == nil && !o.yes {
		return errors.New("import: not on a terminal: add --yes to append the accounts")
	}
	caFile := ""
	if o.caFile != "" {
		if caFile, err = filepath.Abs(o.caFile); err != nil {
			return err
		}
	}
	text := string(existing)
	var blocks strings.Builder
	type secret struct{ account, password string }
	var secrets []secret
	now := time.Now()
	for _, a := range found {
		a.Name = uniqueName(a.Name, text+blocks.String())
		if caFile != "" {
			a.Fetch.CAFile, a.SMTP.CAFile = caFile, caFile
		}
		if a.FetchPassword != "" || a.SMTPPassword != "" {
			pw := a.FetchPassword
			if pw == "" {
				pw = a.SMTPPassword
			}
			if a.FetchPassword != "" && a.SMTPPassword != "" && a.FetchPassword != a.SMTPPassword {
				a.Notes = append(a.Notes, "the SMTP password differs from the incoming one: give the SMTP server a password_command")
			}
			secrets = append(secrets, secret{a.Name, pw})
			a.Notes = append(a.Notes, fmt.Sprintf("a password was written in clear in %s; it is not copied here (posta login %s stores it in the OS keyring)", file, a.Name))
		}
		blocks.WriteString(importBlock(a, file, now))
	}
	if p != nil {
		fmt.Fprintf(g.stderr, "This will be added to %s:\n%s\n", path, blocks.String())
		if ok, err := p.yesNo(fmt.Sprintf("Append %d account(s)?", len(found)), true); err != nil || !ok {
			if err == nil {
				err = errors.New("import: nothing written")
			}
			return err
		}
	}
	if err := appendAccount(path, existing, blocks.String()); err != nil {
		return err
	}
	fmt.Fprintf(g.stdout, "Appended %d account(s) from %s to %s; review them, then run posta config check\n", len(found), file, path)
	store := o.storePasswords
	if len(secrets) > 0 && p != nil && !store {
		store, _ = p.yesNo(fmt.Sprintf("Move the %d password(s) written in clear to the OS keyring?", len(secrets)), false)
	}
	for _, s := range secrets {
		if !store {
			fmt.Fprintf(g.stdout, "%s: its password is not copied: run posta login %s\n", s.account, s.account)
			continue
		}
		if err := accounts.StorePassword(s.account, s.password); err != nil {
			fmt.Fprintf(g.stdout, "%s: the password could not be stored in the OS keyring (%v): add a password_command to the account, or set %s\n", s.account, err, accounts.EnvPasswordVar(s.account))
		} else {
			fmt.Fprintf(g.stdout, "%s: password stored in the OS keyring; you may now remove it from %s\n", s.account, file)
		}
	}
	return nil
}

// importBlock writes an imported account; one posta cannot use as it
// is (no SMTP host) is written commented out.
func importBlock(a importer.Account, file string, now time.Time) string {
	var b strings.Builder
	fmt.Fprintf(&b, "\n# %s, imported from %s (%s) by posta import on %s.\n", a.Address, a.From, file, now.Format("2006-01-02"))
	for _, n := range a.Notes {
		fmt.Fprintf(&b, "# Review: %s\n", n)
	}
	var body strings.Builder
	accountTOML(&body, a.AccountConfig)
	if a.SMTP.Host == "" || a.Fetch.Host == "" {
		b.WriteString("# Commented out until it has an SMTP server (uncomment and complete it):\n")
		for _, l := range strings.Split(strings.TrimRight(body.String(), "\n"), "\n") {
			b.WriteString("# " + l + "\n")
		}
		return b.String()
	}
	b.WriteString(body.String())
	return b.String()
}
