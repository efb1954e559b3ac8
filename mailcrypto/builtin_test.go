package mailcrypto_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/mailcrypto"
)

// TestBuiltinPGP checks the built-in implementation (used when gpg is not
// installed) on mail that real gpg signed and encrypted, with a key file
// exported by gpg.
func TestBuiltinPGP(t *testing.T) {
	alice := newKeyring(t)
	alice.genKey("Alice <alice@example.org>", "never")
	bob := newKeyring(t)
	bob.genKey("Bob <bob@example.org>", "never")
	bob.importKey(alice.export("alice@example.org"))
	alice.importKey(bob.export("bob@example.org"))
	carol := newKeyring(t)
	carol.genKey("Carol <carol@example.org>", "never")
	old := newKeyring(t)
	old.genKey("Old <old@example.org>", "1d", "--faked-system-time", "20200101T000000!")

	keys := string(alice.gpg(nil, "--armor", "--export-secret-keys", "alice@example.org")) +
		string(bob.export("bob@example.org")) + string(old.export("old@example.org"))
	file := filepath.Join(t.TempDir(), "keys.asc")
	if err := os.WriteFile(file, []byte(keys), 0o600); err != nil {
		t.Fatal(err)
	}
	e := mailcrypto.New(&mailcrypto.Options{GPG: "posta-no-such-gpg", Keyring: file})

	t.Run("good", func(t *testing.T) {
		s := oneSig(t, render(t, e, pgpSigned(bob, "Bob <bob@example.org>", "bob@example.org", signedContent)))
		if s.State != mailcrypto.Good || !s.FromOK || s.Covers != "message" || s.Signer != "Bob <bob@example.org>" {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("tampered", func(t *testing.T) {
		raw := strings.Replace(pgpSigned(bob, "bob@example.org", "bob@example.org", signedContent), "this text is signed", "this text is forged", 1)
		if s := oneSig(t, render(t, e, raw)); s.State != mailcrypto.Bad {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		s := oneSig(t, render(t, e, pgpSigned(carol, "carol@example.org", "carol@example.org", signedContent)))
		if s.State != mailcrypto.UnknownKey || s.Key == "" {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("expired key", func(t *testing.T) {
		content := crlf(signedContent)
		sig := old.gpg([]byte(content), "--faked-system-time", "20200101T010000!", "--armor", "--detach-sign", "--local-user", "old@example.org")
		if s := e.Verify("application/pgp-signature", []byte(content), sig); s.State != mailcrypto.ExpiredKey {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("encrypted to us, signed", func(t *testing.T) {
		r := render(t, e, pgpEncrypted(bob, "bob@example.org", "alice@example.org", "Content-Type: text/plain\n\nBuilt-in secret.\n", "--sign", "--local-user", "bob@example.org"))
		if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || !strings.Contains(r.Body, "Built-in secret.") ||
			!strings.Contains(strings.Join(r.Encryption[0].Recipients, ","), "Alice <alice@example.org>") {
			t.Fatalf("Encryption = %+v, Body %q", r.Encryption, r.Body)
		}
		if s := oneSig(t, r); s.State != mailcrypto.Good || !s.FromOK {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("encrypted for a key we lack", func(t *testing.T) {
		r := render(t, e, pgpEncrypted(alice, "alice@example.org", "bob@example.org", "Content-Type: text/plain\n\nFor Bob only.\n"))
		if len(r.Encryption) != 1 || r.Encryption[0].Decrypted || strings.Contains(r.Body, "For Bob only") {
			t.Fatalf("Encryption = %+v, Body %q", r.Encryption, r.Body)
		}
	})
	t.Run("inline", func(t *testing.T) {
		clear := bob.gpg([]byte("Inline signed words.\n"), "--clearsign", "--local-user", "bob@example.org")
		raw := crlf("From: bob@example.org\n\n") + string(clear)
		r := render(t, e, raw)
		if s := oneSig(t, r); s.State != mailcrypto.Good || !s.Inline || !strings.Contains(r.Body, "Inline signed words.") || strings.Contains(r.Body, "BEGIN PGP") {
			t.Fatalf("signature = %+v, Body %q", s, r.Body)
		}
		if s := oneSig(t, render(t, e, strings.Replace(raw, "Inline signed", "Inline forged", 1))); s.State != mailcrypto.Bad {
			t.Fatalf("tampered: signature = %+v", s)
		}
	})
}
