//go:build !windows

package accounts

import "os"

// ownerOnly reports whether a file is readable by its owner alone.
func ownerOnly(fi os.FileInfo) bool { return fi.Mode().Perm()&0o077 == 0 }
