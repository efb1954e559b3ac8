package cli

import (
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/sanitize"
)

// setupDemoCrypto makes the demo accounts' keys in dir (a GnuPG home and
// S/MIME certificates of the demo's own), delivers a few signed and
// encrypted messages, and writes the keys' settings into the demo
// configuration at cfgPath. What cannot be made (no gpg, no openssl) is
// said on stderr and the demo goes on without it. The returned function
// stops the demo's gpg-agent.
func setupDemoCrypto(g *globals, dir, cfgPath string, srv *demo.Servers) func() {
	setup, err := demo.SetupCrypto(dir, srv, time.Now())
	if err != nil {
		fmt.Fprintln(g.stderr, "demo: no signed or encrypted mail:", sanitize.Line(err.Error()))
		return func() { demo.StopCrypto(dir) }
	}
	for _, n := range setup.Notes {
		fmt.Fprintln(g.stderr, "demo:", n)
	}
	data, err := os.ReadFile(cfgPath)
	if err != nil {
		return func() { demo.StopCrypto(dir) }
	}
	text := string(data)
	for addr, lines := range setup.Settings {
		line := fmt.Sprintf("address = %q\n", addr)
		text = strings.Replace(text, line, line+lines, 1)
	}
	if err := os.WriteFile(cfgPath, []byte(text), 0o600); err != nil {
		fmt.Fprintln(g.stderr, "demo:", sanitize.Line(err.Error()))
	}
	return func() { demo.StopCrypto(dir) }
}
