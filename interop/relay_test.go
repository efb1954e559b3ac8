//go:build interop

package interop

import (
	"io"
	"net"
	"sync"
	"testing"
	"time"
)

// relay forwards TCP connections from a 127.0.0.1 listener to a target;
// cut closes every connection it carries at once, as a dropped network
// would.
type relay struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

func startRelay(t *testing.T, target string) *relay {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	r := &relay{ln: ln, target: target}
	r.wg.Add(1)
	go r.serve()
	t.Cleanup(func() { ln.Close(); r.cut(); r.wg.Wait() })
	return r
}

func (r *relay) addr() string { return r.ln.Addr().String() }

func (r *relay) serve() {
	defer r.wg.Done()
	for {
		client, err := r.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.DialTimeout("tcp", r.target, 5*time.Second)
		if err != nil {
			client.Close()
			continue
		}
		r.mu.Lock()
		r.conns = append(r.conns, client, server)
		r.mu.Unlock()
		r.wg.Add(2)
		go r.pipe(client, server)
		go r.pipe(server, client)
	}
}

func (r *relay) pipe(src, dst net.Conn) {
	defer r.wg.Done()
	io.Copy(dst, src)
	src.Close()
	dst.Close()
}

// cut closes every connection open through the relay.
func (r *relay) cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}
