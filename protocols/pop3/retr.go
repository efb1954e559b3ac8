package pop3

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// errProtocol reports a reply that breaks the POP3 exchange, after which
// the session cannot be trusted and is dropped without QUIT.
var errProtocol = errors.New("pop3: protocol error")

// wire reads replies straight from the session's connection, for the
// exchanges go-pop3 cannot stream or parse (RETR, SASL). POP3 is lock-step,
// so go-pop3's own buffer is empty between commands; wire checks that its
// buffer is empty too when an exchange ends.
type wire struct {
	tc *timedConn
	r  *bufio.Reader
}

func newWire(tc *timedConn) *wire {
	return &wire{tc: tc, r: bufio.NewReaderSize(tc, 32<<10)}
}

// send writes one command line.
func (w *wire) send(line string) error {
	_, err := io.WriteString(w.tc, line+"\r\n")
	return err
}

// status reads one status line: "+OK …", "-ERR …" or a SASL "+ …"
// continuation. Lines longer than 4 KB are refused.
func (w *wire) status() (string, error) {
	line, err := w.r.ReadSlice('\n')
	if err != nil {
		if errors.Is(err, bufio.ErrBufferFull) || len(line) > 4096 {
			return "", fmt.Errorf("%w: status line too long", errProtocol)
		}
		return "", err
	}
	if len(line) > 4096 {
		return "", fmt.Errorf("%w: status line too long", errProtocol)
	}
	return strings.TrimRight(string(line), "\r\n"), nil
}

// idle reports an error if the server sent more than was asked for.
func (w *wire) idle() error {
	if w.r.Buffered() > 0 {
		return fmt.Errorf("%w: unexpected data after a reply", errProtocol)
	}
	return nil
}

// retr sends RETR id and returns a reader over the message body, or the
// server's -ERR text as an error. The caller must read the body to
// io.EOF (or drop the session) before sending another command.
func (w *wire) retr(id int, limit int64, progress func(n int)) (*dotReader, error) {
	if err := w.send("RETR " + strconv.Itoa(id)); err != nil {
		return nil, err
	}
	st, err := w.status()
	if err != nil {
		return nil, err
	}
	if !strings.HasPrefix(st, "+OK") {
		return nil, errors.New(strings.TrimSpace(strings.TrimPrefix(st, "-ERR")))
	}
	return &dotReader{w: w, limit: limit, progress: progress, lineStart: true}, nil
}

// dotReader streams a multi-line reply: it removes the dot-stuffing at
// line starts and ends at the "." line. Every other byte, line endings
// included, is passed through as the server sent it.
type dotReader struct {
	w         *wire
	limit     int64     // most bytes the body may have
	progress  func(int) // told of each chunk read, may be nil
	n         int64     // bytes returned so far
	lineStart bool      // the next byte begins a line
	err       error     // sticky: io.EOF at the end, or the failure
}

// Read implements io.Reader.
func (d *dotReader) Read(p []byte) (int, error) {
	if d.err != nil {
		return 0, d.err
	}
	if len(p) == 0 {
		return 0, nil
	}
	n, err := d.read(p)
	d.n += int64(n)
	if err == nil && d.n > d.limit {
		err = errTooLarge
	}
	if err != nil {
		if errors.Is(err, io.EOF) && !d.ended() {
			err = io.ErrUnexpectedEOF
		}
		d.err = err
	}
	if n > 0 && d.progress != nil {
		d.progress(n)
	}
	if n > 0 && errors.Is(err, io.EOF) {
		return n, nil // report io.EOF on the next call
	}
	return n, err
}

func (d *dotReader) ended() bool { return d.err == io.EOF }

func (d *dotReader) read(p []byte) (int, error) {
	r := d.w.r
	if d.lineStart {
		b, err := r.Peek(1)
		if err != nil {
			return 0, err
		}
		if b[0] == '.' {
			end, err := d.terminator()
			if err != nil {
				return 0, err
			}
			if end > 0 {
				r.Discard(end)
				d.err = io.EOF
				if err := d.w.idle(); err != nil {
					return 0, err
				}
				return 0, io.EOF
			}
			r.Discard(1) // a stuffed dot
		}
		d.lineStart = false
	}
	if r.Buffered() == 0 {
		if _, err := r.Peek(1); err != nil {
			return 0, err
		}
	}
	chunk, _ := r.Peek(min(len(p), r.Buffered()))
	if i := indexLF(chunk); i >= 0 {
		chunk = chunk[:i+1]
		d.lineStart = true
	}
	n := copy(p, chunk)
	r.Discard(n)
	return n, nil
}

// terminator looks at a line starting with "." and returns the length
// of the terminating ".\r\n" or ".\n", or 0 for a stuffed line.
func (d *dotReader) terminator() (int, error) {
	b, err := d.w.r.Peek(2)
	if err != nil {
		return 0, err
	}
	switch {
	case b[1] == '\n':
		return 2, nil
	case b[1] != '\r':
		return 0, nil
	}
	if b, err = d.w.r.Peek(3); err != nil {
		return 0, err
	}
	if b[2] == '\n' {
		return 3, nil
	}
	return 0, nil
}

func indexLF(b []byte) int {
	for i, c := range b {
		if c == '\n' {
			return i
		}
	}
	return -1
}

// drain reads the rest of the body, so that the session can go on after
// a Store that did not read it all.
func (d *dotReader) drain() error {
	_, err := io.Copy(io.Discard, d)
	return err
}
