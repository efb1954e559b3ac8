package cli

import (
	"bufio"
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/charmbracelet/x/term"
	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/discover"
	"github.com/posta-mail/posta/sanitize"
)

// setupOptions are `posta setup`'s flags.
type setupOptions struct {
	address, displayName, name, kind, username string
	passwordCommand, caFile                    string
	yes, noCheck, plain                        bool
	// Hidden, for tests: the DNS server, the address every discovery
	// HTTPS connection goes to, and a CA trusted for discovery's HTTPS.
	dns, httpsAddr, discoverCA string
}

func newSetupCmd(g *globals) *cobra.Command {
	var o setupOptions
	cmd := &cobra.Command{
		Use:   "setup",
		Short: "Add an account from its address: find its servers, check them, write it to the configuration",
		Long: `Setup finds an account's servers from its address alone and adds the
account to the configuration file.

It looks in posta's table of large providers, then in the domain's
autoconfig document (https://autoconfig.DOMAIN/mail/config-v1.1.xml, the
.well-known one, then Thunderbird's ISP database), then in the domain's
DNS SRV records (RFC 6186), then at who runs its MX host, and finally
probes imap., pop., smtp. and mail. host names on the standard ports.
Every certificate is verified; implicit TLS is preferred.

It then logs in to the servers found (as "posta config check" does) and
appends a commented [[account]] to the configuration file, creating it
(readable by you alone) if needed. Text already in the file is never
rewritten.

On a terminal it shows a form for what the flags did not give (--plain
asks line by line instead). For scripts:
  posta setup --address me@example.org --kind imap \
    --password-command "pass show mail" --yes`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runSetup(cmd.Context(), g, &o)
		},
	}
	f := cmd.Flags()
	f.StringVar(&o.address, "address", "", "the account's mail address")
	f.StringVar(&o.displayName, "display-name", "", "your name, as it appears on mail you send")
	f.StringVar(&o.name, "name", "", "the account's name in posta (default: from the domain)")
	f.StringVar(&o.kind, "kind", "", "imap (mail stays on the server, in sync) or pop3 (mail is downloaded and kept here)")
	f.StringVar(&o.username, "username", "", "the login name, when it is not the one found")
	f.StringVar(&o.passwordCommand, "password-command", "", `a command that prints the password ("pass show mail")`)
	f.StringVar(&o.caFile, "ca-file", "", "trust only the certificates in this PEM file for the servers (written as ca_file)")
	f.BoolVar(&o.yes, "yes", false, "accept what was found and write the account without asking")
	f.BoolVar(&o.noCheck, "no-check", false, "write the account without logging in to its servers first")
	f.BoolVar(&o.plain, "plain", false, "on a terminal, ask line by line instead of the full-screen form")
	f.StringVar(&o.dns, "discover-dns", "", "DNS server for discovery (host:port)")
	f.StringVar(&o.httpsAddr, "discover-https", "", "send discovery's HTTPS requests to this host:port")
	f.StringVar(&o.discoverCA, "discover-ca", "", "PEM file of a CA trusted for discovery's HTTPS, besides the system roots")
	for _, h := range []string{"discover-dns", "discover-https", "discover-ca"} {
		f.MarkHidden(h)
	}
	return cmd
}

// prompter asks questions on the terminal, one line each.
type prompter struct {
	in  *bufio.Reader
	out io.Writer
	// fd is the terminal's, for reading passwords without echo; 0 when
	// stdin is not a terminal.
	fd uintptr
}

func (p *prompter) ask(question, def string) (string, error) {
	if def != "" {
		fmt.Fprintf(p.out, "%s [%s]: ", question, def)
	} else {
		fmt.Fprintf(p.out, "%s: ", question)
	}
	line, err := p.in.ReadString('\n')
	if err != nil && line == "" {
		return "", fmt.Errorf("setup: %w", err)
	}
	line = strings.TrimSpace(line)
	if line == "" {
		return def, nil
	}
	return line, nil
}

