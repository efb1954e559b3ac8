package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// testGPG makes a GnuPG home in a temp dir, points GNUPGHOME at it and
// returns a function running gpg there; it skips the test without gpg.
func testGPG(t *testing.T) func(stdin string, args ...string) string {
	t.Helper()
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
	return func(stdin string, args ...string) string {
		t.Helper()
		cmd := exec.Command("gpg", append([]string{"--batch", "--passphrase", "", "--pinentry-mode", "loopback", "--trust-model", "always"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, stderr.String())
		}
		return string(out)
	}
}

// TestRenderSignedJSON signs a PGP/MIME message with a key made in a temp
// GNUPGHOME and checks what render and render --json say about it.
func TestRenderSignedJSON(t *testing.T) {
	gpg := testGPG(t)
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

// TestReadEncryptedNotStored sends a PGP/MIME message encrypted by gpg from
// one demo account to the other: read --json decrypts it, while neither
// the search index nor any file under the cache and data folders ever
// holds its text.
func TestReadEncryptedNotStored(t *testing.T) {
	gpg := testGPG(t)
	gpg("", "--quick-gen-key", "Bob <bob@home.example>", "future-default", "default", "never")
	const secret = "zanzibar-quokka-secret"
	armored := gpg("Content-Type: text/plain\r\n\r\nThe word is "+secret+".\r\n", "--armor", "--encrypt", "--recipient", "bob@home.example")
	msg := "From: alice@work.example\r\nTo: bob@home.example\r\nSubject: sealed\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\r\n\r\n" +
		"--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n" +
		"--e\r\nContent-Type: application/octet-stream\r\n\r\n" + strings.ReplaceAll(armored, "\n", "\r\n") + "--e--\r\n"

	e := newEnv(t, 2)
	e.mustRun("", "sync")
	e.mustRun(msg, "send", "--account", "work")
	e.mustRun("", "sync")
	var id int64
	for _, r := range e.list("--account", "home") {
		if r.Subject == "sealed" && r.Folder == "INBOX" {
			id = r.ID
		}
	}
	if id == 0 {
		t.Fatal("the encrypted message did not arrive in home's INBOX")
	}
	out := e.mustRun("", "read", "--json", fmt.Sprint(id))
	var got map[string]any
	if err := json.Unmarshal([]byte(out), &got); err != nil {
		t.Fatalf("read --json: %v\n%s", err, out)
	}
	enc, _ := got["encrypted"].(map[string]any)
	if enc == nil || enc["decrypted"] != true || !strings.Contains(fmt.Sprint(got["text"]), secret) {
		t.Fatalf("read --json = %s", out)
	}
	if text := e.mustRun("", "read", fmt.Sprint(id)); !strings.Contains(text, "[Encrypted (OpenPGP) to Bob <bob@home.example>") {
		t.Errorf("read =\n%s", text)
	}
	if found := e.mustRun("", "search", "--local", "--json", secret); strings.Contains(found, "sealed") {
		t.Errorf("search finds the encrypted words: %s", found)
	}
	stored := false // the walk does see the stored message
	filepath.Walk(e.cache, func(path string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return nil
		}
		stored = stored || bytes.Contains(data, []byte("BEGIN PGP MESSAGE"))
		if bytes.Contains(data, []byte(secret)) {
			t.Errorf("%s holds the decrypted text", path)
		}
		return nil
	})
	if !stored {
		t.Errorf("no file under %s holds the encrypted message", e.cache)
	}
}

// TestSendSignedEncrypted: send --sign --encrypt from one demo account to
// the other; the recipient reads it decrypted with a good signature from
// From, the copy in Sent is encrypted, and a recipient without a key stops
// the sending.
func TestSendSignedEncrypted(t *testing.T) {
	gpg := testGPG(t)
	gpg("", "--quick-gen-key", "Alice <alice@work.example>", "future-default", "default", "never")
	gpg("", "--quick-gen-key", "Bob <bob@home.example>", "future-default", "default", "never")
	e := newEnv(t, 2)
	e.mustRun("", "sync")
	const secret = "okapi-lantern-secret"
	msg := "From: alice@work.example\r\nTo: bob@home.example\r\nSubject: both\r\n\r\nThe word is " + secret + ".\r\n"
	e.mustRun(msg, "send", "--account", "work", "--sign", "--encrypt")
	e.mustRun("", "sync")
	ids := map[string]int64{}
	for _, r := range e.list() {
		if r.Subject == "both" {
			ids[r.Account+"/"+r.Folder] = r.ID
		}
	}
	if ids["home/INBOX"] == 0 || ids["work/Sent"] == 0 {
		t.Fatalf("sent message found in %v", ids)
	}
	text := e.mustRun("", "read", fmt.Sprint(ids["home/INBOX"]))
	for _, want := range []string{"[Encrypted (OpenPGP) to ", "[Good OpenPGP signature from Alice <alice@work.example>", "signer matches From", secret} {
		if !strings.Contains(text, want) {
			t.Errorf("read lacks %q:\n%s", want, text)
		}
	}
	if raw := e.mustRun("", "read", "--raw", fmt.Sprint(ids["work/Sent"])); strings.Contains(raw, secret) || !strings.Contains(raw, "BEGIN PGP MESSAGE") {
		t.Errorf("the copy in Sent is not encrypted:\n%s", raw)
	}

	_, stderr, err := e.run("From: alice@work.example\r\nTo: nokey@home.example\r\nSubject: x\r\n\r\nx\r\n", "send", "--account", "work", "--encrypt")
	if err == nil || !strings.Contains(err.Error()+stderr, "nokey@home.example") {
		t.Fatalf("send --encrypt to a recipient without a key: %v %s", err, stderr)
	}
	if out := e.mustRun("", "outbox", "--json"); strings.Contains(out, "nokey@") {
		t.Errorf("the refused message is in the outbox: %s", out)
	}
}
