package main

import (
	"bytes"
	"net"
	"strings"
	"sync"
)

// tripConn counts round trips on a connection: a round trip starts each
// time the client writes after it has read something from the server (or
// writes for the first time). Pipelined commands sent in one burst count
// once. Under TLS it counts bursts of records; above TLS (as a tracer,
// see tripTracer) it sees the IMAP conversation and also notes the
// command names of each burst and the server's first words.
type tripConn struct {
	net.Conn
	mu      sync.Mutex
	reading bool // the last thing seen was data from the server
	trips   int
	written int64
	read    int64
	// With imap set (above TLS): the command names sent in each round
	// trip, the line being written, and the server's first bytes (its
	// greeting and the capabilities after login).
	imap   bool
	bursts [][]string
	line   []byte
	heard  []byte
}

func newTripConn(c net.Conn) *tripConn { return &tripConn{Conn: c, reading: true} }

// heardBytes bounds what tripConn keeps of the server's words.
const heardBytes = 16 << 10

func (c *tripConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.reading = true
		c.read += int64(n)
		if c.imap && len(c.heard) < heardBytes {
			c.heard = append(c.heard, p[:min(n, heardBytes-len(c.heard))]...)
		}
		c.mu.Unlock()
	}
	return n, err
}

func (c *tripConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.reading {
		c.trips++
		c.reading = false
		if c.imap {
			c.bursts = append(c.bursts, nil)
		}
	}
	c.written += int64(len(p))
	if c.imap {
		c.noteCommands(p)
	}
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// imapCommands are the command names tripConn reports; any other line
// (a literal's continuation, which may be a password) is shown as "…".
var imapCommands = map[string]bool{
	"CAPABILITY": true, "LOGIN": true, "AUTHENTICATE": true, "ID": true, "ENABLE": true, "COMPRESS": true,
	"NAMESPACE": true, "LIST": true, "LSUB": true, "STATUS": true, "SELECT": true, "EXAMINE": true,
	"SEARCH": true, "FETCH": true, "STORE": true, "NOOP": true, "IDLE": true, "DONE": true, "CHECK": true,
	"CLOSE": true, "UNSELECT": true, "EXPUNGE": true, "LOGOUT": true, "COPY": true, "MOVE": true, "APPEND": true,
}

// noteCommands adds the names of the commands completed in p to the
// current burst (the tag and the arguments are left out).
func (c *tripConn) noteCommands(p []byte) {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(c.line) < 64 {
				c.line = append(c.line, p[:min(len(p), 64-len(c.line))]...)
			}
			return
		}
		if len(c.line) < 64 {
			c.line = append(c.line, p[:min(i, 64-len(c.line))]...)
		}
		p = p[i+1:]
		name := "…"
		f := strings.Fields(string(c.line))
		switch {
		case len(f) == 1 && strings.EqualFold(f[0], "DONE"):
			name = "DONE"
		case len(f) >= 3 && strings.EqualFold(f[1], "UID") && imapCommands[strings.ToUpper(f[2])]:
			name = "UID " + strings.ToUpper(f[2])
		case len(f) >= 2 && imapCommands[strings.ToUpper(f[1])]:
			name = strings.ToUpper(f[1])
		}
		c.line = c.line[:0]
		if n := len(c.bursts); n > 0 {
			c.bursts[n-1] = append(c.bursts[n-1], name)
		}
	}
}

// reset forgets what was counted so far (the connection set-up).
func (c *tripConn) reset() {
	c.mu.Lock()
	c.trips, c.written, c.read, c.reading, c.bursts = 0, 0, 0, true, nil
	c.mu.Unlock()
}

func (c *tripConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.trips
}

// tripTracer is a protocols.Tracer (the hook of `posta --trace`, set in
// an account's configuration) that wraps every connection the accounts
// layer or the fetcher opens in a tripConn above TLS, so the IMAP
// conversation is counted from the greeting on, on each connection.
type tripTracer struct {
	mu    sync.Mutex
	conns []*tripConn
}

func (t *tripTracer) Conn(proto, addr string, c net.Conn) net.Conn {
	tc := newTripConn(c)
	tc.imap = proto == "imap"
	t.mu.Lock()
	t.conns = append(t.conns, tc)
	t.mu.Unlock()
	return tc
}

// connTrips is what one traced connection saw.
type connTrips struct {
	Trips   int        `json:"trips"`
	Bursts  [][]string `json:"bursts"`
	Read    int64      `json:"read"`
	Written int64      `json:"written"`
	// Caps are the capabilities of resyncCaps the server announced.
	Caps []string `json:"caps,omitempty"`
}

// resyncCaps are the capabilities that decide what a resync needs.
var resyncCaps = []string{"CONDSTORE", "QRESYNC", "LIST-STATUS"}

// seen returns each connection's figures.
func (t *tripTracer) seen() []connTrips {
	t.mu.Lock()
	defer t.mu.Unlock()
	out := make([]connTrips, 0, len(t.conns))
	for _, c := range t.conns {
		c.mu.Lock()
		ct := connTrips{Trips: c.trips, Bursts: c.bursts, Read: c.read, Written: c.written}
		heard := bytes.ToUpper(c.heard)
		for _, capa := range resyncCaps {
			if bytes.Contains(heard, []byte(" "+capa)) {
				ct.Caps = append(ct.Caps, capa)
			}
		}
		c.mu.Unlock()
		out = append(out, ct)
	}
	return out
}

// burstText is the round trips of one connection as "LOGIN | LIST | …".
func burstText(c connTrips) string {
	parts := make([]string, 0, len(c.Bursts))
	for _, b := range c.Bursts {
		parts = append(parts, strings.Join(b, " + "))
	}
	return strings.Join(parts, " | ")
}
