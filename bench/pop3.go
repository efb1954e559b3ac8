package main

import (
	"context"
	"crypto/tls"
	"fmt"
	"net"
	"time"
)

// syncPOP3Fresh runs the accounts layer's Sync of the home (POP3)
// account into fresh cache and data folders, which it returns: the RETRs
// are pipelined, every message is streamed to the Maildir, and the
// messages are synced and indexed a batch at a time (in the background
// every 100 ms, and before QUIT); the full-text index, with the body
// text read from the files, and the threads are left for later.
func (f *fixture) syncPOP3Fresh(ctx context.Context) (d time.Duration, cacheDir, dataDir string, err error) {
	cacheDir, dataDir = f.freshDirs()
	rep, d, err := f.timedSync(ctx, "home", cacheDir, dataDir, nil)
	if err != nil {
		return d, cacheDir, dataDir, fmt.Errorf("pop3 sync: %w", err)
	}
	if rep.Added != f.n {
		return d, cacheDir, dataDir, fmt.Errorf("pop3 sync added %d messages, want %d", rep.Added, f.n)
	}
	return d, cacheDir, dataDir, nil
}

// tlsDialer dials implicit TLS for go-pop3, which cannot take a
// tls.Config of its own.
type tlsDialer struct{ cfg *tls.Config }

func (d tlsDialer) Dial(network, addr string) (net.Conn, error) {
	dialer := &tls.Dialer{NetDialer: &net.Dialer{Timeout: 30 * time.Second}, Config: d.cfg}
	return dialer.Dial(network, addr)
}

// rawRetrAll is the POP3 baseline's loop (rawRetrAt) against the demo
// server: go-pop3 over implicit TLS, USER/PASS, STAT, then RETR of every
// message, bytes discarded.
func (f *fixture) rawRetrAll(ctx context.Context) (time.Duration, error) {
	return rawRetrAt(ctx, f.endpoint("pop3"), f.n)
}
