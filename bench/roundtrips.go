package main

import (
	"net"
	"sync"
)

// tripConn counts round trips on a connection: a round trip starts each
// time the client writes after it has read something from the server (or
// writes for the first time). Pipelined commands sent in one burst count
// once. It sits under TLS, so it counts bursts of records, not commands.
type tripConn struct {
	net.Conn
	mu      sync.Mutex
	reading bool // the last thing seen was data from the server
	trips   int
	written int64
}

func newTripConn(c net.Conn) *tripConn { return &tripConn{Conn: c, reading: true} }

func (c *tripConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.mu.Lock()
		c.reading = true
		c.mu.Unlock()
	}
	return n, err
}

func (c *tripConn) Write(p []byte) (int, error) {
	c.mu.Lock()
	if c.reading {
		c.trips++
		c.reading = false
	}
	c.written += int64(len(p))
	c.mu.Unlock()
	return c.Conn.Write(p)
}

// reset forgets what was counted so far (the connection set-up).
func (c *tripConn) reset() {
	c.mu.Lock()
	c.trips, c.written, c.reading = 0, 0, true
	c.mu.Unlock()
}

func (c *tripConn) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.trips
}
