// Package lingering finds goroutines a test expects to have ended.
package lingering

import (
	"runtime"
	"strings"
	"time"
)

// Stacks returns the stacks of the goroutines whose stack mentions any of
// marks, waiting up to wait for them to end; "" once none is left.
func Stacks(wait time.Duration, marks ...string) string {
	for deadline := time.Now().Add(wait); ; {
		buf := make([]byte, 1<<20)
		buf = buf[:runtime.Stack(buf, true)]
		var left []string
		for _, g := range strings.Split(string(buf), "\n\n") {
			for _, m := range marks {
				if strings.Contains(g, m) {
					left = append(left, g)
					break
				}
			}
		}
		if len(left) == 0 || time.Now().After(deadline) {
			return strings.Join(left, "\n\n")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
