package pop3

import (
	"bytes"
	"errors"
	"io"
)

// retrBody returns a reader over the body of a RETR whose +OK status line
// was read. The caller must read it to io.EOF (or drop the session)
// before reading the next reply.
func (c *conn) retrBody(limit int64, progress func(n int)) *dotReader {
	return &dotReader{c: c, limit: limit, progress: progress, lineStart: true}
}

// dotReader streams a multi-line reply: it removes the dot-stuffing at
// line starts and ends at the "." line. Every other byte, line endings
// included, is passed through as the server sent it.
type dotReader struct {
	c         *conn
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
	r := d.c.r
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
	// Pass on every whole line up to the next one that starts with a dot
	// (stuffed, or the terminator), which the next call looks at.
	chunk, _ := r.Peek(min(len(p), r.Buffered()))
	if i := bytes.Index(chunk, []byte("\n.")); i >= 0 {
		chunk = chunk[:i+1]
	}
	d.lineStart = chunk[len(chunk)-1] == '\n'
	n := copy(p, chunk)
	r.Discard(n)
	return n, nil
}

// terminator looks at a line starting with "." and returns the length
// of the terminating ".\r\n" or ".\n", or 0 for a stuffed line.
func (d *dotReader) terminator() (int, error) {
	b, err := d.c.r.Peek(2)
	if err != nil {
		return 0, err
	}
	switch {
	case b[1] == '\n':
		return 2, nil
	case b[1] != '\r':
		return 0, nil
	}
	if b, err = d.c.r.Peek(3); err != nil {
		return 0, err
	}
	if b[2] == '\n' {
		return 3, nil
	}
	return 0, nil
}

// drain reads the rest of the body, so that the session can go on after
// a Store that did not read it all.
func (d *dotReader) drain() error {
	_, err := io.Copy(io.Discard, d)
	return err
}
