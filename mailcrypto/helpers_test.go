package mailcrypto_test

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

// keyring is a GnuPG home in a temp dir, with keys made for the test.
type keyring struct {
	t    *testing.T
	home string
}

// newKeyring makes an empty GnuPG home, or skips the test without gpg.
func newKeyring(t *testing.T) *keyring {
	t.Helper()
	for _, prog := range []string{"gpg", "gpg-agent"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed (apt-get install gnupg)")
		}
	}
	// Short path: gpg-agent's socket must fit in sun_path.
	home, err := os.MkdirTemp("", "pgk")
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(home, 0o700); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	return &keyring{t: t, home: home}
}

// gpg runs gpg on the keyring; it fails the test when gpg fails.
func (k *keyring) gpg(stdin []byte, args ...string) []byte {
	k.t.Helper()
	out, err := k.try(stdin, args...)
	if err != nil {
		k.t.Fatalf("gpg %s: %v", strings.Join(args, " "), err)
	}
	return out
}

func (k *keyring) try(stdin []byte, args ...string) ([]byte, error) {
	full := append([]string{"--homedir", k.home, "--batch", "--yes", "--passphrase", "", "--pinentry-mode", "loopback", "--trust-model", "always"}, args...)
	cmd := exec.Command("gpg", full...)
	cmd.Stdin = bytes.NewReader(stdin)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return out, fmt.Errorf("%w: %s", err, stderr.String())
	}
	return out, nil
}

// genKey makes a key without passphrase for uid; extra args go before
// --quick-gen-key (e.g. a faked system time).
func (k *keyring) genKey(uid, expire string, extra ...string) {
	k.t.Helper()
	k.gpg(nil, append(extra, "--quick-gen-key", uid, "future-default", "default", expire)...)
}

// export returns the armored public key of uid.
func (k *keyring) export(uid string) []byte { return k.gpg(nil, "--armor", "--export", uid) }

// importKey adds armored keys.
func (k *keyring) importKey(key []byte) { k.gpg(key, "--import") }

func (k *keyring) engine() *mailcrypto.Engine {
	return mailcrypto.New(&mailcrypto.Options{GnupgHome: k.home})
}

// render renders raw with the engine and fails on error.
func render(t *testing.T, e message.Crypto, raw string) *message.Rendered {
	t.Helper()
	r, err := message.Render(strings.NewReader(raw), message.Options{Crypto: e})
	if err != nil {
		t.Fatalf("Render: %v", err)
	}
	return r
}

// crlf turns the LF line ends of a test message into CRLF.
func crlf(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\n", "\r\n")
}

func writeFile(t *testing.T, dir, name string, data []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}
