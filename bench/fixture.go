package main

import (
	"context"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/protocols"
)

// fixture is a running demo server set seeded with n messages in each
// INBOX, and a scratch folder for caches and data.
type fixture struct {
	n      int
	srv    *demo.Servers
	dir    string
	caFile string
	runs   int // fresh caches made so far, to name the next one
	closed bool
	// bin is the posta binary the sync rows run (`posta sync`), conf its
	// configuration file for these servers; bin is "" when it could not
	// be built.
	bin, conf string
}

func startFixture(n int, scratch string) (*fixture, error) {
	srv, err := demo.Start(demo.Options{Messages: n})
	if err != nil {
		return nil, fmt.Errorf("demo servers: %w", err)
	}
	dir := filepath.Join(scratch, strconv.Itoa(n))
	if err := os.MkdirAll(dir, 0o700); err != nil {
		srv.Close()
		return nil, err
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM, 0o600); err != nil {
		srv.Close()
		return nil, err
	}
	return &fixture{n: n, srv: srv, dir: dir, caFile: ca}, nil
}

// usePosta makes the sync rows run the posta binary bin against the
// fixture's servers.
func (f *fixture) usePosta(bin string) error {
	if bin == "" {
		return nil
	}
	conf := filepath.Join(f.dir, "posta.toml")
	err := writeSyncConfig(conf, syncServers{imapAddr: f.srv.IMAPAddr, pop3Addr: f.srv.POP3Addr, smtpAddr: f.srv.SMTPAddr,
		imapUser: "alice", pop3User: "bob", password: "password", caFile: f.caFile})
	if err != nil {
		return err
	}
	f.bin, f.conf = bin, conf
	return nil
}

// syncProcessFresh runs `posta sync --account account` into fresh
// folders, which it removes afterwards.
func (f *fixture) syncProcessFresh(ctx context.Context, account string) (procRun, error) {
	// The run's folders stay until the fixture closes: deleting 10,000
	// files slows the next run's file creation on this machine's ext4
	// (see fsquiet.go).
	cacheDir, dataDir := f.freshDirs()
	return syncProcess(ctx, f.bin, f.conf, account, cacheDir, dataDir, f.n)
}

// Close stops the servers; closing again does nothing.
func (f *fixture) Close() error {
	if f.closed {
		return nil
	}
	f.closed = true
	return f.srv.Close()
}

// freshDirs returns a new, empty pair of cache and data folders.
func (f *fixture) freshDirs() (cacheDir, dataDir string) {
	f.runs++
	base := filepath.Join(f.dir, "run"+strconv.Itoa(f.runs))
	return filepath.Join(base, "cache"), filepath.Join(base, "data")
}

// config describes the two demo accounts over implicit TLS, the IMAP one
// limited to its INBOX so that only the measured folder is synced.
func (f *fixture) config() (*accounts.Config, error) {
	return demoConfig(f.srv.IMAPAddr, f.srv.POP3Addr, f.srv.SMTPAddr, f.caFile)
}

func demoConfig(imapAddr, pop3Addr, smtpAddr, caFile string) (*accounts.Config, error) {
	server := func(addr, security, user string) (accounts.ServerConfig, error) {
		host, p, err := net.SplitHostPort(addr)
		if err != nil {
			return accounts.ServerConfig{}, err
		}
		port, err := strconv.Atoi(p)
		if err != nil {
			return accounts.ServerConfig{}, err
		}
		return accounts.ServerConfig{Host: host, Port: port, Security: security,
			Username: user, Password: "password", CAFile: caFile}, nil
	}
	cfg := &accounts.Config{DefaultAccount: "work"}
	for _, a := range []struct{ name, kind, addr, user, address string }{
		{"work", "imap", imapAddr, "alice", "alice@work.example"},
		{"home", "pop3", pop3Addr, "bob", "bob@home.example"},
	} {
		fetch, err := server(a.addr, "tls", a.user)
		if err != nil {
			return nil, err
		}
		smtp, err := server(smtpAddr, "starttls", a.user)
		if err != nil {
			return nil, err
		}
		ac := accounts.AccountConfig{Name: a.name, Address: a.address,
			Fetch: accounts.FetchConfig{Kind: a.kind, ServerConfig: fetch}, SMTP: smtp}
		if a.kind == "imap" {
			ac.Fetch.Folders = []string{"INBOX"}
		}
		cfg.Accounts = append(cfg.Accounts, ac)
	}
	return cfg, nil
}

// openSet opens the cache in the given folders and the accounts over it,
// as posta does at start. Nothing touches the network.
func openSet(cfg *accounts.Config, cacheDir, dataDir string) (*accounts.Cache, *accounts.Set, error) {
	c, err := accounts.OpenCache(cacheDir, dataDir)
	if err != nil {
		return nil, nil, err
	}
	set, err := accounts.Open(cfg, c)
	if err != nil {
		c.Close()
		return nil, nil, err
	}
	return c, set, nil
}

// timedSync opens the accounts over cacheDir and dataDir and times one
// Sync of account, as `posta sync` runs it. onProgress, if not nil, gets
// each progress report with the time since the sync began.
func (f *fixture) timedSync(ctx context.Context, account, cacheDir, dataDir string, onProgress func(time.Duration, protocols.Progress)) (accounts.SyncReport, time.Duration, error) {
	cfg, err := f.config()
	if err != nil {
		return accounts.SyncReport{}, 0, err
	}
	c, set, err := openSet(cfg, cacheDir, dataDir)
	if err != nil {
		return accounts.SyncReport{}, 0, err
	}
	defer c.Close()
	defer set.Close()
	a, err := set.Get(account)
	if err != nil {
		return accounts.SyncReport{}, 0, err
	}
	start := time.Now()
	var progress func(protocols.Progress)
	if onProgress != nil {
		progress = func(p protocols.Progress) { onProgress(time.Since(start), p) }
	}
	rep, err := a.Sync(ctx, progress)
	return rep, time.Since(start), err
}

// endpoint is the IMAP or POP3 server of the fixture over implicit TLS,
// trusting exactly the demo certificate.
func (f *fixture) endpoint(kind string) protocols.Endpoint {
	addr := f.srv.IMAPAddr
	user := "alice"
	if kind == "pop3" {
		addr, user = f.srv.POP3Addr, "bob"
	}
	host, p, _ := net.SplitHostPort(addr)
	port, _ := strconv.Atoi(p)
	return protocols.Endpoint{Host: host, Port: port, Security: protocols.SecurityTLS,
		TLSConfig: f.srv.TLSConfig(), Username: user,
		Password: func(context.Context) (string, error) { return "password", nil }}
}