func (p *prompter) yesNo(question string, def bool) (bool, error) {
	d := "y/N"
	if def {
		d = "Y/n"
	}
	a, err := p.ask(question+" ("+d+")", "")
	if err != nil {
		return false, err
	}
	switch strings.ToLower(a) {
	case "":
		return def, nil
	case "y", "yes":
		return true, nil
	}
	return false, nil
}

func (p *prompter) password(question string) (string, error) {
	fmt.Fprintf(p.out, "%s: ", question)
	if p.fd != 0 {
		b, err := term.ReadPassword(p.fd)
		fmt.Fprintln(p.out)
		return string(b), err
	}
	line, err := p.in.ReadString('\n')
	if err != nil && line == "" {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func runSetup(ctx context.Context, g *globals, o *setupOptions) error {
	path, err := g.configPath()
	if err != nil {
		return err
	}
	var p *prompter
	if f, ok := g.stdin.(interface{ Fd() uintptr }); ok && term.IsTerminal(f.Fd()) && !o.yes {
		p = &prompter{in: bufio.NewReader(g.stdin), out: g.stderr, fd: f.Fd()}
	}
	if p == nil && !o.yes {
		return errors.New("setup: not on a terminal: give the account with flags (--address, --kind, --password-command) and --yes")
	}
	if p != nil && !o.plain {
		return runSetupForm(ctx, g, o, path)
	}
	if o.address == "" {
		if p == nil {
			return errors.New("setup: --address is needed")
		}
		if o.address, err = p.ask("Mail address", ""); err != nil {
			return err
		}
	}
	if !strings.Contains(o.address, "@") {
		return fmt.Errorf("setup: %q is not a mail address", o.address)
	}
	if p != nil && o.displayName == "" {
		if o.displayName, err = p.ask("Your name (shown on mail you send)", ""); err != nil {
			return err
		}
	}
	dopts, err := o.discoverOptions(g.stderr)
	if err != nil {
		return err
	}
	fmt.Fprintf(g.stderr, "Looking for the settings of %s…\n", o.address)
	found, err := discover.Discover(ctx, o.address, dopts)
	if err != nil {
		return fmt.Errorf("setup: %w; write the account by hand (see the README) or try again with the servers' names", err)
	}
	// What discovery found comes from DNS and from documents a domain
	// serves: made safe for the terminal like any server's words.
	fmt.Fprintf(g.stderr, "Found in %s:\n", sanitize.Line(found.Source))
	fmt.Fprintf(g.stderr, "  IMAP  %s\n  POP3  %s\n  SMTP  %s\n  login %s\n", sanitize.Line(found.IMAP.String()),
		sanitize.Line(found.POP3.String()), sanitize.Line(found.SMTP.String()), sanitize.Line(found.Username))
	for _, n := range found.Notes {
		fmt.Fprintf(g.stderr, "  note: %s\n", sanitize.Line(n))
	}
	if found.SMTP == nil {
		return errors.New("setup: no SMTP server found for sending; write the account by hand")
	}
	ac, err := o.account(found, p)
	if err != nil {
		return err
	}
	existing, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("setup: %w", err)
	}
	ac.Name = uniqueName(ac.Name, string(existing))
	secret, err := o.credentials(&ac, found, p)
	if err != nil {
		return err
	}
	if ac.Fetch.OAuth2Provider == "" && !o.noCheck {
		if err := setupCheck(ctx, g, ac, secret, p); err != nil {
			return err
		}
	}
	block := accountBlock(ac, found, time.Now())
	if p != nil {
		fmt.Fprintf(g.stderr, "\nThis will be added to %s:\n%s\n", path, block)
		if ok, err := p.yesNo("Write it?", true); err != nil || !ok {
			if err == nil {
				err = errors.New("setup: nothing written")
			}
			return err
		}
	}
	if err := appendAccount(path, existing, block); err != nil {
		return err
	}
	if secret != "" {
		if err := accounts.StorePassword(ac.Name, secret); err != nil {
			fmt.Fprintf(g.stderr, "The password could not be stored in the OS keyring (%v):\nadd a password_command to the account, or set %s\n", err, accounts.EnvPasswordVar(ac.Name))
		}
	}
	fmt.Fprintf(g.stdout, "Added account %q to %s\n", ac.Name, path)
	if ac.Fetch.OAuth2Provider != "" {
		fmt.Fprintf(g.stdout, "Sign in with: posta oauth %s\n", ac.Name)
	}
	fmt.Fprintf(g.stdout, "Fetch your mail with: posta sync   (or open the reader: posta)\n")
	return nil
}

// discoverOptions builds discovery's options from the hidden test flags.
func (o *setupOptions) discoverOptions(log io.Writer) (*discover.Options, error) {
	d := &discover.Options{Timeout: 30 * time.Second}
	if log != io.Discard {
		d.Log = func(format string, args ...any) {
			fmt.Fprintf(log, "  %s\n", sanitize.Line(fmt.Sprintf(format, args...)))
		}
	}
	if o.dns != "" {
		d.Resolver = discover.ResolverAt(o.dns)
	}
	if o.httpsAddr == "" && o.discoverCA == "" {
		return d, nil
	}
	tc := &tls.Config{MinVersion: tls.VersionTLS12}
	if o.discoverCA != "" {
		pool, err := x509.SystemCertPool()
		if err != nil {
			pool = x509.NewCertPool()
		}
		pem, err := os.ReadFile(o.discoverCA)
		if err != nil {
			return nil, fmt.Errorf("setup: %w", err)
		}
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("setup: %s holds no PEM certificate", o.discoverCA)
		}
		tc.RootCAs = pool
		d.RootCAs = pool
	}
	dialer := &net.Dialer{Resolver: d.Resolver, Timeout: 5 * time.Second}
	tr := &http.Transport{TLSClientConfig: tc, DialContext: dialer.DialContext}
	if o.httpsAddr != "" {
		d.NoISPDB, d.NoProbe = true, true
		tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
			return dialer.DialContext(ctx, network, o.httpsAddr)
		}
	}
	d.HTTPClient = &http.Client{Transport: tr, Timeout: 8 * time.Second, CheckRedirect: discover.HTTPSOnly}
	return d, nil
}

