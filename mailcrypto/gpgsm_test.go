package mailcrypto_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/mailcrypto"
)

// TestGpgsm: with no certificate file configured, gpgsm signs with its
// key for the From address, and a recipient's certificate is found in
// gpgsm's keybox; openssl verifies and decrypts the result.
func TestGpgsm(t *testing.T) {
	for _, prog := range []string{"gpgsm", "gpg-agent", "openssl"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed")
		}
	}
	dir := t.TempDir()
	bCert, bKey := smimeKey(t, dir, "Bob", "bob@example.org", "-days", "2")
	aCert, aKey := smimeKey(t, dir, "Alice", "alice@example.org", "-days", "2")
	home, err := os.MkdirTemp("", "pgs")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	os.WriteFile(filepath.Join(home, "gpgsm.conf"), []byte("disable-crl-checks\n"), 0o600)
	os.WriteFile(filepath.Join(home, "gpg-agent.conf"), []byte("allow-loopback-pinentry\n"), 0o600)
	run := func(stdin string, args ...string) ([]byte, error) {
		cmd := exec.Command("gpgsm", append([]string{"--homedir", home, "--batch", "--pinentry-mode", "loopback", "--passphrase-fd", "0"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		return cmd.CombinedOutput()
	}
	gpgsm := func(stdin string, args ...string) string {
		t.Helper()
		out, err := run(stdin, args...)
		if err != nil {
			t.Fatalf("gpgsm %v: %v\n%s", args, err, out)
		}
		return string(out)
	}
	// Bob's key goes to gpgsm as PKCS#12, which gpgsm 2.2 reads with the
	// older (3DES) encryption only, and not every file: about one in
	// twenty that openssl writes fails to decrypt ("possibly bad
	// passphrase given"), and that file fails every time, while the same
	// key exported again (a new salt) imports. So a failed import is
	// tried again with a new export, up to five times.
	p12 := filepath.Join(dir, "bob.p12")
	for attempt := 1; ; attempt++ {
		if out, err := exec.Command("openssl", "pkcs12", "-export", "-in", bCert, "-inkey", bKey, "-out", p12, "-passout", "pass:",
			"-keypbe", "PBE-SHA1-3DES", "-certpbe", "PBE-SHA1-3DES", "-macalg", "sha1").CombinedOutput(); err != nil {
			t.Fatalf("openssl pkcs12: %v\n%s", err, out)
		}
		out, err := run("\n", "--import", p12)
		if err == nil {
			break
		}
		if attempt == 5 {
			t.Fatalf("gpgsm --import %s: %v\n%s", p12, err, out)
		}
		t.Logf("gpgsm --import, export %d: %v\n%s", attempt, err, out)
	}
	gpgsm("\n", "--import", aCert)
	var trust strings.Builder
	for _, line := range strings.Split(gpgsm("", "--with-colons", "--list-keys"), "\n") {
		if f := strings.Split(line, ":"); len(f) > 9 && f[0] == "fpr" {
			trust.WriteString(f[9] + " S relax\n")
		}
	}
	os.WriteFile(filepath.Join(home, "trustlist.txt"), []byte(trust.String()), 0o600)

	e := mailcrypto.New(&mailcrypto.Options{GnupgHome: home, NoPinentry: true})
	msg := crlf("From: Bob <bob@example.org>\nTo: Alice <alice@example.org>\nSubject: via gpgsm\nContent-Type: text/plain\n\nSigned by gpgsm.\n")
	signed, err := e.Protect([]byte(msg), mailcrypto.Write{Sign: true, SMIME: true, Self: "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("openssl", "smime", "-verify", "-CAfile", bCert)
	cmd.Stdin = strings.NewReader(string(signed))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "Signed by gpgsm.") {
		t.Fatalf("openssl smime -verify: %v\n%s", err, out)
	}
	// Encrypted to Alice, whose certificate only gpgsm has, and to Bob:
	// gpgsm's own certificate for him.
	if m := e.MissingSMIMECerts([]string{"alice@example.org", "bob@example.org", "carol@example.org"}); len(m) != 1 || m[0].Addr != "carol@example.org" {
		t.Fatalf("missing = %v", m)
	}
	enc, err := e.Protect([]byte(msg), mailcrypto.Write{Sign: true, Encrypt: true, SMIME: true, Recipients: []string{"alice@example.org"}, Self: "bob@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	cmd = exec.Command("openssl", "smime", "-decrypt", "-recip", aCert, "-inkey", aKey)
	cmd.Stdin = strings.NewReader(string(enc))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "multipart/signed") {
		t.Fatalf("openssl smime -decrypt: %v\n%s", err, out)
	}
}
