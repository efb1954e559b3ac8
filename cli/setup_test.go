package cli

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/discover/discovertest"
)

// setupEnv is the world `posta setup` discovers in tests: the demo mail
// servers, a local DNS server and a local HTTPS autoconfig server, and an
// empty configuration folder.
type setupEnv struct {
	*env
	dns   *discovertest.DNS
	caDir string
	flags []string // the hidden discovery flags
	docs  map[string]string
}

func newSetupEnv(t *testing.T) *setupEnv {
	t.Helper()
	srv, err := demo.Start(demo.Options{Messages: 12})
	if err != nil {
		t.Fatalf("demo.Start: %v", err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	e := &setupEnv{
		env:  &env{t: t, srv: srv, config: filepath.Join(dir, "config", "posta", "config.toml"), cache: filepath.Join(dir, "cache")},
		docs: map[string]string{},
	}
	e.dns, err = discovertest.StartDNS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { e.dns.Close() })
	cert, err := discovertest.NewCert("autoconfig.work.example", "work.example", "autoconfig.home.example", "home.example")
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		doc, ok := e.docs[r.Host+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(doc))
	}))
	hs.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	hs.StartTLS()
	t.Cleanup(hs.Close)
	e.caDir = filepath.Join(dir, "ca")
	os.MkdirAll(e.caDir, 0o700)
	writeFile(t, filepath.Join(e.caDir, "discovery.pem"), cert.PEM)
	writeFile(t, filepath.Join(e.caDir, "demo.pem"), srv.CACertPEM)
	e.flags = []string{
		"--discover-dns", e.dns.Addr,
		"--discover-https", hs.Listener.Addr().String(),
		"--discover-ca", filepath.Join(e.caDir, "discovery.pem"),
		"--ca-file", filepath.Join(e.caDir, "demo.pem"),
	}
	return e
}

func writeFile(t *testing.T, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
}

func hostPort(t *testing.T, addr string) (string, int) {
	t.Helper()
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := strconv.Atoi(p)
	return h, n
}

func (e *setupEnv) setup(args ...string) (string, string, error) {
	return e.run("", append(append([]string{"setup"}, e.flags...), args...)...)
}

// TestSetupFromAutoconfig: from an empty configuration folder, an
// address is enough: the autoconfig document names the demo IMAP and
// SMTP servers, setup logs in to them and writes the account, and a sync
// then fetches the mail.
func TestSetupFromAutoconfig(t *testing.T) {
	e := newSetupEnv(t)
	ih, ip := hostPort(t, e.srv.IMAPAddr)
	sh, sp := hostPort(t, e.srv.SMTPAddr)
	e.docs["autoconfig.work.example/mail/config-v1.1.xml"] = fmt.Sprintf(`<clientConfig version="1.1">
 <emailProvider id="work.example">
  <incomingServer type="imap"><hostname>%s</hostname><port>%d</port><socketType>SSL</socketType>
   <username>%%EMAILLOCALPART%%</username><authentication>password-cleartext</authentication></incomingServer>
  <outgoingServer type="smtp"><hostname>%s</hostname><port>%d</port><socketType>STARTTLS</socketType>
   <username>%%EMAILLOCALPART%%</username></outgoingServer>
 </emailProvider></clientConfig>`, ih, ip, sh, sp)

	out, stderr, err := e.setup("--address", "alice@work.example", "--password-command", "echo password", "--yes")
	if err != nil {
		t.Fatalf("setup: %v\nstderr: %s", err, stderr)
	}
	if !strings.Contains(out, `Added account "work"`) || !strings.Contains(stderr, "autoconfig https://autoconfig.work.example/") {
		t.Errorf("setup said:\n%s\n%s", out, stderr)
	}
	fi, err := os.Stat(e.config)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("config file mode = %v, want 0600", fi.Mode().Perm())
	}
	cfg, err := accounts.LoadConfig(e.config)
	if err != nil {
		t.Fatalf("the written configuration: %v", err)
	}
	ac := cfg.Accounts[0]
	if ac.Fetch.Kind != "imap" || ac.Fetch.Username != "alice" || ac.Fetch.Security != "tls" || ac.SMTP.Security != "starttls" {
		t.Errorf("account = %+v", ac)
	}
	e.mustRun("", "sync")
	if rows := e.list("--account", "work"); len(rows) < 12 {
		t.Errorf("after setup and sync: %d messages, want at least 12", len(rows))
	}
}