// account turns what was found into an account, asking on a terminal
// for what the flags left open.
func (o *setupOptions) account(found *discover.Result, p *prompter) (accounts.AccountConfig, error) {
	ac := accounts.AccountConfig{Address: o.address, DisplayName: o.displayName, Name: o.name}
	if ac.Name == "" {
		domain := o.address[strings.LastIndexByte(o.address, '@')+1:]
		ac.Name = strings.ToLower(strings.SplitN(domain, ".", 2)[0])
	}
	kind := strings.ToLower(o.kind)
	if kind == "" {
		kind = "imap"
		if found.IMAP == nil {
			kind = "pop3"
		}
		if p != nil && found.IMAP != nil && found.POP3 != nil {
			fmt.Fprintln(p.out, "\nThis provider offers both:\n"+
				"  imap  mail stays on the server, in sync with your other devices (folders, read flags)\n"+
				"  pop3  mail is downloaded and kept here; the server's copy can be deleted")
			var err error
			if kind, err = p.ask("imap or pop3", "imap"); err != nil {
				return ac, err
			}
		}
	}
	var in *discover.Server
	switch kind {
	case "imap":
		in = found.IMAP
	case "pop3":
		in = found.POP3
	default:
		return ac, fmt.Errorf("setup: --kind %q is not imap or pop3", kind)
	}
	if in == nil {
		return ac, fmt.Errorf("setup: no %s server found for %s", kind, o.address)
	}
	username := found.Username
	if o.username != "" {
		username = o.username
	} else if p != nil {
		var err error
		if username, err = p.ask("Login name", username); err != nil {
			return ac, err
		}
	}
	server := func(s *discover.Server) accounts.ServerConfig {
		return accounts.ServerConfig{Host: s.Host, Port: s.Port, Security: s.Security, Username: username}
	}
	ac.Fetch = accounts.FetchConfig{Kind: kind, ServerConfig: server(in)}
	ac.SMTP = server(found.SMTP)
	if o.caFile != "" {
		abs, err := filepath.Abs(o.caFile)
		if err != nil {
			return ac, err
		}
		ac.Fetch.CAFile, ac.SMTP.CAFile = abs, abs
	}
	return ac, nil
}

