package pop3

import (
	"bufio"
	"bytes"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"time"

	"github.com/posta-mail/posta/protocols"
)

// Limits on what a server may send outside message bodies. A reply that
// breaks one ends the session with an error naming the server.
const (
	// maxLine bounds a status line or a line of a LIST, UIDL or CAPA
	// reply (RFC 2449 allows 512 octets; servers append text).
	maxLine = 8 << 10
	// maxCapaLines bounds the lines of a CAPA reply.
	maxCapaLines = 256
	// maxMessages bounds the messages a maildrop may list, whatever STAT
	// says.
	maxMessages = 1_000_000
)

// errTooLarge aborts a download bigger than Options.MaxMessageBytes.
var errTooLarge = errors.New("pop3: message exceeds the size limit")

// errProtocol reports a reply that breaks the POP3 exchange, after which
// the session cannot be trusted and is dropped without QUIT.
var errProtocol = errors.New("protocol error")

// timedConn gives every Read and Write a deadline and remembers the first
// I/O error, which tells transport failures apart from -ERR replies.
// While until is set, reads must be done by then (a whole line must
// arrive within one timeout, however slowly it drips).
type timedConn struct {
	net.Conn
	timeout time.Duration
	until   time.Time
	ioErr   error
}

func (c *timedConn) Read(p []byte) (int, error) {
	deadline := time.Now().Add(c.timeout)
	if !c.until.IsZero() && c.until.Before(deadline) {
		deadline = c.until
	}
	c.Conn.SetReadDeadline(deadline)
	n, err := c.Conn.Read(p)
	if err != nil && c.ioErr == nil {
		c.ioErr = err
	}
	return n, err
}

func (c *timedConn) Write(p []byte) (int, error) {
	c.Conn.SetWriteDeadline(time.Now().Add(c.timeout))
	n, err := c.Conn.Write(p)
	if err != nil && c.ioErr == nil {
		c.ioErr = err
	}
	return n, err
}

// conn is a POP3 connection with exactly one buffered reader of what the
// server sends: every reply, whoever asked for it (go-pop3 through gate,
// the listing, RETR, SASL, STLS), is read from r. Commands are buffered
// in w and flushed before a reply is awaited, so that pipelined commands
// leave in one write.
type conn struct {
	addr string // the server, for errors
	tc   *timedConn
	r    *bufio.Reader
	w    *bufio.Writer
	// lazy, set while a download pipelines its RETRs and DELEs, leaves
	// the commands buffered when a reply is read that is already there:
	// the download flushes them a batch at a time, and line flushes
	// before it would wait for the server. The reply read then belongs
	// to a command sent before, so nothing waits for a buffered one.
	lazy bool
}

func newConn(tc *timedConn, addr string) *conn {
	return &conn{addr: addr, tc: tc, r: bufio.NewReaderSize(tc, 64<<10), w: bufio.NewWriterSize(tc, 4<<10)}
}

// send buffers one command line.
func (c *conn) send(line string) {
	c.w.WriteString(line)
	c.w.WriteString("\r\n")
}

// flush writes the buffered commands.
func (c *conn) flush() error {
	if c.w.Buffered() == 0 {
		return nil
	}
	return c.w.Flush()
}

// line reads one line of a reply without its line ending. The line must
// be complete within one timeout and at most maxLine bytes long. The
// result is valid until the next read.
func (c *conn) line() ([]byte, error) {
	// A failed write (the server went away) is not reported here: the
	// replies it sent before are still read, and the read that finds the
	// end reports it (tc.ioErr keeps the write error too).
	if !c.lazy || c.r.Buffered() == 0 {
		c.flush()
	}
	c.tc.until = time.Now().Add(c.tc.timeout)
	defer func() { c.tc.until = time.Time{} }()
	b, err := c.r.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) || len(b) > maxLine {
		return nil, fmt.Errorf("%w: a line longer than %d bytes", errProtocol, maxLine)
	}
	if err != nil {
		if errors.Is(err, io.EOF) && len(b) > 0 {
			err = io.ErrUnexpectedEOF
		}
		if isTimeout(err) {
			return nil, fmt.Errorf("no complete line within %v: %w", c.tc.timeout, err)
		}
		return nil, err
	}
	b = bytes.TrimSuffix(b[:len(b)-1], []byte("\r"))
	return b, nil
}

// status reads a status line and returns it, or the server's -ERR text
// as a *serverError.
func (c *conn) status() (string, error) {
	b, err := c.line()
	if err != nil {
		return "", err
	}
	switch {
	case bytes.HasPrefix(b, []byte("+OK")):
		return string(b), nil
	case bytes.HasPrefix(b, []byte("-ERR")):
		return "", &serverError{text: strings.TrimSpace(string(b[4:]))}
	}
	return "", fmt.Errorf("%w: unexpected reply %q", errProtocol, clip(b))
}

// cmd sends one command and reads its status line.
func (c *conn) cmd(line string) (string, error) {
	c.send(line)
	return c.status()
}

// multiline reads the lines of a multi-line reply up to its "." line,
// calling fn with each (dot-unstuffed) line; at most max lines.
func (c *conn) multiline(max int, fn func(line []byte) error) error {
	for n := 0; ; n++ {
		b, err := c.line()
		if err != nil {
			return err
		}
		if len(b) == 1 && b[0] == '.' {
			return nil
		}
		if n >= max {
			return fmt.Errorf("%w: a reply of more than %d lines", errProtocol, max)
		}
		if len(b) > 0 && b[0] == '.' {
			b = b[1:]
		}
		if err := fn(b); err != nil {
			return err
		}
	}
}

