package imap

import (
	"net"
	"sync/atomic"
	"testing"
	"time"
)

// deadlineConn is a net.Conn whose reads return one byte at once and
// which records the read deadline in force.
type deadlineConn struct {
	net.Conn
	deadline time.Time
	sets     int
}

func (c *deadlineConn) Read(p []byte) (int, error)  { p[0] = 'x'; return 1, nil }
func (c *deadlineConn) Write(p []byte) (int, error) { return len(p), nil }
func (c *deadlineConn) SetReadDeadline(t time.Time) error {
	c.deadline, c.sets = t, c.sets+1
	return nil
}
func (c *deadlineConn) SetWriteDeadline(time.Time) error { return nil }

// TestWireReadDeadline: every read has the deadline its state asks for
// (the wire's timeout while busy or armed, idleWait in IDLE, none when
// parked), at most maxReadSlack sooner; the deadline is not moved by
// every read of a stream; a change of state or a write moves it at once.
func TestWireReadDeadline(t *testing.T) {
	conn := &deadlineConn{}
	busy := new(atomic.Int32)
	const timeout = 10 * time.Second
	w := newWire(conn, "server", timeout, busy)
	p := make([]byte, 1)
	read := func(wait time.Duration, limited bool) {
		t.Helper()
		before := time.Now()
		w.Read(p)
		after := time.Now()
		switch {
		case !limited && !conn.deadline.IsZero():
			t.Fatalf("read without a limit has deadline %v", conn.deadline)
		case limited && (conn.deadline.Before(before.Add(wait-min(wait/16, maxReadSlack))) || conn.deadline.After(after.Add(wait))):
			t.Fatalf("read at %v has deadline %v, want %v later", before, conn.deadline, wait)
		}
	}
	read(0, false) // parked
	busy.Add(1)
	read(timeout, true)
	sets := conn.sets
	for range 1000 {
		read(timeout, true)
	}
	if conn.sets-sets > 10 {
		t.Errorf("1000 reads in a stream moved the deadline %d times", conn.sets-sets)
	}
	time.Sleep(2 * maxReadSlack)
	read(timeout, true) // moved again after maxReadSlack
	busy.Add(-1)
	read(0, false)
	w.idle.Store(true)
	read(idleWait, true)
	w.idle.Store(false)
	read(0, false)
	conn.deadline = time.Time{}
	w.Write([]byte("a1 NOOP\r\n")) // armed: the answer is owed
	read(timeout, true)
	conn.deadline = time.Now().Add(time.Hour) // as a Write racing a read would leave it
	w.readStale.Store(true)
	w.armed.Store(false)
	read(0, false)
}
