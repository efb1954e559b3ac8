package accounts

import (
	"bytes"
	"io"
	"os"
)

// readBody reads a cached body to its end. The body cache and the Maildir
// give files, whose size is known: the buffer is made that size once,
// where io.ReadAll would grow it step by step, holding the old and the
// new buffer at each step (about two copies of a big message at the
// last one, and three times its size allocated in all).
func readBody(r io.Reader) ([]byte, error) {
	f, ok := r.(interface{ Stat() (os.FileInfo, error) })
	if !ok {
		return io.ReadAll(r)
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() <= 0 || int64(int(fi.Size())) != fi.Size() {
		return io.ReadAll(r)
	}
	var b bytes.Buffer
	// bytes.MinRead spare: ReadFrom sees the end without growing the
	// buffer; a file that grew meanwhile is still read whole.
	b.Grow(int(fi.Size()) + bytes.MinRead)
	_, err = b.ReadFrom(r)
	return b.Bytes(), err
}
