package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/logfile"
	"github.com/posta-mail/posta/sanitize"
)

func newDoctorCmd(g *globals) *cobra.Command {
	var servers bool
	cmd := &cobra.Command{
		Use:   "doctor",
		Short: "Print what a bug report needs: version, system, terminal, configuration without secrets, accounts, cache",
		Long: `Doctor prints, ready to paste into a bug report: posta's version and build,
the operating system, the terminal (TERM, size, colours), the configuration
with every password, secret and password command argument removed, each
account's state (last good sync, last error, pending actions, outbox) and
the cache's size and schema version.

It connects to no server unless --servers is given: then it logs in to
each account's servers as "posta config check" does and adds what each
said it can do (IMAP CAPABILITY, POP3 CAPA, SMTP EHLO). Addresses and
host names are shown: look the report over before you post it. For a
record of what was said with a server, run the failing command again
with --trace FILE.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDoctor(cmd.Context(), g, servers)
		},
	}
	cmd.Flags().BoolVar(&servers, "servers", false, "also log in to the servers and list their capabilities")
	return cmd
}

func runDoctor(ctx context.Context, g *globals, servers bool) error {
	w := g.stdout
	section := func(title string) { fmt.Fprintf(w, "\n## %s\n\n", title) }
	fmt.Fprintln(w, "# posta doctor")
	section("posta")
	fmt.Fprintf(w, "version: %s\n", version())
	fmt.Fprintf(w, "system:  %s/%s, %d CPUs\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU())

	section("terminal")
	for _, v := range []string{"TERM", "COLORTERM", "TERM_PROGRAM", "LANG", "LC_ALL", "NO_COLOR", "TMUX"} {
		if val, ok := os.LookupEnv(v); ok {
			if v == "TMUX" {
				val = "(set)"
			}
			fmt.Fprintf(w, "%s=%s\n", v, sanitize.Line(val))
		}
	}
	fmt.Fprintf(w, "stdin: %s, stdout: %s\n", termInfo(g.stdin), termInfo(g.stdout))
	fmt.Fprintf(w, "colours: %s\n", colourSupport())

	section("configuration")
	path, err := g.configPath()
	if err != nil {
		return err
	}
	cfg, problems, err := accounts.CheckConfigFile(path)
	switch {
	case errors.Is(err, accounts.ErrNoConfig):
		fmt.Fprintf(w, "%s: none (posta setup writes one)\n", sanitize.Line(path))
	case err != nil:
		fmt.Fprintf(w, "%s: %s\n", sanitize.Line(path), sanitize.Line(err.Error()))
	default:
		if fi, err := os.Stat(path); err == nil {
			fmt.Fprintf(w, "%s (mode %v), secrets removed:\n", sanitize.Line(path), fi.Mode().Perm())
		}
		for _, p := range problems {
			fmt.Fprintf(w, "problem: %s\n", sanitize.Line(p.String()))
		}
		if cfg != nil {
			fmt.Fprintln(w, "```toml")
			io.WriteString(w, scrubbedConfig(cfg))
			fmt.Fprintln(w, "```")
		}
	}

	cacheDir, dataDir, err := g.dirs()
	if err != nil {
		return err
	}
	section("accounts")
	if cfg != nil && len(problems) == 0 {
		doctorAccounts(g, w)
		if servers {
			section("servers")
			doctorServers(ctx, g, w, cfg)
		}
	} else {
		fmt.Fprintln(w, "(no valid configuration)")
	}

	section("signed and encrypted mail")
	doctorCrypto(w)

	section("cache")
	fmt.Fprintf(w, "cache folder: %s, %s\n", sanitize.Line(cacheDir), dirSize(cacheDir))
	fmt.Fprintf(w, "data folder:  %s, %s\n", sanitize.Line(dataDir), dirSize(dataDir))
	fmt.Fprintf(w, "index schema version: %d\n", accounts.CacheSchemaVersion())
	doctorLog(g, w)
	if p := g.traceFlags.path; p != "" || os.Getenv("POSTA_TRACE") != "" {
		if p == "" {
			p = os.Getenv("POSTA_TRACE")
		}
		fmt.Fprintf(w, "\ntrace file: %s\n", sanitize.Line(p))
	}
	return nil
}

// doctorAccounts prints each account's state from the cache.
func doctorAccounts(g *globals, w io.Writer) {
	c, err := g.openCore()
	if err != nil {
		fmt.Fprintf(w, "cannot open the accounts: %s\n", sanitize.Line(err.Error()))
		return
	}
	defer c.Close()
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tKIND\tLAST SYNC\tLAST GOOD SYNC\tPENDING\tOUTBOX\tMESSAGES\tLAST ERROR")
	at := func(t time.Time) string {
		if t.IsZero() {
			return "never"
		}
		return t.UTC().Format(time.RFC3339)
	}
	var caps []string
	for _, a := range c.set.Accounts {
		st, err := a.State()
		if err != nil {
			fmt.Fprintf(tw, "%s\t%s\t%s\n", sanitize.Line(a.Name()), a.Kind(), sanitize.Line(err.Error()))
			continue
		}
		pending, _ := a.Pending()
		out, _ := c.set.Outbox(a.Name())
		msgs := 0
		if folders, err := a.Folders(); err == nil {
			for _, f := range folders {
				msgs += f.Total
			}
		}
		lastErr := st.LastError
		if lastErr == "" {
			lastErr = "-"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d\t%d\t%s\n", sanitize.Line(a.Name()), a.Kind(),
			at(st.LastSync), at(st.LastOK), len(pending), len(out), msgs, sanitize.Line(lastErr))
		if len(st.ServerCaps) > 0 {
			caps = append(caps, fmt.Sprintf("%s: %s", sanitize.Line(a.Name()), sanitize.Line(strings.Join(st.ServerCaps, " "))))
		}
	}
	tw.Flush()
	if len(caps) > 0 {
		fmt.Fprintln(w, "\nserver capabilities at the last login:")
		for _, line := range caps {
			fmt.Fprintln(w, line)
		}
	}
}

