package mailcrypto_test

import (
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/mailcrypto"
)

// TestBuiltinWriteAndKeys: without gpg, posta keys import/list/export work
// on the keyring file, and the built-in implementation signs and
// encrypts what gpg (on the recipient's side) verifies and decrypts.
func TestBuiltinWriteAndKeys(t *testing.T) {
	alice := newKeyring(t)
	alice.genKey("Alice <alice@example.org>", "never")
	bob := newKeyring(t)
	bob.genKey("Bob <bob@example.org>", "never")
	bob.importKey(alice.export("alice@example.org"))
	file := filepath.Join(t.TempDir(), "keyring.asc")
	e := mailcrypto.New(&mailcrypto.Options{GPG: "posta-no-such-gpg", Keyring: file})
	if !e.Builtin() {
		t.Fatal("not built-in without gpg")
	}
	if keys, err := e.ListKeys(); err != nil || len(keys) != 0 {
		t.Fatalf("empty keyring: %+v, %v", keys, err)
	}
	for _, k := range [][]byte{alice.gpg(nil, "--armor", "--export-secret-keys", "alice@example.org"), bob.export("bob@example.org"), bob.export("bob@example.org")} {
		if _, err := e.ImportKeys(k); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.ImportKeys([]byte("no key here")); err == nil {
		t.Error("garbage imported")
	}
	if info, err := os.Stat(file); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("keyring file: %v %v", info, err)
	}
	keys, err := e.ListKeys()
	if err != nil || len(keys) != 2 {
		t.Fatalf("keys = %+v, %v (a key imported twice is kept once)", keys, err)
	}
	secret := map[string]bool{}
	for _, k := range keys {
		secret[k.UserIDs[0]] = k.Secret
	}
	if !secret["Alice <alice@example.org>"] || secret["Bob <bob@example.org>"] {
		t.Fatalf("secret parts: %v", secret)
	}
	if exp, err := e.ExportKeys("bob@example.org"); err != nil || !strings.Contains(string(exp), "PUBLIC KEY") || strings.Contains(string(exp), "PRIVATE") {
		t.Fatalf("export: %v\n%s", err, exp)
	}
	if m := e.MissingPGPKeys([]string{"bob@example.org", "carol@example.org"}, nil); len(m) != 1 || m[0].Addr != "carol@example.org" {
		t.Fatalf("missing = %v", m)
	}

	msg := crlf("From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\nSubject: built-in\nContent-Type: text/plain; charset=utf-8\n\nWritten without gpg.\n")
	signed, err := e.Protect([]byte(msg), mailcrypto.Write{Sign: true, Self: "alice@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	if s := oneSig(t, render(t, bob.engine(), string(signed))); s.State != mailcrypto.Good || !s.FromOK {
		t.Fatalf("gpg (Bob) checks the built-in signature: %+v", s)
	}
	enc, err := e.Protect([]byte(msg), mailcrypto.Write{Sign: true, Encrypt: true, Recipients: []string{"bob@example.org"}, Self: "alice@example.org"})
	if err != nil {
		t.Fatal(err)
	}
	parts := mimeParts(t, string(enc))
	_, armored, _ := strings.Cut(parts[1], "\r\n\r\n")
	if out, err := bob.try([]byte(armored), "--decrypt"); err != nil || !strings.Contains(string(out), "Written without gpg.") {
		t.Fatalf("gpg --decrypt: %v\n%s", err, out)
	}
	if r := render(t, e, string(enc)); len(r.Encryption) != 1 || !r.Encryption[0].Decrypted {
		t.Fatalf("own copy with the built-in keyring: %+v", r.Encryption)
	}
	_, err = e.Protect([]byte(msg), mailcrypto.Write{Encrypt: true, Recipients: []string{"bob@example.org"}, Hidden: []string{"bob@example.org"}, Self: "alice@example.org"})
	if err == nil || !strings.Contains(err.Error(), "Bcc") {
		t.Errorf("hidden recipients without gpg: %v", err)
	}
	_, err = e.Protect([]byte(msg), mailcrypto.Write{Encrypt: true, Recipients: []string{"carol@example.org"}, Self: "alice@example.org"})
	if !errors.Is(err, mailcrypto.ErrNoKey) {
		t.Errorf("to Carol without a key: %v", err)
	}
	if len(e.OwnKeyData("alice@example.org")) == 0 {
		t.Error("no Autocrypt key data from the built-in keyring")
	}
}
