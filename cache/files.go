package cache

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"io"
	"mime"
	"net/mail"
	"os"
	"path/filepath"
	"runtime"

	postamail "github.com/posta-mail/posta/mail"
)

func bodiesDir(dir string) string     { return filepath.Join(dir, "bodies") }
func outboxDir(dataDir string) string { return filepath.Join(dataDir, ".outbox") }
func bodyPath(dir string, id int64) string {
	return filepath.Join(bodiesDir(dir), fmt.Sprintf("%d.eml", id))
}

// mkdirPrivate creates dir (and parents) and sets it to 0700 whatever the umask.
func mkdirPrivate(dir string) error {
	if err := os.MkdirAll(dir, dirMode); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	if err := os.Chmod(dir, dirMode); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return nil
}

// resetDir removes dir with its content and creates it empty. Only used on
// the re-fetchable IMAP body cache.
func resetDir(dir string) error {
	if err := os.RemoveAll(dir); err != nil {
		return fmt.Errorf("cache: %w", err)
	}
	return mkdirPrivate(dir)
}

// syncDir fsyncs a directory so that a rename or create in it is durable.
// Windows cannot open directories for syncing; NTFS journals renames itself.
func syncDir(dir string) error {
	if runtime.GOOS == "windows" {
		return nil
	}
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cache: fsync %s: %w", dir, err)
	}
	return nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		panic(err) // crypto/rand never fails on supported platforms
	}
	return hex.EncodeToString(b)
}

// writeTemp writes r into a new 0600 file in tmpDir and fsyncs it. It
// returns the file's path and the number of bytes written; on error the
// file is removed.
func writeTemp(tmpDir, name string, r io.Reader) (string, int64, error) {
	path := filepath.Join(tmpDir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return "", 0, fmt.Errorf("cache: %w", err)
	}
	n, err := io.Copy(f, r)
	if err == nil {
		err = f.Chmod(fileMode)
	}
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", 0, fmt.Errorf("cache: write %s: %w", path, err)
	}
	return path, n, nil
}

// writeDurable writes r to dst atomically: a temporary file in tmpDir is
// fsynced, renamed to dst, and dst's directory is fsynced.
func writeDurable(tmpDir, dst string, r io.Reader) (int64, error) {
	tmp, n, err := writeTemp(tmpDir, ".tmp-"+randomHex(8), r)
	if err != nil {
		return 0, err
	}
	if err := os.Rename(tmp, dst); err != nil {
		os.Remove(tmp)
		return 0, fmt.Errorf("cache: %w", err)
	}
	return n, syncDir(filepath.Dir(dst))
}

var wordDecoder mime.WordDecoder

func decodeWords(s string) string {
	if d, err := wordDecoder.DecodeHeader(s); err == nil {
		return d
	}
	return s
}

func parseAddrs(s string) []postamail.Address {
	if s == "" {
		return nil
	}
	list, err := (&mail.AddressParser{WordDecoder: &wordDecoder}).ParseList(s)
	if err != nil {
		return []postamail.Address{{Addr: s}}
	}
	out := make([]postamail.Address, 0, len(list))
	for _, a := range list {
		out = append(out, postamail.Address{Name: a.Name, Addr: a.Address})
	}
	return out
}
