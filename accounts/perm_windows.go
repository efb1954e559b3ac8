//go:build windows

package accounts

import "os"

// ownerOnly cannot be read from mode bits on Windows, where files under
// the user's profile are private by default; posta trusts the ACLs there.
func ownerOnly(fi os.FileInfo) bool { return true }
