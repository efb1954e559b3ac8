package cache

import (
	"encoding/hex"
	"fmt"
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	postamail "github.com/posta-mail/posta/mail"
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

// The longest Maildir file name posta makes fits in the 255 bytes most
// file systems allow: a 70-character UIDL, the longest host name Linux
// has (64), the largest process id, a large delivery count, every flag.
func TestNewKeyFitsAFileName(t *testing.T) {
	host, pid := keyHost, processID
	t.Cleanup(func() { keyHost, processID = host, pid })
	keyHost = func() string { return hostPart(strings.Repeat("h", 64)) }
	processID = 4194304
	c := &Cache{now: func() time.Time { return time.Date(2286, 1, 1, 0, 0, 0, 999999000, time.UTC) }, deliveries: 1 << 40}
	uidl := strings.Repeat("~", 70)
	var all postamail.Flags
	for _, lf := range letterFlags {
		all = append(all, lf.flag)
	}
	key := c.newKey(uidl)
	name := fileName(key, all)
	if len(name) > 255 {
		t.Errorf("the longest Maildir file name is %d bytes: %q", len(name), name)
	}
	if got := uidlFromKey(key); got != uidl {
		t.Errorf("uidlFromKey(%q) = %q, want %q", key, got, uidl)
	}
}
