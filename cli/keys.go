package cli

import (
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/sanitize"
)

// maxKeyBytes bounds a key file posta keys import reads.
const maxKeyBytes = 16 << 20

func newKeysCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "keys",
		Short: "List, import and export OpenPGP keys (gpg's keyring, or the built-in one)",
		Long: `Keys manages the OpenPGP keys posta signs, encrypts, verifies and decrypts
with, for the --account account (or the default one): gpg's keyring (its
gnupg_home, else GNUPGHOME or ~/.gnupg) when gpg is installed, else the
built-in keyring file named by the account's pgp_keyring.

  posta keys list [PATTERN…] [--json]   the keys, with user ids, state and whether the secret part is there
  posta keys import FILE|-              add keys (armored or binary; secret keys too)
  posta keys export [PATTERN…]          print public keys, armored
  posta keys peers [--json]             correspondents' keys learnt from Autocrypt headers`,
	}
	var asJSON bool
	list := &cobra.Command{
		Use:   "list [PATTERN…]",
		Short: "List the OpenPGP keys",
		RunE: func(cmd *cobra.Command, args []string) error {
			e := g.cryptoEngine()
			keys, err := e.ListKeys(args...)
			if err != nil {
				return fmt.Errorf("keys: %w", err)
			}
			if asJSON {
				if keys == nil {
					return writeJSON(g.stdout, []any{})
				}
				return writeJSON(g.stdout, keys)
			}
			where := "gpg's keyring"
			if e.Builtin() {
				where = "the built-in keyring"
			}
			if len(keys) == 0 {
				fmt.Fprintf(g.stdout, "no keys in %s\n", where)
				return nil
			}
			for _, k := range keys {
				kind := "pub"
				if k.Secret {
					kind = "sec"
				}
				state := k.State
				if k.Expires != "" {
					state += ", expires " + k.Expires
				}
				fmt.Fprintf(g.stdout, "%s %s [%s]\n", kind, sanitize.Line(k.Fingerprint), sanitize.Line(state))
				for _, u := range k.UserIDs {
					fmt.Fprintf(g.stdout, "    %s\n", sanitize.Line(u))
				}
			}
			return nil
		},
	}
	list.Flags().BoolVar(&asJSON, "json", false, "print the keys as JSON")

	imp := &cobra.Command{
		Use:   "import FILE|-",
		Short: "Import OpenPGP keys from a file or stdin",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			var in io.Reader = g.stdin
			if args[0] != "-" {
				f, err := os.Open(args[0])
				if err != nil {
					return fmt.Errorf("keys import: %w", err)
				}
				defer f.Close()
				in = f
			}
			data, err := io.ReadAll(io.LimitReader(in, maxKeyBytes+1))
			if err != nil {
				return fmt.Errorf("keys import: %w", err)
			}
			if len(data) > maxKeyBytes {
				return fmt.Errorf("keys import: larger than %d MiB", maxKeyBytes>>20)
			}
			said, err := g.cryptoEngine().ImportKeys(data)
			if err != nil {
				return fmt.Errorf("keys import: %w", err)
			}
			fmt.Fprintln(g.stderr, sanitize.Line(said))
			return nil
		},
	}

	exp := &cobra.Command{
		Use:   "export [PATTERN…]",
		Short: "Print public OpenPGP keys, armored",
		RunE: func(cmd *cobra.Command, args []string) error {
			out, err := g.cryptoEngine().ExportKeys(args...)
			if err != nil {
				return fmt.Errorf("keys export: %w", err)
			}
			_, err = g.stdout.Write(out)
			return err
		},
	}

	var peersJSON bool
	peers := &cobra.Command{
		Use:   "peers",
		Short: "List the keys learnt from Autocrypt headers",
		RunE: func(cmd *cobra.Command, args []string) error {
			c, err := g.openCore()
			if err != nil {
				return err
			}
			defer c.Close()
			name := g.account
			if name == "" {
				name = c.cfg.DefaultAccount
			}
			if name == "" && len(c.cfg.Accounts) > 0 {
				name = c.cfg.Accounts[0].Name
			}
			a, err := c.set.Get(name)
			if err != nil {
				return err
			}
			list, err := a.AutocryptPeers()
			if err != nil {
				return err
			}
			if peersJSON {
				if list == nil {
					return writeJSON(g.stdout, []any{})
				}
				return writeJSON(g.stdout, list)
			}
			for _, p := range list {
				pref := p.PreferEncrypt
				if pref == "" {
					pref = "no preference"
				}
				fmt.Fprintf(g.stdout, "%s  %s  seen %s  key of %s\n", p.Addr, pref, p.LastSeen.Format("2006-01-02"), p.AutocryptTS.Format("2006-01-02"))
			}
			if len(list) == 0 {
				fmt.Fprintln(g.stdout, "no Autocrypt peers yet in "+sanitize.Line(strings.TrimSpace(name)))
			}
			return nil
		},
	}
	peers.Flags().BoolVar(&peersJSON, "json", false, "print the peers as JSON")
	cmd.AddCommand(list, imp, exp, peers)
	return cmd
}
