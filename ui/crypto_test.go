package ui

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"

	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
)

// TestPagerSignatureStatus opens a message signed by gpg (key in a temp
// GNUPGHOME): the status is above the body, and re-rendering (a resize)
// uses what the body command found, without running gpg again.
func TestPagerSignatureStatus(t *testing.T) {
	for _, prog := range []string{"gpg", "gpg-agent"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed (apt-get install gnupg)")
		}
	}
	home, err := os.MkdirTemp("", "pgu")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	defer os.RemoveAll(home)
	t.Setenv("GNUPGHOME", home)
	gpg := func(stdin string, args ...string) string {
		cmd := exec.Command("gpg", append([]string{"--batch", "--passphrase", "", "--pinentry-mode", "loopback"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, stderr.String())
		}
		return string(out)
	}
	gpg("", "--quick-gen-key", "Ann <ann@example.com>", "future-default", "default", "never")
	content := "Content-Type: text/plain\r\n\r\nSigned words.\r\n"
	sig := gpg(content, "--armor", "--detach-sign")
	exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
	raw := []byte("From: someone@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=b\r\n\r\n" +
		"--b\r\n" + content + "\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\n" + sig + "\r\n--b--\r\n")

	if prepareCrypto([]byte("From: a@example.com\r\n\r\nplain\r\n")) != nil {
		t.Error("prepareCrypto of plain mail is not nil")
	}
	crypto := prepareCrypto(raw)
	if crypto == nil {
		t.Fatal("prepareCrypto of a signed message is nil")
	}
	os.RemoveAll(home) // later renders must not need gpg
	p := newPager(accounts.Message{}, 100, 40)
	p.crypto = crypto
	p.setRaw(DefaultTheme(), raw)
	p.setSize(DefaultTheme(), 90, 40)
	view := ansi.Strip(p.vp.View())
	if !strings.Contains(view, "[Good OpenPGP signature from Ann <ann@example.com>") ||
		!strings.Contains(strings.Join(strings.Fields(view), " "), "does NOT match From someone@example.com") || !strings.Contains(view, "Signed words.") {
		t.Errorf("pager =\n%s", view)
	}
	if strings.Index(view, "Good OpenPGP") > strings.Index(view, "Signed words.") {
		t.Errorf("the status is not above the body:\n%s", view)
	}
}
