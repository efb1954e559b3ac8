package pop3

import (
	"context"
	"crypto/tls"
	"io"
	"net"
	"strconv"
	"testing"
	"time"

	gopop3 "github.com/knadh/go-pop3"

	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/protocols"
)

// benchMessages is the maildrop size of the download benchmarks.
const benchMessages = 10_000

func startBenchDemo(b *testing.B) *demo.Servers {
	b.Helper()
	s, err := demo.Start(demo.Options{Messages: benchMessages})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { s.Close() })
	return s
}

// BenchmarkSyncDiscard is the protocol side of a POP3 download: login,
// the pipelined listing and RETRs of every message over TLS, each body
// read to the end and dropped. Compare BenchmarkRawRETRLoop.
func BenchmarkSyncDiscard(b *testing.B) {
	s := startBenchDemo(b)
	host, port, _ := net.SplitHostPort(s.POP3Addr)
	p, _ := strconv.Atoi(port)
	f := New(Options{LeaveOnServer: true, Endpoint: protocols.Endpoint{Host: host, Port: p, Security: protocols.SecurityTLS,
		TLSConfig: s.TLSConfig(), Username: "bob", Timeout: 30 * time.Second,
		Password: func(context.Context) (string, error) { return "password", nil }}})
	for b.Loop() {
		res, err := f.Sync(context.Background(), protocols.SyncRequest{Folder: Inbox,
			Store: func(_ string, r io.Reader) error { _, err := io.Copy(io.Discard, r); return err }})
		if err != nil || res.Added != benchMessages {
			b.Fatalf("Sync() = %+v, %v", res, err)
		}
	}
}

type benchTLSDialer struct{ cfg *tls.Config }

func (d benchTLSDialer) Dial(network, addr string) (net.Conn, error) {
	return tls.Dial(network, addr, d.cfg)
}

// BenchmarkRawRETRLoop is the baseline of bench's POP3 row: go-pop3 over
// TLS, USER/PASS, STAT, then RETR of every message, one at a time.
func BenchmarkRawRETRLoop(b *testing.B) {
	s := startBenchDemo(b)
	host, port, _ := net.SplitHostPort(s.POP3Addr)
	p, _ := strconv.Atoi(port)
	for b.Loop() {
		c, err := gopop3.New(gopop3.Opt{Host: host, Port: p, Dialer: benchTLSDialer{s.TLSConfig()}}).NewConn()
		if err != nil {
			b.Fatal(err)
		}
		if err := c.Auth("bob", "password"); err != nil {
			b.Fatal(err)
		}
		n, _, _ := c.Stat()
		for k := 1; k <= n; k++ {
			if _, err := c.RetrRaw(k); err != nil {
				b.Fatal(err)
			}
		}
		c.Quit()
	}
}
