package cli

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestRenderSignedJSON signs a PGP/MIME message with a key made in a temp
// GNUPGHOME and checks what render and render --json say about it.
func TestRenderSignedJSON(t *testing.T) {
	for _, prog := range []string{"gpg", "gpg-agent"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed (apt-get install gnupg)")
		}
	}
	home, err := os.MkdirTemp("", "pgc")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
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
	gpg("", "--quick-gen-key", "Zoë \x1b[31m <zoe@example.com>", "future-default", "default", "never")
	content := "Content-Type: text/plain\r\n\r\nSigned words.\r\n"
	sig := gpg(content, "--armor", "--detach-sign")
	raw := "From: zoe@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=b\r\n\r\n" +
		"--b\r\n" + content + "\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\n" + sig + "\r\n--b--\r\n"
	path := filepath.Join(t.TempDir(), "s.eml")
	if err := os.WriteFile(path, []byte(raw), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := runNoConfig(t, "", "render", "--json", path)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(out, "\x1b") {
		t.Errorf("JSON carries a raw escape from the key's user id: %q", out)
	}
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("not JSON: %v\n%s", err, out)
	}
	s, _ := got["signature"].(map[string]any)
	if s == nil || s["state"] != "good" || s["covers"] != "message" || s["matches_from"] != true || got["encrypted"] != nil {
		t.Fatalf("signature = %v, encrypted = %v", got["signature"], got["encrypted"])
	}
	text, err := runNoConfig(t, "", "render", path)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text, "[Good OpenPGP signature from Zoë") || strings.Contains(text, "\x1b") || !strings.Contains(text, "Signed words.") {
		t.Errorf("render =\n%s", text)
	}

	// Unsigned mail: null and an empty list.
	plain := filepath.Join(t.TempDir(), "p.eml")
	os.WriteFile(plain, []byte("From: a@example.com\r\n\r\nhi\r\n"), 0o600)
	out, err = runNoConfig(t, "", "render", "--json", plain)
	if err != nil || !strings.Contains(out, `"signature": null`) || !strings.Contains(out, `"signatures": []`) || !strings.Contains(out, `"encrypted": null`) {
		t.Errorf("unsigned: %v\n%s", err, out)
	}
}
