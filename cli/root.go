// Package cli is posta's command line: the TUI launcher and the
// scriptable subcommands (sync, list, read, send, render, demo, ...).
// Every command builds the same core: configuration, cache, accounts.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/sanitize"
)

// globals are the flags every command shares.
type globals struct {
	config   string
	cacheDir string
	dataDir  string
	account  string
	stdin    io.Reader
	stdout   io.Writer
	stderr   io.Writer

	traceFlags
	logState logState
}

// Main runs posta with args (without the program name) and returns the
// exit status.
func Main(args []string) int {
	ctx, stop := signal.NotifyContext(context.Background(), stopSignals()...)
	defer stop()
	return run(ctx, &globals{stdin: os.Stdin, stdout: os.Stdout, stderr: os.Stderr}, args)
}

// run is Main on g's streams. Every error is printed made safe: it may
// carry a server's words.
func run(ctx context.Context, g *globals, args []string) int {
	if status, ok := mailtoMain(ctx, g, args); ok {
		return status
	}
	defer startProfile()()
	root := newRoot(g)
	root.SetArgs(args)
	defer g.closeTrace()
	defer g.closeLog()
	if cmd, err := root.ExecuteContextC(ctx); err != nil {
		g.logCommandError(cmd, err)
		fmt.Fprintln(g.stderr, "posta:", sanitize.Text(err.Error()))
		var ee exitError
		if errors.As(err, &ee) {
			return int(ee)
		}
		return 1
	}
	return 0
}

// stopSignals are the signals that end posta the way q does: the work
// in progress is cancelled and the cache is closed cleanly (so the next
// start skips the integrity check). SIGHUP is the terminal window
// closing; it is left alone when posta was started with it ignored
// (nohup posta sync), as the user asked.
func stopSignals() []os.Signal {
	sigs := []os.Signal{os.Interrupt, syscall.SIGTERM}
	if !signal.Ignored(syscall.SIGHUP) {
		sigs = append(sigs, syscall.SIGHUP)
	}
	return sigs
}

// exitError carries a specific exit status.
type exitError int

func (e exitError) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

func newRoot(g *globals) *cobra.Command {
	root := &cobra.Command{
		Use:   "posta",
		Short: "A terminal mail client for IMAP, POP3 and SMTP",
		Long: `posta reads, searches and sends mail in the terminal.

Run it with no command to open the mail reader on your configured accounts.
No configuration yet? Try "posta demo", which starts local mail servers
seeded with mail and opens the reader on them.`,
		Version:       version(),
		SilenceUsage:  true,
		SilenceErrors: true,
		Args:          cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runTUI(cmd.Context(), g)
		},
	}
	root.SetIn(g.stdin)
	root.SetOut(g.stdout)
	root.SetErr(g.stderr)
	pf := root.PersistentFlags()
	pf.StringVar(&g.config, "config", "", "configuration file (env POSTA_CONFIG; default <user config dir>/posta/config.toml)")
	pf.StringVar(&g.cacheDir, "cache-dir", os.Getenv("POSTA_CACHE_DIR"), "cache folder (env POSTA_CACHE_DIR; default <user cache dir>/posta)")
	pf.StringVar(&g.dataDir, "data-dir", os.Getenv("POSTA_DATA_DIR"), "folder for POP3 mail, the only copy (env POSTA_DATA_DIR)")
	pf.StringVar(&g.account, "account", "", "account to use (default: the default account)")
	pf.StringVar(&g.traceFlags.path, "trace", "", "write the IMAP, POP3 and SMTP conversations to this file, credentials redacted (env POSTA_TRACE)")
	pf.BoolVar(&g.traceFlags.bodies, "trace-bodies", false, "with --trace: also write message bodies")
	root.AddCommand(newManCmd(), newAddressesCmd(g), newKeysCmd(g))
	root.AddCommand(
		newDemoCmd(g), newSyncCmd(g), newListCmd(g), newReadCmd(g),
		newSendCmd(g), newRenderCmd(g), newAccountsCmd(g), newLoginCmd(g),
		newConfigCmd(g),
		newSearchCmd(g),
		newCacheCmd(g), newOutboxCmd(g),
		newOAuthCmd(g),
		newSetupCmd(g), newDoctorCmd(g), newImportCmd(g),
	)
	root.AddCommand(newActionCmds(g)...)
	root.AddCommand(newInviteCmd(g), newUnsubscribeCmd(g))
	return root
}

// configPath resolves the configuration file's path.
func (g *globals) configPath() (string, error) {
	if g.config != "" {
		return g.config, nil
	}
	return accounts.DefaultConfigPath()
}

