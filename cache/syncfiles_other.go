//go:build !linux

package cache

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// syncFiles makes the data of the given files durable, one fsync each.
func syncFiles(paths []string) error {
	return fsyncEach(paths)
}

// writeUnsynced writes r into a new 0600 file in tmpDir, without fsync
// (syncFiles does that for a whole batch). On error the file is removed.
func writeUnsynced(tmpDir, name string, r io.Reader) (string, int64, error) {
	path := filepath.Join(tmpDir, name)
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, fileMode)
	if err != nil {
		return "", 0, err
	}
	n, err := io.Copy(f, r)
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
		return "", 0, fmt.Errorf("write %s: %w", path, err)
	}
	return path, n, nil
}

// renameFile renames a file within its file system.
func renameFile(oldpath, newpath string) error { return os.Rename(oldpath, newpath) }
