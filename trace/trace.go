// Package trace writes the IMAP, POP3 and SMTP conversations posta has
// with servers to a file, for bug reports: `posta --trace FILE`.
//
// # What is written
//
// Every line each side sends, prefixed with a timestamp, the protocol,
// a connection number and C: (posta) or S: (the server). Credentials
// never appear: the arguments of IMAP LOGIN, POP3 USER, PASS and APOP,
// everything the client sends during an AUTHENTICATE/AUTH exchange
// (PLAIN, LOGIN, XOAUTH2 and OAUTHBEARER payloads, initial responses
// included) and literals that carry them are replaced by [redacted].
// Message bodies (IMAP BODY[]/RFC822/BINARY literals, APPEND data, POP3
// RETR/TOP answers, SMTP DATA and BDAT) are replaced by a byte count
// unless Options.Bodies is set. Once a connection switches to TLS
// in the middle (STARTTLS, STLS), its encrypted bytes are not written;
// protocols that trace the TLS connection itself start a new number.
package trace

import (
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// Options configures a Tracer. The zero value is ready to use.
type Options struct {
	// Bodies writes message bodies instead of their size.
	Bodies bool
	// Now is the clock; nil means time.Now.
	Now func() time.Time
}

// Tracer writes conversations to one writer. It is safe for concurrent
// use: every line is written whole.
type Tracer struct {
	mu     sync.Mutex
	w      io.Writer
	closer io.Closer
	bodies bool
	now    func() time.Time
	next   int
}

// New returns a Tracer writing to w.
func New(w io.Writer, opts Options) *Tracer {
	t := &Tracer{w: w, bodies: opts.Bodies, now: opts.Now}
	if t.now == nil {
		t.now = time.Now
	}
	return t
}

// Open appends traces to the file at path, creating it readable by its
// owner alone.
func Open(path string, opts Options) (*Tracer, error) {
	if dir := filepath.Dir(path); dir != "" {
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("trace: %w", err)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("trace: %w", err)
	}
	t := New(f, opts)
	t.closer = f
	t.line("posta", "--", fmt.Sprintf("trace started (process %d)", os.Getpid()))
	return t, nil
}

// Close closes the file Open opened.
func (t *Tracer) Close() error {
	if t == nil || t.closer == nil {
		return nil
	}
	return t.closer.Close()
}

// Conn returns c with everything read and written through it traced.
// proto is "imap", "pop3" or "smtp"; the bytes of c must be the
// protocol's cleartext (above TLS).
func (t *Tracer) Conn(proto, addr string, c net.Conn) net.Conn {
	t.mu.Lock()
	t.next++
	id := fmt.Sprintf("%s#%d", proto, t.next)
	t.mu.Unlock()
	tc := &conn{Conn: c, t: t, id: id, proto: newProtocol(proto, t.bodies)}
	how := "plain"
	if isTLS(c) {
		how = "TLS"
	}
	t.line(id, "--", fmt.Sprintf("connected to %s (%s)", addr, how))
	return tc
}

// line writes one line of the trace.
func (t *Tracer) line(id, dir, text string) {
	t.mu.Lock()
	defer t.mu.Unlock()
	fmt.Fprintf(t.w, "%s %s %s %s\n", t.now().UTC().Format("2006-01-02T15:04:05.000000Z"), id, dir, text)
}

// conn is a traced connection.
type conn struct {
	net.Conn
	t     *Tracer
	id    string
	mu    sync.Mutex
	proto *protocol
	buf   [2][]byte // partial lines: client, server
	lit   [2]int    // literal bytes still to come
	litOf [2]int    // the literal's whole size
	mode  [2]mode   // how the literal is written
	done  bool      // closed or switched to TLS: nothing more is written
}

const (
	client = 0
	server = 1
)

// maxLine is the most of one line kept before it is written as is.
const maxLine = 64 << 10

func (c *conn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	if n > 0 {
		c.feed(server, p[:n])
	}
	return n, err
}

func (c *conn) Write(p []byte) (int, error) {
	c.feed(client, p)
	return c.Conn.Write(p)
}

func (c *conn) Close() error {
	c.mu.Lock()
	if !c.done {
		c.done = true
		c.t.line(c.id, "--", "closed")
	}
	c.mu.Unlock()
	return c.Conn.Close()
}

func dirName(d int) string {
	if d == client {
		return "C:"
	}
	return "S:"
}

func (c *conn) feed(d int, data []byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done {
		return
	}
	for len(data) > 0 {
		if c.lit[d] > 0 {
			k := min(c.lit[d], len(data))
			chunk := data[:k]
			data = data[k:]
			c.lit[d] -= k
			if c.mode[d] == show {
				c.buf[d] = append(c.buf[d], chunk...)
				c.flushLines(d, true)
			}
			if c.lit[d] == 0 {
				if c.mode[d] == show {
					if len(c.buf[d]) > 0 {
						c.t.line(c.id, dirName(d), escape(c.buf[d]))
						c.buf[d] = c.buf[d][:0]
					}
				} else {
					c.t.line(c.id, dirName(d), c.mode[d].note(c.litOf[d]))
				}
			}
			continue
		}
		i := indexByte(data, '\n')
		if i < 0 {
			c.buf[d] = append(c.buf[d], data...)
			if len(c.buf[d]) > maxLine {
				c.line(d, c.buf[d])
				c.buf[d] = c.buf[d][:0]
			}
			return
		}
		c.buf[d] = append(c.buf[d], data[:i+1]...)
		data = data[i+1:]
		line := c.buf[d]
		c.buf[d] = nil
		c.line(d, line)
		if c.done {
			return
		}
	}
}

// flushLines writes the complete lines of a shown literal.
func (c *conn) flushLines(d int, _ bool) {
	for {
		i := indexByte(c.buf[d], '\n')
		if i < 0 {
			return
		}
		c.t.line(c.id, dirName(d), escape(c.buf[d][:i+1]))
		c.buf[d] = c.buf[d][i+1:]
	}
}

// line handles one whole line of direction d.
func (c *conn) line(d int, raw []byte) {
	text := strings.TrimRight(string(raw), "\r\n")
	var out string
	var lit int
	var m mode
	var upgrade bool
	if d == client {
		out, lit, m = c.proto.client(text)
	} else {
		out, lit, m, upgrade = c.proto.server(text)
	}
	if out != "" {
		c.t.line(c.id, dirName(d), out)
	}
	if lit > 0 {
		c.lit[d], c.litOf[d], c.mode[d] = lit, lit, m
	}
	if upgrade {
		c.t.line(c.id, "--", "TLS starts: the rest of this connection is encrypted")
		c.done = true
	}
}

func indexByte(b []byte, x byte) int {
	for i, v := range b {
		if v == x {
			return i
		}
	}
	return -1
}

// escape makes a line printable: control characters and invalid bytes
// become \xNN, the line ending is dropped.
func escape(b []byte) string {
	s := strings.TrimRight(string(b), "\r\n")
	var out strings.Builder
	for i := 0; i < len(s); i++ {
		ch := s[i]
		if ch < 0x20 && ch != '\t' || ch == 0x7f {
			fmt.Fprintf(&out, `\x%02X`, ch)
			continue
		}
		out.WriteByte(ch)
	}
	return out.String()
}
