// Package tcprelay is a TCP relay on 127.0.0.1 for tests that need a
// network that fails: it forwards connections to a target and can cut
// them all at once, or each after the server sent a number of bytes.
package tcprelay

import (
	"io"
	"net"
	"sync"
	"sync/atomic"
	"time"
)

// Relay forwards connections from its listener to a target.
type Relay struct {
	// Limit is how many bytes the server may send on a connection before
	// the relay cuts it (both sides); 0 means never. It applies to
	// connections opened after it is set.
	Limit atomic.Int64
	// Cuts counts the connections cut by Limit.
	Cuts atomic.Int32
	// Down refuses new connections (accepted, then closed at once), as a
	// network that is down; CutDown sets it when Limit cuts a connection,
	// so a client that reconnects at once finds the network still gone.
	Down, CutDown atomic.Bool
	// Turns counts round trips on all connections: each time the client
	// sends after the server has sent since the client's last send. On a
	// connection already open, the Turns a piece of work adds are its
	// round trips (pipelined commands sent before any answer count once).
	Turns atomic.Int64

	ln     net.Listener
	target string
	mu     sync.Mutex
	conns  []net.Conn
	wg     sync.WaitGroup
}

// Start listens on 127.0.0.1 with a free port and relays to target until
// Close.
func Start(target string) (*Relay, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	r := &Relay{ln: ln, target: target}
	r.wg.Add(1)
	go r.serve()
	return r, nil
}

// Addr is the relay's host:port, to dial instead of the target.
func (r *Relay) Addr() string { return r.ln.Addr().String() }

func (r *Relay) serve() {
	defer r.wg.Done()
	for {
		client, err := r.ln.Accept()
		if err != nil {
			return
		}
		if r.Down.Load() {
			client.Close()
			continue
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
		var serverSpoke atomic.Bool
		go r.pipeTurns(client, server, &serverSpoke) // client to server: never cut here
		go r.pipe(server, client, r.Limit.Load(), &serverSpoke)
	}
}

// pipeTurns copies what the client sends to the server, counting turns.
func (r *Relay) pipeTurns(src, dst net.Conn, serverSpoke *atomic.Bool) {
	defer r.wg.Done()
	defer src.Close()
	defer dst.Close()
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			if serverSpoke.Swap(false) {
				r.Turns.Add(1)
			}
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// spokeWriter notes that the server sent something.
type spokeWriter struct {
	net.Conn
	spoke *atomic.Bool
}

func (w spokeWriter) Write(p []byte) (int, error) {
	w.spoke.Store(true)
	return w.Conn.Write(p)
}

// pipe copies what the server sends to the client; with limit > 0 it
// closes both once limit bytes went through (the bytes up to the limit
// are delivered).
func (r *Relay) pipe(src, dst net.Conn, limit int64, spoke *atomic.Bool) {
	defer r.wg.Done()
	defer src.Close()
	defer dst.Close()
	w := spokeWriter{Conn: dst, spoke: spoke}
	if limit <= 0 {
		io.Copy(w, src)
		return
	}
	if n, err := io.CopyN(w, src, limit); err == nil && n == limit {
		if r.CutDown.Load() {
			r.Down.Store(true)
		}
		r.Cuts.Add(1)
	}
}

// Cut closes every connection open through the relay, as a dropped
// network would; new connections are still relayed.
func (r *Relay) Cut() {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range r.conns {
		c.Close()
	}
	r.conns = nil
}

// Close stops the relay and closes its connections.
func (r *Relay) Close() {
	r.ln.Close()
	r.Cut()
	r.wg.Wait()
}
