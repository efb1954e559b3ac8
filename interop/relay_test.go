//go:build interop

package interop

import (
	"testing"

	"github.com/posta-mail/posta/internal/tcprelay"
)

// startRelay starts a tcprelay to target, closed when the test ends.
func startRelay(t *testing.T, target string) *tcprelay.Relay {
	t.Helper()
	r, err := tcprelay.Start(target)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(r.Close)
	return r
}
