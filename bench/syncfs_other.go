//go:build !linux

package main

import (
	"os"
	"path/filepath"
)

// syncFS fsyncs every file under dir/tmp, as cache.POPBatch does where
// there is no syncfs.
func syncFS(dir string) error {
	names, err := filepath.Glob(filepath.Join(dir, "tmp", "*"))
	if err != nil {
		return err
	}
	for _, n := range names {
		f, err := os.OpenFile(n, os.O_RDWR, 0)
		if err != nil {
			return err
		}
		err = f.Sync()
		f.Close()
		if err != nil {
			return err
		}
	}
	return nil
}
