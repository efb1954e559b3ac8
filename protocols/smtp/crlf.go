package smtp

import "io"

// crlfWriter turns bare LF and bare CR line endings into CRLF as bytes
// stream through, so the DATA dot-stuffing sees proper lines and no bare
// CR ever reaches the server.
type crlfWriter struct {
	w         io.Writer
	pendingCR bool // the last byte written was a CR whose LF may follow
	buf       []byte
}

func (cw *crlfWriter) Write(p []byte) (int, error) {
	out := cw.buf[:0]
	for _, b := range p {
		switch {
		case cw.pendingCR:
			cw.pendingCR = false
			out = append(out, '\r', '\n')
			if b == '\n' {
				continue
			}
			if b == '\r' {
				cw.pendingCR = true
				continue
			}
			out = append(out, b)
		case b == '\r':
			cw.pendingCR = true
		case b == '\n':
			out = append(out, '\r', '\n')
		default:
			out = append(out, b)
		}
	}
	cw.buf = out
	if _, err := cw.w.Write(out); err != nil {
		return 0, err
	}
	return len(p), nil
}

// Flush writes a trailing CR as CRLF.
func (cw *crlfWriter) Flush() error {
	if !cw.pendingCR {
		return nil
	}
	cw.pendingCR = false
	_, err := cw.w.Write([]byte("\r\n"))
	return err
}
