// Package logfile keeps posta's log: a text file of slog records in the
// user's state folder, readable by its owner alone, rotated by size
// (posta.log, posta.log.1, … posta.log.N).
package logfile

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"runtime"
	"sync"
)

// Name is the log file's name in its folder.
const Name = "posta.log"

// Options configures Open. The zero value is ready to use.
type Options struct {
	// MaxBytes is the size past which the file is rotated; 0 means 1 MB.
	MaxBytes int64
	// Keep is how many rotated files are kept; 0 means 3.
	Keep int
	// Level is the lowest level written; the zero value is Info.
	Level slog.Level
}

// File is an open log file. Its Write is safe for concurrent use.
type File struct {
	mu   sync.Mutex
	path string
	f    *os.File
	size int64
	opts Options
}

// DefaultDir is where the log lives: $XDG_STATE_HOME/posta, else
// ~/.local/state/posta on Unix; the user cache folder's posta/log
// elsewhere.
func DefaultDir() (string, error) {
	if runtime.GOOS != "windows" && runtime.GOOS != "darwin" {
		if x := os.Getenv("XDG_STATE_HOME"); x != "" {
			return filepath.Join(x, "posta"), nil
		}
		home, err := os.UserHomeDir()
		if err != nil {
			return "", err
		}
		return filepath.Join(home, ".local", "state", "posta"), nil
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return "", err
	}
	return filepath.Join(base, "posta", "log"), nil
}

// Open opens (creating) dir/posta.log for appending.
func Open(dir string, opts Options) (*File, error) {
	if opts.MaxBytes <= 0 {
		opts.MaxBytes = 1 << 20
	}
	if opts.Keep <= 0 {
		opts.Keep = 3
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("log: %w", err)
	}
	l := &File{path: filepath.Join(dir, Name), opts: opts}
	if err := l.open(); err != nil {
		return nil, err
	}
	return l, nil
}

func (l *File) open() error {
	f, err := os.OpenFile(l.path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return fmt.Errorf("log: %w", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return fmt.Errorf("log: %w", err)
	}
	l.f, l.size = f, fi.Size()
	return nil
}

// Path is the file written.
func (l *File) Path() string { return l.path }

// Logger returns a logger writing text records to the file.
func (l *File) Logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: l.opts.Level}))
}

// Write appends p, rotating the file first when p would take it past
// MaxBytes. Another process may rotate the same file: records are then
// appended to the renamed file until this one rotates too; none is lost.
func (l *File) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return 0, os.ErrClosed
	}
	if l.size > 0 && l.size+int64(len(p)) > l.opts.MaxBytes {
		if err := l.rotate(); err != nil {
			return 0, err
		}
	}
	n, err := l.f.Write(p)
	l.size += int64(n)
	return n, err
}

// rotate renames posta.log.(i) to .(i+1), dropping the oldest, and
// starts a new file.
func (l *File) rotate() error {
	l.f.Close()
	l.f = nil
	os.Remove(fmt.Sprintf("%s.%d", l.path, l.opts.Keep))
	for i := l.opts.Keep - 1; i >= 1; i-- {
		os.Rename(fmt.Sprintf("%s.%d", l.path, i), fmt.Sprintf("%s.%d", l.path, i+1))
	}
	if err := os.Rename(l.path, l.path+".1"); err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("log: rotate: %w", err)
	}
	return l.open()
}

// Close closes the file.
func (l *File) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.f == nil {
		return nil
	}
	err := l.f.Close()
	l.f = nil
	return err
}
