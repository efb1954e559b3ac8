//go:build !linux

package main

import (
	"io/fs"
	"os"
	"path/filepath"
)

// syncFS fsyncs every file under dir, as cache.POPBatch does where there
// is no syncfs.
func syncFS(dir string) error {
	return filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || !d.Type().IsRegular() {
			return err
		}
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		defer f.Close()
		return f.Sync()
	})
}
