package discover_test

import (
	"context"
	"crypto/tls"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/discover"
	"github.com/posta-mail/posta/discover/discovertest"
)

const config = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <domain>example.test</domain>
    <displayName>Example Mail</displayName>
    <incomingServer type="imap">
      <hostname>imap.example.test</hostname>
      <port>143</port>
      <socketType>STARTTLS</socketType>
      <username>%EMAILADDRESS%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap.example.test</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>%EMAILLOCALPART%</username>
      <authentication>password-cleartext</authentication>
    </incomingServer>
    <incomingServer type="pop3">
      <hostname>pop.example.test</hostname>
      <port>110</port>
      <socketType>plain</socketType>
      <username>%EMAILLOCALPART%</username>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
      <username>%EMAILADDRESS%</username>
    </outgoingServer>
  </emailProvider>
</clientConfig>`

type env struct {
	dns   *discovertest.DNS
	https *httptest.Server
	paths map[string]string // path -> document, on every host
	hosts []string          // Host headers seen
	opts  *discover.Options
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d, err := discovertest.StartDNS()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { d.Close() })
	cert, err := discovertest.NewCert("autoconfig.example.test", "example.test", "autoconfig.other.test", "other.test")
	if err != nil {
		t.Fatal(err)
	}
	e := &env{dns: d, paths: map[string]string{}}
	e.https = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		e.hosts = append(e.hosts, r.Host+r.URL.Path)
		doc, ok := e.paths[r.Host+r.URL.Path]
		if !ok {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Write([]byte(doc))
	}))
	e.https.TLS = &tls.Config{Certificates: []tls.Certificate{cert.TLS}}
	e.https.StartTLS()
	t.Cleanup(e.https.Close)
	addr := e.https.Listener.Addr().String()
	e.opts = &discover.Options{
		Resolver: d.Resolver(),
		HTTPClient: &http.Client{Transport: &http.Transport{
			TLSClientConfig: &tls.Config{RootCAs: cert.Pool},
			DialContext: func(ctx context.Context, network, _ string) (net.Conn, error) {
				var dl net.Dialer
				return dl.DialContext(ctx, network, addr)
			},
		}},
		RootCAs: cert.Pool,
		NoISPDB: true,
		NoProbe: true,
		Timeout: 5 * time.Second,
	}
	return e
}

func TestAutoconfig(t *testing.T) {
	e := newEnv(t)
	e.paths["autoconfig.example.test/mail/config-v1.1.xml"] = config
	r, err := discover.Discover(context.Background(), "ann@example.test", e.opts)
	if err != nil {
		t.Fatalf("Discover() error = %v", err)
	}
	if got, want := r.IMAP.String(), "imap.example.test:993 (tls)"; got != want {
		t.Errorf("IMAP = %s, want %s (implicit TLS preferred)", got, want)
	}
	if r.POP3 != nil {
		t.Errorf("POP3 = %s, want nil (a plain-text server is never proposed)", r.POP3)
	}
	if got, want := r.SMTP.String(), "smtp.example.test:465 (tls)"; got != want {
		t.Errorf("SMTP = %s, want %s", got, want)
	}
	if r.Username != "ann" {
		t.Errorf("Username = %q, want ann", r.Username)
	}
	if r.Source != "autoconfig https://autoconfig.example.test/mail/config-v1.1.xml" {
		t.Errorf("Source = %q", r.Source)
	}
}

func TestWellKnownAutoconfig(t *testing.T) {
	e := newEnv(t)
	e.paths["example.test/.well-known/autoconfig/mail/config-v1.1.xml"] = config
	r, err := discover.Discover(context.Background(), "ann@example.test", e.opts)
	if err != nil {
		t.Fatalf("Discover() error = %v", err)
	}
	if r.IMAP == nil || r.IMAP.Host != "imap.example.test" {
		t.Errorf("IMAP = %s", r.IMAP)
	}
}

func TestUntrustedAutoconfigIsIgnored(t *testing.T) {
	e := newEnv(t)
	e.paths["autoconfig.example.test/mail/config-v1.1.xml"] = config
	e.opts.HTTPClient.Transport.(*http.Transport).TLSClientConfig = &tls.Config{} // system roots
	_, err := discover.Discover(context.Background(), "ann@example.test", e.opts)
	if !errors.Is(err, discover.ErrNotFound) {
		t.Fatalf("Discover() error = %v, want ErrNotFound (certificate not trusted)", err)
	}
}

func TestSRV(t *testing.T) {
	e := newEnv(t)
	e.dns.AddSRV("_imaps._tcp.other.test", discovertest.SRV{Target: ".", Port: 0})
	e.dns.AddSRV("_imap._tcp.other.test", discovertest.SRV{Target: "mail.other.test", Port: 143})
	e.dns.AddSRV("_pop3s._tcp.other.test", discovertest.SRV{Target: "mail.other.test", Port: 995})
	e.dns.AddSRV("_submissions._tcp.other.test", discovertest.SRV{Target: "smtp.other.test", Port: 465, Priority: 10})
	e.dns.AddSRV("_submission._tcp.other.test", discovertest.SRV{Target: "smtp.other.test", Port: 587})
	r, err := discover.Discover(context.Background(), "bo@other.test", e.opts)
	if err != nil {
		t.Fatalf("Discover() error = %v", err)
	}
	for _, c := range []struct {
		name string
		got  *discover.Server
		want string
	}{
		{"IMAP", r.IMAP, "mail.other.test:143 (starttls)"},
		{"POP3", r.POP3, "mail.other.test:995 (tls)"},
		{"SMTP", r.SMTP, "smtp.other.test:465 (tls)"},
	} {
		if c.got.String() != c.want {
			t.Errorf("%s = %s, want %s", c.name, c.got, c.want)
		}
	}
	if r.Username != "bo@other.test" {
		t.Errorf("Username = %q, want the address", r.Username)
	}
}

func TestMXProvider(t *testing.T) {
	e := newEnv(t)
	e.dns.AddMX("corp.test", discovertest.MX{Host: "aspmx.l.google.com", Pref: 1})
	r, err := discover.Discover(context.Background(), "ceo@corp.test", e.opts)
	if err != nil {
		t.Fatalf("Discover() error = %v", err)
	}
	if r.Provider != "Gmail" || r.IMAP.Host != "imap.gmail.com" || r.OAuth2Provider != "gmail" {
		t.Errorf("Discover() = %+v, want Gmail's settings", r)
	}
}

func TestProviderTable(t *testing.T) {
	r, err := discover.Discover(context.Background(), "x@fastmail.com", &discover.Options{NoProbe: true})
	if err != nil {
		t.Fatal(err)
	}
	if r.IMAP.String() != "imap.fastmail.com:993 (tls)" || r.SMTP.String() != "smtp.fastmail.com:465 (tls)" {
		t.Errorf("Discover() = %+v", r)
	}
}

func TestProbe(t *testing.T) {
	e := newEnv(t)
	cert, err := discovertest.NewCert("imap.probe.test")
	if err != nil {
		t.Fatal(err)
	}
	ln, err := tls.Listen("tcp", "127.0.0.1:0", &tls.Config{Certificates: []tls.Certificate{cert.TLS}})
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go func() {
				c.(*tls.Conn).Handshake()
				c.Close()
			}()
		}
	}()
	e.dns.A("imap.probe.test", net.IPv4(127, 0, 0, 1))
	e.opts.NoProbe = false
	e.opts.RootCAs = cert.Pool
	// Every probe lands on the one TLS listener: only imap.probe.test's
	// name matches its certificate, so IMAP on 993 is all that is found.
	e.opts.Dial = func(ctx context.Context, network, addr string) (net.Conn, error) {
		host, port, _ := net.SplitHostPort(addr)
		if port != "993" {
			return nil, errors.New("refused")
		}
		if _, err := e.dns.Resolver().LookupHost(ctx, host); err != nil {
			return nil, err
		}
		var dl net.Dialer
		return dl.DialContext(ctx, network, ln.Addr().String())
	}
	r, err := discover.Discover(context.Background(), "p@probe.test", e.opts)
	if err != nil {
		t.Fatalf("Discover() error = %v", err)
	}
	if r.IMAP.String() != "imap.probe.test:993 (tls)" || r.POP3 != nil || r.SMTP != nil {
		t.Errorf("Discover() = IMAP %s POP3 %s SMTP %s", r.IMAP, r.POP3, r.SMTP)
	}
}

func TestRedirectToHTTPIsRefused(t *testing.T) {
	e := newEnv(t)
	hits := 0
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hits++
		w.Write([]byte(config))
	}))
	defer plain.Close()
	e.https.Config.Handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "http://autoconfig.example.test/mail/config-v1.1.xml", http.StatusFound)
	})
	tr := e.opts.HTTPClient.Transport.(*http.Transport)
	httpsAddr := e.https.Listener.Addr().String()
	tr.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		to := httpsAddr
		if strings.HasSuffix(addr, ":80") {
			to = plain.Listener.Addr().String()
		}
		var dl net.Dialer
		return dl.DialContext(ctx, network, to)
	}
	e.opts.HTTPClient.CheckRedirect = discover.HTTPSOnly
	_, err := discover.Discover(context.Background(), "ann@example.test", e.opts)
	if !errors.Is(err, discover.ErrNotFound) || hits > 0 {
		t.Fatalf("Discover() error = %v with %d plain HTTP requests, want ErrNotFound and none", err, hits)
	}
	// Control: without the check the redirect goes out in clear, and
	// what comes back over HTTP is still refused.
	e.opts.HTTPClient.CheckRedirect = nil
	if _, err := discover.Discover(context.Background(), "ann@example.test", e.opts); !errors.Is(err, discover.ErrNotFound) || hits == 0 {
		t.Fatalf("control: Discover() error = %v, %d plain requests", err, hits)
	}
}

// hostileConfig is an autoconfig document whose first servers name no
// host (a right-to-left override, a space, a path) and whose login name
// carries a C1 control character (XML refuses C0 ones and escapes
// outright); its last IMAP server names its host with a placeholder, as
// Thunderbird's format allows.
const hostileConfig = `<?xml version="1.0" encoding="UTF-8"?>
<clientConfig version="1.1">
  <emailProvider id="example.test">
    <displayName>Evil&#x202e;liaM</displayName>
    <incomingServer type="imap">
      <hostname>imap.example.test&#x202e;</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
      <username>ann&#x85;x</username>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>imap example.test</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>../../etc/passwd</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <incomingServer type="imap">
      <hostname>mail.%EMAILDOMAIN%</hostname>
      <port>993</port>
      <socketType>SSL</socketType>
    </incomingServer>
    <outgoingServer type="smtp">
      <hostname>smtp.example.test.</hostname>
      <port>465</port>
      <socketType>SSL</socketType>
    </outgoingServer>
  </emailProvider>
</clientConfig>`

func TestHostileAutoconfig(t *testing.T) {
	e := newEnv(t)
	e.paths["autoconfig.example.test/mail/config-v1.1.xml"] = hostileConfig
	r, err := discover.Discover(context.Background(), "ann@example.test", e.opts)
	if err != nil {
		t.Fatalf("Discover() error = %v", err)
	}
	if got, want := r.IMAP.String(), "mail.example.test:993 (tls)"; got != want {
		t.Errorf("IMAP = %q, want %q (the servers that name no host skipped, the placeholder replaced)", got, want)
	}
	if got, want := r.SMTP.String(), "smtp.example.test:465 (tls)"; got != want {
		t.Errorf("SMTP = %q, want %q", got, want)
	}
	if r.Username != "ann@example.test" {
		t.Errorf("Username = %q, want the address (the document's holds a control character)", r.Username)
	}
}