// credentials sets how the account logs in and returns a password to
// store in the keyring once the account is written ("" for none).
func (o *setupOptions) credentials(ac *accounts.AccountConfig, found *discover.Result, p *prompter) (string, error) {
	if o.passwordCommand != "" {
		argv := splitCommand(o.passwordCommand)
		ac.Fetch.PasswordCommand, ac.SMTP.PasswordCommand = argv, argv
		return "", nil
	}
	if found.OAuth2Provider != "" {
		use := o.yes
		if p != nil {
			var err error
			if use, err = p.yesNo(sanitize.Line(found.Provider)+" signs in with OAuth2 in the browser; use it?", true); err != nil {
				return "", err
			}
		}
		if use {
			for _, s := range []*accounts.ServerConfig{&ac.Fetch.ServerConfig, &ac.SMTP} {
				s.Auth, s.OAuth2Provider = "xoauth2", found.OAuth2Provider
			}
			return "", nil
		}
	}
	if p == nil {
		return "", fmt.Errorf("setup: give --password-command, or run posta login %s after setup (or set %s)",
			ac.Name, accounts.EnvPasswordVar(ac.Name))
	}
	pw, err := p.password("Password (kept in the OS keyring; empty to give a password command instead)")
	if err != nil {
		return "", err
	}
	if pw == "" {
		cmd, err := p.ask("Command that prints the password", "")
		if err != nil || cmd == "" {
			return "", errors.New("setup: no password given")
		}
		argv := splitCommand(cmd)
		ac.Fetch.PasswordCommand, ac.SMTP.PasswordCommand = argv, argv
	}
	return pw, nil
}

// setupCheck logs in to the servers, as posta config check does.
func setupCheck(ctx context.Context, g *globals, ac accounts.AccountConfig, secret string, p *prompter) error {
	fmt.Fprintf(g.stderr, "Checking %s and %s…\n", sanitize.Line(ac.Fetch.Host), sanitize.Line(ac.SMTP.Host))
	traced := &accounts.Config{Accounts: []accounts.AccountConfig{ac}}
	if err := g.applyTrace(traced); err != nil {
		return err
	}
	test := traced.Accounts[0]
	if secret != "" {
		test.Fetch.Password, test.SMTP.Password = secret, secret
	}
	cctx, cancel := context.WithTimeout(ctx, checkTimeout)
	defer cancel()
	fetchErr, sendErr := accounts.CheckAccount(cctx, test)
	report := func(kind string, err error) {
		if err != nil {
			fmt.Fprintf(g.stderr, "  %s FAILED: %s\n", kind, sanitize.Line(err.Error()))
		} else {
			fmt.Fprintf(g.stderr, "  %s ok\n", kind)
		}
	}
	report(ac.Fetch.Kind, fetchErr)
	report("smtp", sendErr)
	if fetchErr == nil && sendErr == nil {
		return nil
	}
	if p != nil {
		if ok, err := p.yesNo("Write the account anyway?", false); err == nil && ok {
			return nil
		}
	}
	return errors.New("setup: the servers refused; nothing written (--no-check writes it anyway)")
}

// splitCommand splits a command line into words, honouring quotes; a
// line with shell syntax in it runs through sh -c.
func splitCommand(s string) []string {
	if strings.ContainsAny(s, "|&;<>$`*?()") {
		return []string{"sh", "-c", s}
	}
	var words []string
	var cur strings.Builder
	inWord := false
	var quote rune
	for _, r := range s {
		switch {
		case quote != 0 && r == quote:
			quote = 0
		case quote != 0:
			cur.WriteRune(r)
		case r == '\'' || r == '"':
			quote, inWord = r, true
		case r == ' ' || r == '\t':
			if inWord {
				words = append(words, cur.String())
				cur.Reset()
				inWord = false
			}
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if inWord {
		words = append(words, cur.String())
	}
	return words
}