// dirs resolves the cache and data folders. With --cache-dir and no
// --data-dir, POP3 mail goes under the cache folder's "data" subfolder,
// so one flag keeps a whole session (the demo, tests) in one place.
func (g *globals) dirs() (cacheDir, dataDir string, err error) {
	cacheDir = g.cacheDir
	if cacheDir == "" {
		base, err := os.UserCacheDir()
		if err != nil {
			return "", "", err
		}
		cacheDir = filepath.Join(base, "posta")
	}
	dataDir = g.dataDir
	switch {
	case dataDir != "":
	case g.cacheDir != "":
		dataDir = filepath.Join(cacheDir, "data")
	default:
		dataDir, err = defaultDataDir()
	}
	return cacheDir, dataDir, err
}

// defaultDataDir is where POP3 mail lives: $XDG_DATA_HOME/posta (or
// ~/.local/share/posta) on Unix, the user config folder elsewhere.
func defaultDataDir() (string, error) {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		if x := os.Getenv("XDG_DATA_HOME"); x != "" {
			return filepath.Join(x, "posta"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, ".local", "share", "posta"), nil
	}
	base, err := os.UserConfigDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "posta", "data"), nil
}

// core is what most commands need: the configuration, the cache and the
// accounts.
type core struct {
	cfg   *accounts.Config
	cache *accounts.Cache
	set   *accounts.Set
	// cancel ends the connections started ahead of the cache
	// (openCoreWith) that are still being opened.
	cancel context.CancelFunc
	// overlapClose: nothing uses the accounts' connections any more when
	// Close is called (sync), so their LOGOUT and the cache's close (its
	// last checkpoint) go on at once rather than one after the other.
	overlapClose bool
}

func (c *core) Close() {
	if c.overlapClose {
		done := make(chan struct{})
		go func() {
			c.set.Close() // logs out; the connections do not touch the cache
			close(done)
		}()
		c.cache.Close()
		<-done
	} else {
		c.set.Close()
		c.cache.Close()
	}
	c.cancel()
}

// loadConfig loads the configuration, with --trace applied.
func (g *globals) loadConfig() (*accounts.Config, error) {
	path, err := g.configPath()
	if err != nil {
		return nil, err
	}
	cfg, err := accounts.LoadConfig(path)
	if errors.Is(err, accounts.ErrNoConfig) {
		return nil, fmt.Errorf("%w\n\n%s", err, noConfigHelp(path))
	}
	if err != nil {
		return nil, err
	}
	if err := g.applyTrace(cfg); err != nil {
		return nil, err
	}
	return cfg, nil
}

// openCore loads the configuration and opens the cache and accounts.
func (g *globals) openCore() (*core, error) {
	c, _, err := g.openCoreWith(context.Background(), false)
	return c, err
}

// openCoreWith loads the configuration, builds the accounts (no cache
// yet, accounts.Open(cfg, nil)), then opens the cache and attaches it.
// It returns the accounts a command acts on: all of them, or the one
// --account names. With preconnect (sync), the sync lane of the first of
// them starts connecting and logging in (Preconnect; IMAP only) before
// the cache opens, so that the cache opens (a few ms, ~8 ms created
// anew) while the server answers (~15 ms to Dovecot on loopback, TLS and
// login).
func (g *globals) openCoreWith(ctx context.Context, preconnect bool) (*core, []*accounts.Account, error) {
	cfg, err := g.loadConfig()
	if err != nil {
		return nil, nil, err
	}
	cacheDir, dataDir, err := g.dirs()
	if err != nil {
		return nil, nil, err
	}
	set, err := accounts.Open(cfg, nil)
	if err != nil {
		return nil, nil, err
	}
	targets := set.Accounts
	if g.account != "" {
		a, err := set.Get(g.account)
		if err != nil {
			return nil, nil, err
		}
		targets = []*accounts.Account{a}
	}
	pctx, cancel := context.WithCancel(ctx)
	if preconnect {
		// Only the first account synced gains: the cache is open before
		// the next one's turn, and a connection opened ahead of it would
		// sit idle for as long as the first one's sync takes (a first
		// sync: minutes).
		targets[0].Preconnect(pctx)
	}
	c, err := accounts.OpenCache(cacheDir, dataDir)
	if err != nil {
		// Log out of what connected; cut what is still connecting
		// after abandonGrace.
		t := time.AfterFunc(abandonGrace, cancel)
		set.Close()
		t.Stop()
		cancel()
		return nil, nil, err
	}
	set.AttachCache(c)
	return &core{cfg: cfg, cache: c, set: set, cancel: cancel, overlapClose: preconnect}, targets, nil
}

// abandonGrace bounds how long a command, when the cache fails to open,
// waits for the connections it started meanwhile to finish, so as to log
// them out: a server that does not answer does not hold the error back.
const abandonGrace = 2 * time.Second

func noConfigHelp(path string) string {
	return fmt.Sprintf(`posta needs a configuration file to know your accounts. Let posta write
it from your address:
  posta setup
or write one at
  %s
(the README has a complete example), or try posta on local demo servers
with no configuration at all:
  posta demo`, path)
}
