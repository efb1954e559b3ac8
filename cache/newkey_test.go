package cache

import (
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"testing"
	"time"
)

// newKey writes the Maildir key format that uidlFromKey, keyPID and the
// recovery of files that landed before a crash read back.
func TestNewKey(t *testing.T) {
	c := &Cache{now: func() time.Time { return time.Unix(1789381221, 123456789) }}
	for _, uidl := range []string{"1", "uidl-0042", "ä/../x,U=y:2,S"} {
		key := c.newKey(uidl)
		want := fmt.Sprintf(`^1789381221\.M123456P%dQ\d+R[0-9a-f]{8}\.%s,U=%s$`,
			os.Getpid(), regexp.QuoteMeta(keyHost()), hex.EncodeToString([]byte(uidl)))
		if !regexp.MustCompile(want).MatchString(key) {
			t.Errorf("newKey(%q) = %q, want it to match %s", uidl, key, want)
		}
		if got := uidlFromKey(key); got != uidl {
			t.Errorf("uidlFromKey(%q) = %q, want %q", key, got, uidl)
		}
		if got := keyPID(key); got != os.Getpid() {
			t.Errorf("keyPID(%q) = %d, want %d", key, got, os.Getpid())
		}
	}
	if a, b := c.newKey("1"), c.newKey("1"); a == b {
		t.Errorf("two keys for one UIDL at one instant are both %q", a)
	}
}
