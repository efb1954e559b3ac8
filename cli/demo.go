package cli

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/spf13/cobra"

	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/ui"
)

func newDemoCmd(g *globals) *cobra.Command {
	var (
		serve    bool
		messages int
		showcase bool
	)
	cmd := &cobra.Command{
		Use:   "demo",
		Short: "Try posta on local demo servers seeded with mail",
		Long: `Demo starts IMAP, POP3 and SMTP servers on 127.0.0.1, seeded with
realistic mail, and opens the reader on two accounts: "work" (IMAP + SMTP)
and "home" (POP3 + SMTP). Mail sent from one arrives in the other. The
servers use a certificate made at start that the demo accounts trust; the
cache goes to a temporary folder unless --cache-dir is given.

With --serve, only the servers run: a ready configuration file is written
and one JSON line on stdout says where (config, imap, pop3, smtp,
accounts). They run until interrupted (SIGINT/SIGTERM).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runDemoWith(cmd.Context(), g, serve, messages, showcase || !serve)
		},
	}
	cmd.Flags().BoolVar(&serve, "serve", false, "start the servers only and print their addresses as JSON")
	cmd.Flags().IntVar(&messages, "messages", 0, "messages in each INBOX (default 120)")
	cmd.Flags().BoolVar(&showcase, "showcase", false, "with --serve: add the invitations and mailing-list mail the reader's demo has")
	return cmd
}

func runDemo(ctx context.Context, g *globals, serve bool, messages int) error {
	return runDemoWith(ctx, g, serve, messages, !serve)
}

// runDemoWith is runDemo; showcase adds the invitations and mailing-list
// mail (the reader's demo always has them, --serve on request).
func runDemoWith(ctx context.Context, g *globals, serve bool, messages int, showcase bool) error {
	if !serve {
		fmt.Fprintln(g.stderr, "Starting the demo servers…")
	}
	srv, err := demo.Start(demo.Options{Messages: messages, Showcase: showcase})
	if err != nil {
		return fmt.Errorf("demo: %w", err)
	}
	defer srv.Close()
	dir, err := os.MkdirTemp("", "posta-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	cfgPath, err := writeDemoConfig(dir, srv)
	if err != nil {
		return err
	}
	if !serve {
		defer setupDemoCrypto(g, dir, cfgPath, srv)()
	}
	if serve {
		if err := writeServeInfo(g, cfgPath, srv); err != nil {
			return err
		}
		<-ctx.Done()
		return nil
	}
	local := *g
	local.config = cfgPath
	if local.cacheDir == "" {
		local.cacheDir = filepath.Join(dir, "cache")
	}
	c, err := local.openCore()
	if err != nil {
		return err
	}
	defer c.Close()
	return startTUI(ctx, c.set, g.withLog(uiOptions(c.cfg, ui.Options{Account: g.account, DraftDir: dir, UnsubscribeRoots: srv.TLSConfig().RootCAs})))
}

// writeServeInfo prints the one JSON line `demo --serve` promises.
func writeServeInfo(g *globals, cfgPath string, srv *demo.Servers) error {
	type account struct {
		Name     string `json:"name"`
		Kind     string `json:"kind"`
		Address  string `json:"address"`
		Username string `json:"username"`
		Password string `json:"password"`
	}
	info := struct {
		Config   string    `json:"config"`
		IMAP     string    `json:"imap"`
		IMAPSTLS string    `json:"imap_starttls"`
		POP3     string    `json:"pop3"`
		POP3STLS string    `json:"pop3_stls"`
		SMTP     string    `json:"smtp"`
		SMTPS    string    `json:"smtps"`
		CAFile   string    `json:"ca_file"`
		Accounts []account `json:"accounts"`
	}{
		Config: cfgPath, IMAP: srv.IMAPAddr, IMAPSTLS: srv.IMAPStartTLSAddr, POP3: srv.POP3Addr,
		POP3STLS: srv.POP3STLSAddr, SMTP: srv.SMTPAddr, SMTPS: srv.SMTPSAddr,
		CAFile: filepath.Join(filepath.Dir(cfgPath), "demo-ca.pem"),
	}
	for _, a := range srv.Accounts {
		info.Accounts = append(info.Accounts, account(a))
	}
	data, err := jsonLine(info)
	if err != nil {
		return err
	}
	_, err = g.stdout.Write(data)
	return err
}

// writeDemoConfig writes the certificate and a configuration file for
// the demo accounts into dir, both readable by the owner only.
func writeDemoConfig(dir string, srv *demo.Servers) (string, error) {
	caPath := filepath.Join(dir, "demo-ca.pem")
	if err := os.WriteFile(caPath, srv.CACertPEM, 0o600); err != nil {
		return "", err
	}
	var b strings.Builder
	b.WriteString("# posta demo configuration: written by `posta demo`, removed when it stops.\n")
	b.WriteString("default_account = \"work\"\n")
	for _, a := range srv.Accounts {
		fetchAddr := srv.IMAPAddr
		if a.Kind == "pop3" {
			fetchAddr = srv.POP3Addr
		}
		fh, fp, err := splitHostPort(fetchAddr)
		if err != nil {
			return "", err
		}
		sh, sp, err := splitHostPort(srv.SMTPAddr)
		if err != nil {
			return "", err
		}
		display := strings.ToUpper(a.Username[:1]) + a.Username[1:]
		position := "below"
		if a.Kind == "pop3" {
			position = "above" // one demo account answers above the quote, to try it
		}
		fmt.Fprintf(&b, `
[[account]]
name = %q
display_name = %q
address = %q
signature = %q
signature_position = %q

[account.fetch]
kind = %q
host = %q
port = %d
security = "tls"
username = %q
password = %q
ca_file = %q

[account.smtp]
host = %q
port = %d
security = "starttls"
username = %q
password = %q
ca_file = %q
`, a.Name, display, a.Address, display+"\n"+domainOf(a.Address), position,
			a.Kind, fh, fp, a.Username, a.Password, caPath, sh, sp, a.Username, a.Password, caPath)
		b.WriteString(demoIdentities(display, a.Address))
	}
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(b.String()), 0o600); err != nil {
		return "", err
	}
	return path, nil
}

// demoIdentities writes two more identities of a demo account, so that
// switching identity (f in the review screen, posta send --from) can be
// tried: a role address with its own signature, and a second address
// without one, whose replies go above the quote.
func demoIdentities(display, address string) string {
	user, domain, _ := strings.Cut(address, "@")
	return fmt.Sprintf(`
[[account.identity]]
address = %q
display_name = %q
signature = %q

[[account.identity]]
address = %q
display_name = %q
`, "info@"+domain, display+" (info desk)", "The info desk\n"+domain,
		user+".private@"+domain, display)
}

func domainOf(address string) string {
	_, domain, _ := strings.Cut(address, "@")
	return domain
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	return h, port, err
}
