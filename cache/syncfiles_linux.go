package cache

import (
	"fmt"
	"os"

	"golang.org/x/sys/unix"
)

// syncFiles makes the data of the given files durable. Many files are
// flushed with one syncfs(2) of their file system, which costs about what
// a dozen fsyncs do (fsync of 10,000 small files takes seconds); a few
// are fsynced one by one.
func syncFiles(paths []string) error {
	if len(paths) <= syncOneByOne {
		return fsyncEach(paths)
	}
	f, err := os.Open(paths[0])
	if err != nil {
		return err
	}
	defer f.Close()
	if err := unix.Syncfs(int(f.Fd())); err != nil {
		if err == unix.ENOSYS {
			return fsyncEach(paths)
		}
		return fmt.Errorf("syncfs: %w", err)
	}
	return nil
}
