package accounts

import (
	"crypto/sha256"
	"encoding/pem"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/message"
)

// demoFixture is a running demo server set with a configuration for its
// two accounts and the folders a cache may use.
type demoFixture struct {
	srv      *demo.Servers
	cfg      *Config
	cacheDir string
	dataDir  string
}

func startDemoFixture(t *testing.T, messages int) *demoFixture {
	t.Helper()
	srv, err := demo.Start(demo.Options{Messages: messages})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	dir := t.TempDir()
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	cfg := &Config{DefaultAccount: "work"}
	for _, a := range srv.Accounts {
		fetch := srv.IMAPAddr
		if a.Kind == "pop3" {
			fetch = srv.POP3Addr
		}
		cfg.Accounts = append(cfg.Accounts, AccountConfig{
			Name: a.Name, Address: a.Address, DisplayName: a.Username,
			Fetch: FetchConfig{Kind: a.Kind, ServerConfig: fixtureServer(t, fetch, "tls", a, ca)},
			SMTP:  fixtureServer(t, srv.SMTPAddr, "starttls", a, ca),
		})
	}
	return &demoFixture{srv: srv, cfg: cfg, cacheDir: filepath.Join(dir, "cache"), dataDir: filepath.Join(dir, "data")}
}

func fixtureServer(t *testing.T, addr, security string, a demo.Account, ca string) ServerConfig {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return ServerConfig{Host: host, Port: port, Security: security, Username: a.Username, Password: a.Password, CAFile: ca}
}

// open builds the accounts over the fixture's cache folders; each call
// opens the cache anew, as a restarted posta would.
func (f *demoFixture) open(t *testing.T) *Set {
	t.Helper()
	c, err := cache.Open(cache.Options{Dir: f.cacheDir, DataDir: f.dataDir, ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatal(err)
	}
	set, err := Open(f.cfg, c)
	if err != nil {
		c.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() { set.Close(); c.Close() })
	return set
}

// deadAddr returns host and port where nothing listens.
func deadAddr(t *testing.T) (string, int) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().(*net.TCPAddr)
	ln.Close()
	return "127.0.0.1", addr.Port
}

func splitFixtureAddr(t *testing.T, addr string) (string, int) {
	t.Helper()
	host, p, err := net.SplitHostPort(addr)
	if err != nil {
		t.Fatal(err)
	}
	port, _ := strconv.Atoi(p)
	return host, port
}

func writeFile(path string, data []byte) error { return os.WriteFile(path, data, 0o600) }

// certFingerprint is the SHA-256 of a PEM certificate's DER bytes, in
// colon-separated hex as openssl prints it.
func certFingerprint(t *testing.T, pemBytes []byte) string {
	t.Helper()
	block, _ := pem.Decode(pemBytes)
	if block == nil {
		t.Fatal("no PEM block")
	}
	sum := sha256.Sum256(block.Bytes)
	parts := make([]string, len(sum))
	for i, b := range sum {
		parts[i] = fmt.Sprintf("%02X", b)
	}
	return strings.Join(parts, ":")
}
