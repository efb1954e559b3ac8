package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
	"github.com/posta-mail/posta/ui"
)

// mailtoMain handles `posta [global flags] mailto:...`, which cobra cannot
// route because the argument is not a subcommand name. It reports whether
// args are one mailto URI with only global flags (--config, --cache-dir,
// --data-dir, --account, before or after it) and, if so, the exit status.
//
// On a terminal the reader opens its composer on the draft; in a script
// the draft is printed as the editor would show it.
func mailtoMain(ctx context.Context, g *globals, args []string) (status int, handled bool) {
	uri, ok := mailtoArgs(g, args)
	if !ok {
		return 0, false
	}
	if err := runMailto(ctx, g, uri); err != nil {
		fmt.Fprintln(g.stderr, "posta:", sanitize.Text(err.Error()))
		return 1, true
	}
	return 0, true
}

// mailtoArgs finds the mailto URI among args and sets the global flags
// around it in g. It reports false, and leaves g alone, unless args are
// exactly one mailto URI and global flags.
func mailtoArgs(g *globals, args []string) (string, bool) {
	vals := map[string]*string{}
	config, cacheDir, dataDir, account := g.config, g.cacheDir, g.dataDir, g.account
	if cacheDir == "" {
		cacheDir = os.Getenv("POSTA_CACHE_DIR")
	}
	if dataDir == "" {
		dataDir = os.Getenv("POSTA_DATA_DIR")
	}
	vals["--config"], vals["--cache-dir"], vals["--data-dir"], vals["--account"] = &config, &cacheDir, &dataDir, &account
	uri := ""
	for i := 0; i < len(args); i++ {
		a := args[i]
		name, value, hasValue := strings.Cut(a, "=")
		dst, isFlag := vals[name]
		switch {
		case isFlag && hasValue:
			*dst = value
		case isFlag && i+1 < len(args):
			*dst = args[i+1]
			i++
		case isMailto(a) && uri == "":
			uri = a
		default:
			return "", false
		}
	}
	if uri == "" {
		return "", false
	}
	g.config, g.cacheDir, g.dataDir, g.account = config, cacheDir, dataDir, account
	return uri, true
}

func isMailto(arg string) bool {
	return len(arg) >= 7 && strings.EqualFold(arg[:7], "mailto:")
}

func runMailto(ctx context.Context, g *globals, uri string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	d, err := composeFromMailto(g, uri)
	if err != nil {
		return err
	}
	if isTerminal(g.stdout) && isTerminal(g.stdin) {
		// A person clicked a mailto: link: open the composer on it.
		c, err := g.openCore()
		if err != nil {
			return err
		}
		defer c.Close()
		return startTUI(ctx, c.set, g.withLog(uiOptions(c.cfg, ui.Options{Account: g.account, Compose: &d})))
	}
	// A script: print the draft as the editor would show it.
	text := d.EditorText()
	if isTerminal(g.stdout) {
		text = sanitize.Text(text)
	}
	_, err = fmt.Fprint(g.stdout, text)
	return err
}

// composeFromMailto parses uri into a draft from the chosen (or default)
// account when a configuration exists; without one From stays empty.
func composeFromMailto(g *globals, uri string) (message.Draft, error) {
	d, err := message.ParseMailto(uri)
	if err != nil {
		return message.Draft{}, err
	}
	path, err := g.configPath()
	if err != nil {
		return d, nil
	}
	cfg, err := accounts.LoadConfig(path)
	if errors.Is(err, accounts.ErrNoConfig) {
		return d, nil
	}
	if err != nil {
		return message.Draft{}, err
	}
	if ac := pickAccount(cfg, g.account); ac != nil {
		d.From = mail.Address{Name: ac.DisplayName, Addr: ac.Address}.String()
	}
	return d, nil
}

// pickAccount returns the account named name, else the default one, else
// the first; nil when there is none.
func pickAccount(cfg *accounts.Config, name string) *accounts.AccountConfig {
	if name == "" {
		name = cfg.DefaultAccount
	}
	for i := range cfg.Accounts {
		if cfg.Accounts[i].Name == name {
			return &cfg.Accounts[i]
		}
	}
	if len(cfg.Accounts) > 0 {
		return &cfg.Accounts[0]
	}
	return nil
}
