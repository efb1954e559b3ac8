package message

import (
	"bufio"
	"bytes"
	"errors"
	"io"
)

// errNoBoundary means a multipart body never contains its boundary.
var errNoBoundary = errors.New("multipart boundary not found")

// multipartReader splits a multipart body at its boundary lines. Unlike a
// strict parser it never fails on part content: part headers are read by
// the caller (tolerantly), empty parts and a missing close boundary are
// fine, and the epilogue is ignored.
type multipartReader struct {
	br        *bufio.Reader
	dash      []byte // "--" + boundary
	lineStart bool   // the next chunk starts a line
	started   bool
	done      bool
	preamble  []byte // the start of the preamble, shown when there are no parts
	cur       *partReader
}

func newMultipartReader(r io.Reader, boundary string) *multipartReader {
	return &multipartReader{
		br:        bufio.NewReaderSize(r, 8<<10),
		dash:      []byte("--" + boundary),
		lineStart: true,
	}
}

// next returns the next chunk of input: a whole line, or a piece of a line
// longer than the buffer. The chunk is only valid until the next call.
func (m *multipartReader) next() (chunk []byte, lineStart bool, err error) {
	chunk, err = m.br.ReadSlice('\n')
	if errors.Is(err, bufio.ErrBufferFull) {
		err = nil
	}
	lineStart = m.lineStart
	m.lineStart = len(chunk) > 0 && chunk[len(chunk)-1] == '\n'
	return chunk, lineStart, err
}

// boundary reports whether chunk is a boundary line, and whether it is the
// close boundary.
func (m *multipartReader) boundary(chunk []byte, lineStart bool) (isBoundary, isClose bool) {
	if !lineStart || !bytes.HasPrefix(chunk, m.dash) {
		return false, false
	}
	rest := bytes.TrimRight(chunk[len(m.dash):], " \t\r\n")
	switch {
	case len(rest) == 0:
		return true, false
	case bytes.Equal(rest, []byte("--")):
		return true, true
	}
	return false, false
}

// NextPart returns the raw content (header and body) of the next part,
// io.EOF after the last one, or errNoBoundary if the body has no boundary
// line at all. Reading the previous part is finished first.
func (m *multipartReader) NextPart() (io.Reader, error) {
	if m.cur != nil {
		io.Copy(io.Discard, m.cur)
		m.cur = nil
	}
	if !m.started {
		m.started = true
		if err := m.skipPreamble(); err != nil {
			return nil, err
		}
	}
	if m.done {
		return nil, io.EOF
	}
	m.cur = &partReader{m: m}
	return m.cur, nil
}

func (m *multipartReader) skipPreamble() error {
	for {
		chunk, lineStart, err := m.next()
		if ok, isClose := m.boundary(chunk, lineStart); ok {
			m.done = isClose
			return nil
		}
		if room := fallbackBytes - len(m.preamble); room > 0 {
			m.preamble = append(m.preamble, chunk[:min(room, len(chunk))]...)
		}
		if err != nil {
			m.done = true
			return errNoBoundary
		}
	}
}

// partReader reads one part up to the next boundary line. The line break
// before a boundary belongs to the boundary, so each line's terminator is
// held back until the following line is known not to be a boundary.
type partReader struct {
	m       *multipartReader
	pending []byte
	pos     int
	hold    []byte
	done    bool
}

func (p *partReader) Read(b []byte) (int, error) {
	for p.pos == len(p.pending) {
		if p.done {
			return 0, io.EOF
		}
		p.fill()
	}
	n := copy(b, p.pending[p.pos:])
	p.pos += n
	return n, nil
}

// fill reads the next chunk into pending.
func (p *partReader) fill() {
	m := p.m
	p.pending, p.pos = p.pending[:0], 0
	if m.done {
		p.done = true
		return
	}
	chunk, lineStart, err := m.next()
	if ok, isClose := m.boundary(chunk, lineStart); ok {
		p.done, m.done = true, isClose
		return
	}
	body, term := splitTerminator(chunk)
	p.pending = append(p.pending, p.hold...)
	p.pending = append(p.pending, body...)
	p.hold = append(p.hold[:0], term...)
	if err != nil {
		// EOF without a close boundary: the part ends with the input.
		p.pending = append(p.pending, p.hold...)
		p.done, m.done = true, true
	}
}

func splitTerminator(chunk []byte) (body, term []byte) {
	switch {
	case bytes.HasSuffix(chunk, []byte("\r\n")):
		return chunk[:len(chunk)-2], chunk[len(chunk)-2:]
	case bytes.HasSuffix(chunk, []byte("\n")):
		return chunk[:len(chunk)-1], chunk[len(chunk)-1:]
	}
	return chunk, nil
}