// scrubbedConfig writes cfg back as TOML without its secrets: passwords
// and client secrets are removed, and commands keep only their program.
func scrubbedConfig(cfg *accounts.Config) string {
	var b strings.Builder
	if cfg.DefaultAccount != "" {
		fmt.Fprintf(&b, "default_account = %s\n", tomlString(cfg.DefaultAccount))
	}
	if cfg.Editor != "" {
		fmt.Fprintf(&b, "editor = %s\n", tomlString(cfg.Editor))
	}
	if cfg.Bell {
		b.WriteString("bell = true\n")
	}
	if len(cfg.NotifyCommand) > 0 {
		fmt.Fprintf(&b, "notify_command = %s\n", tomlStrings(scrubCommand(cfg.NotifyCommand)))
	}
	if len(cfg.Keys) > 0 {
		fmt.Fprintf(&b, "# [keys]: %d contexts rebound\n", len(cfg.Keys))
	}
	if cfg.Theme != (accounts.ThemeConfig{}) {
		fmt.Fprintf(&b, "[theme]\naccent = %s\ndim = %s\nwarning = %s\n",
			tomlString(cfg.Theme.Accent), tomlString(cfg.Theme.Dim), tomlString(cfg.Theme.Warning))
	}
	for _, ac := range cfg.Accounts {
		for _, s := range []*accounts.ServerConfig{&ac.Fetch.ServerConfig, &ac.SMTP} {
			if s.Password != "" {
				s.Password = "[removed]"
			}
			s.PasswordCommand = scrubCommand(s.PasswordCommand)
			s.OAuth2TokenCommand = scrubCommand(s.OAuth2TokenCommand)
			s.OAuth2ClientSecret = ""
		}
		ac.Signature = ""
		b.WriteString("\n")
		accountTOML(&b, ac)
	}
	return b.String()
}

// scrubCommand keeps a command's program and hides its arguments, which
// may hold a secret ("echo hunter2").
func scrubCommand(argv []string) []string {
	if len(argv) <= 1 {
		return argv
	}
	return []string{argv[0], fmt.Sprintf("[%d arguments removed]", len(argv)-1)}
}

func termInfo(f any) string {
	fd, ok := f.(interface{ Fd() uintptr })
	if !ok || !term.IsTerminal(fd.Fd()) {
		return "not a terminal"
	}
	if w, h, err := term.GetSize(fd.Fd()); err == nil {
		return fmt.Sprintf("terminal %dx%d", w, h)
	}
	return "terminal"
}

func colourSupport() string {
	switch ct := strings.ToLower(os.Getenv("COLORTERM")); {
	case os.Getenv("NO_COLOR") != "":
		return "none (NO_COLOR)"
	case ct == "truecolor" || ct == "24bit":
		return "24-bit"
	case strings.Contains(os.Getenv("TERM"), "256color"):
		return "256"
	case os.Getenv("TERM") == "dumb" || os.Getenv("TERM") == "":
		return "none"
	}
	return "16"
}

// dirSize sums the sizes of the files under dir.
func dirSize(dir string) string {
	var total int64
	files := 0
	err := filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.Type().IsRegular() {
			if fi, err := d.Info(); err == nil {
				total += fi.Size()
				files++
			}
		}
		return nil
	})
	if errors.Is(err, fs.ErrNotExist) {
		return "does not exist"
	}
	s := fmt.Sprintf("%d files, %.1f MB", files, float64(total)/1e6)
	if err != nil {
		s += " (" + sanitize.Line(err.Error()) + ")"
	}
	return s
}

// doctorLog prints where the log is and its last lines.
func doctorLog(g *globals, w io.Writer) {
	section := "\n## log\n\n"
	dir, err := g.logDir()
	if err != nil {
		fmt.Fprintf(w, "%slog folder unknown: %s\n", section, sanitize.Line(err.Error()))
		return
	}
	path := filepath.Join(dir, logfile.Name)
	data, err := os.ReadFile(path)
	if err != nil {
		fmt.Fprintf(w, "%s%s: empty\n", section, sanitize.Line(path))
		return
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > doctorLogLines {
		lines = lines[len(lines)-doctorLogLines:]
	}
	fmt.Fprintf(w, "%s%s, the last %d lines:\n", section, sanitize.Line(path), len(lines))
	for _, l := range lines {
		fmt.Fprintln(w, sanitize.Line(l))
	}
}

// doctorLogLines is how many of the log's last lines doctor shows.
const doctorLogLines = 20