// serverError is a -ERR reply.
type serverError struct{ text string }

func (e *serverError) Error() string { return e.text }

func isTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

func clip(b []byte) string {
	if len(b) > 80 {
		return string(b[:80]) + "…"
	}
	return string(b)
}

// gate is the net.Conn go-pop3 is given. Its reads come from the one
// buffered reader of conn, never past the end of a line, so go-pop3's own
// buffer never holds a byte of a reply it did not ask for; its lines are
// bounded like conn's. Its writes go out after conn's buffered commands.
// go-pop3 is only used for lock-step commands (USER, PASS, QUIT), when no
// pipelined reply is pending.
type gate struct {
	net.Conn
	c        *conn
	greeting []byte // a synthetic greeting: conn read the real one
	inLine   int    // bytes of the current line returned so far
}

func (g *gate) Read(p []byte) (int, error) {
	if len(g.greeting) > 0 {
		n := copy(p, g.greeting)
		g.greeting = g.greeting[n:]
		return n, nil
	}
	r := g.c.r
	if g.inLine == 0 {
		g.c.tc.until = time.Now().Add(g.c.tc.timeout)
	}
	if r.Buffered() == 0 {
		if _, err := r.Peek(1); err != nil {
			return 0, err
		}
	}
	chunk, _ := r.Peek(min(len(p), r.Buffered()))
	end := bytes.IndexByte(chunk, '\n')
	if end >= 0 {
		chunk = chunk[:end+1]
	}
	if g.inLine+len(chunk) > maxLine {
		return 0, fmt.Errorf("%w: a line longer than %d bytes", errProtocol, maxLine)
	}
	n := copy(p, chunk)
	r.Discard(n)
	g.inLine += n
	if end >= 0 {
		g.inLine = 0
		g.c.tc.until = time.Time{}
	}
	return n, nil
}

func (g *gate) Write(p []byte) (int, error) {
	if err := g.c.flush(); err != nil {
		return 0, err
	}
	return g.c.tc.Write(p)
}

// dial connects to addr with the fetcher's dialer and does implicit TLS
// when the endpoint asks for it.
func (f *Fetcher) dial(ctx context.Context, addr string) (*timedConn, error) {
	ep := f.opts.Endpoint
	timeout := ep.IOTimeout()
	dctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	var raw net.Conn
	var err error
	if f.opts.Dial != nil {
		raw, err = f.opts.Dial(dctx, "tcp", addr)
	} else {
		raw, err = (&net.Dialer{}).DialContext(dctx, "tcp", addr)
	}
	if err != nil {
		return nil, fmt.Errorf("pop3: dial %s: %w", addr, err)
	}
	tc := &timedConn{Conn: raw, timeout: timeout}
	switch ep.Security {
	case protocols.SecurityTLS:
		err = f.handshake(dctx, tc)
	case protocols.SecurityStartTLS, protocols.SecurityNone:
		tc.Conn = ep.Traced("pop3", raw)
	default:
		err = fmt.Errorf("pop3: unknown security %q", ep.Security)
	}
	if err != nil {
		raw.Close()
		return nil, err
	}
	return tc, nil
}

// handshake replaces tc's connection by a verified TLS client on it.
func (f *Fetcher) handshake(ctx context.Context, tc *timedConn) error {
	conn := tls.Client(tc.Conn, f.opts.Endpoint.TLS())
	if err := conn.HandshakeContext(ctx); err != nil {
		return fmt.Errorf("pop3: %s: TLS handshake: %w", f.opts.Endpoint.Addr(), err)
	}
	tc.Conn = f.opts.Endpoint.Traced("pop3", conn)
	return nil
}

// capabilities is a CAPA reply: keyword (upper case) → arguments.
type capabilities map[string][]string

// capa asks for the server's capabilities; a server without CAPA has
// none.
func (c *conn) capa() (capabilities, error) {
	caps := capabilities{}
	if _, err := c.cmd("CAPA"); err != nil {
		var se *serverError
		if errors.As(err, &se) {
			return caps, nil
		}
		return nil, err
	}
	err := c.multiline(maxCapaLines, func(line []byte) error {
		fields := strings.Fields(string(line))
		if len(fields) > 0 {
			caps[strings.ToUpper(fields[0])] = fields[1:]
		}
		return nil
	})
	return caps, err
}

// startTLS sends STLS, which caps must offer, and upgrades the
// connection to TLS.
func (f *Fetcher) startTLS(ctx context.Context, c *conn, caps capabilities) error {
	if _, ok := caps["STLS"]; !ok {
		return fmt.Errorf("pop3: %s: server does not offer STLS: %w", c.addr, protocols.ErrUnsupported)
	}
	if _, err := c.cmd("STLS"); err != nil {
		return c.wrap("STLS", err)
	}
	if c.r.Buffered() > 0 {
		return fmt.Errorf("pop3: %s: server sent data before the TLS handshake", c.addr)
	}
	hctx, cancel := context.WithTimeout(ctx, c.tc.timeout)
	defer cancel()
	if err := f.handshake(hctx, c.tc); err != nil {
		return err
	}
	c.r.Reset(c.tc)
	c.w.Reset(c.tc)
	return nil
}

// wrap adds the server and the step to err, preferring the transport
// error when there is one.
func (c *conn) wrap(op string, err error) error {
	if c.tc.ioErr != nil && !errors.Is(err, c.tc.ioErr) {
		return fmt.Errorf("pop3: %s: %s: %w (%v)", c.addr, op, c.tc.ioErr, err)
	}
	return fmt.Errorf("pop3: %s: %s: %w", c.addr, op, err)
}
