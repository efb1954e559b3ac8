//go:build !linux

package cache

// syncFiles makes the data of the given files durable, one fsync each.
func syncFiles(paths []string) error {
	return fsyncEach(paths)
}