// TestSetupFromSRVAppends: a second account, found through SRV records
// only (no autoconfig document), is appended after the user's own text,
// which stays byte for byte.
func TestSetupFromSRVAppends(t *testing.T) {
	e := newSetupEnv(t)
	_, pp := hostPort(t, e.srv.POP3Addr)
	_, sp := hostPort(t, e.srv.SMTPSAddr)
	e.dns.AddSRV("_pop3s._tcp.home.example", discovertest.SRV{Target: "localhost", Port: uint16(pp)})
	e.dns.AddSRV("_submissions._tcp.home.example", discovertest.SRV{Target: "localhost", Port: uint16(sp)})

	if err := os.MkdirAll(filepath.Dir(e.config), 0o700); err != nil {
		t.Fatal(err)
	}
	mine := "# my own notes\nbell = true  # ring\n\n[theme]\naccent = \"5\""
	writeFile(t, e.config, []byte(mine))

	out, stderr, err := e.setup("--address", "bob@home.example", "--kind", "pop3", "--username", "bob",
		"--password-command", "printf 'password'", "--yes")
	if err != nil {
		t.Fatalf("setup: %v\nstderr: %s", err, stderr)
	}
	if !strings.Contains(stderr, "DNS SRV records of home.example") {
		t.Errorf("setup did not say where the settings came from:\n%s", stderr)
	}
	data, _ := os.ReadFile(e.config)
	if !strings.HasPrefix(string(data), mine+"\n") {
		t.Errorf("the user's text was changed:\n%s", data)
	}
	cfg, err := accounts.LoadConfig(e.config)
	if err != nil {
		t.Fatalf("the written configuration: %v\n%s", err, data)
	}
	if !cfg.Bell || cfg.Theme.Accent != "5" || cfg.Accounts[0].Fetch.Kind != "pop3" {
		t.Errorf("config = %+v", cfg)
	}
	e.mustRun("", "sync")
	if rows := e.list("--account", "home"); len(rows) < 12 {
		t.Errorf("after setup and sync: %d messages, want at least 12 (%s)", len(rows), out)
	}

	// The same address again: a second account with a new name.
	if _, stderr, err := e.setup("--address", "bob@home.example", "--kind", "pop3", "--username", "bob",
		"--password-command", "printf 'password'", "--yes"); err != nil {
		t.Fatalf("second setup: %v\n%s", err, stderr)
	}
	cfg, err = accounts.LoadConfig(e.config)
	if err != nil || len(cfg.Accounts) != 2 || cfg.Accounts[1].Name != "home-2" {
		t.Fatalf("after a second setup: %v %+v", err, cfg)
	}
}

// TestSetupRefusesWhenTheServerRefuses: a wrong password writes nothing.
func TestSetupRefusesWhenTheServerRefuses(t *testing.T) {
	e := newSetupEnv(t)
	_, ip := hostPort(t, e.srv.IMAPAddr)
	_, sp := hostPort(t, e.srv.SMTPSAddr)
	e.dns.AddSRV("_imaps._tcp.work.example", discovertest.SRV{Target: "localhost", Port: uint16(ip)})
	e.dns.AddSRV("_submissions._tcp.work.example", discovertest.SRV{Target: "localhost", Port: uint16(sp)})
	_, stderr, err := e.setup("--address", "alice@work.example", "--username", "alice",
		"--password-command", "echo wrong", "--yes")
	if err == nil {
		t.Fatalf("setup with a wrong password succeeded:\n%s", stderr)
	}
	if !strings.Contains(stderr, "FAILED") {
		t.Errorf("stderr = %s", stderr)
	}
	if _, err := os.Stat(e.config); !os.IsNotExist(err) {
		t.Errorf("a configuration was written: %v", err)
	}
}

func TestSplitCommand(t *testing.T) {
	for _, tt := range []struct {
		in   string
		want []string
	}{
		{"pass show mail", []string{"pass", "show", "mail"}},
		{`gpg -d "my file.gpg"`, []string{"gpg", "-d", "my file.gpg"}},
		{"pass show mail | head -1", []string{"sh", "-c", "pass show mail | head -1"}},
	} {
		if got := splitCommand(tt.in); strings.Join(got, "\x00") != strings.Join(tt.want, "\x00") {
			t.Errorf("splitCommand(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
