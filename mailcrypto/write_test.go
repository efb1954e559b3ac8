package mailcrypto_test

import (
	"errors"
	"mime"
	"strings"
	"testing"

	"github.com/posta-mail/posta/mailcrypto"
)

// mimeParts splits a multipart message made by posta into the raw bytes of
// its parts, for gpg to check on its own.
func mimeParts(t *testing.T, raw string) []string {
	t.Helper()
	head, body, ok := strings.Cut(raw, "\r\n\r\n")
	if !ok {
		t.Fatalf("no header end in %q", raw)
	}
	var ct string
	for _, line := range strings.Split(strings.NewReplacer("\r\n\t", " ", "\r\n ", " ").Replace(head), "\r\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.EqualFold(k, "Content-Type") {
			ct = strings.TrimSpace(v)
		}
	}
	_, params, err := mime.ParseMediaType(ct)
	if err != nil {
		t.Fatalf("Content-Type %q: %v", ct, err)
	}
	delim := "\r\n--" + params["boundary"]
	chunks := strings.Split("\r\n"+body, delim)
	var parts []string
	for _, c := range chunks[1:] {
		if strings.HasPrefix(c, "--") {
			break
		}
		parts = append(parts, strings.TrimPrefix(c, "\r\n"))
	}
	return parts
}

func TestWritePGP(t *testing.T) {
	alice := newKeyring(t)
	alice.genKey("Alice <alice@example.org>", "never")
	bob := newKeyring(t)
	bob.genKey("Bob <bob@example.org>", "never")
	alice.importKey(bob.export("bob@example.org"))
	bob.importKey(alice.export("alice@example.org"))
	// Alice has checked Bob's key: a local certification makes it valid.
	alice.gpg(nil, "--quick-lsign-key", strings.TrimSpace(fingerprint(alice, "bob@example.org")))
	e := alice.engine()
	msg := crlf("From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\nSubject: hello\nContent-Type: text/plain; charset=utf-8\n\nGrüße, Bob. \nFrom the start of a line.\n")

	t.Run("sign, gpg verifies", func(t *testing.T) {
		signed, err := e.SignPGP([]byte(msg), "alice@example.org")
		if err != nil {
			t.Fatal(err)
		}
		parts := mimeParts(t, string(signed))
		if len(parts) != 2 || !strings.Contains(string(signed), "micalg=pgp-sha") {
			t.Fatalf("signed message:\n%s", signed)
		}
		_, sig, _ := strings.Cut(parts[1], "\r\n\r\n")
		dir := t.TempDir()
		sigFile := writeFile(t, dir, "sig.asc", []byte(sig))
		dataFile := writeFile(t, dir, "data", []byte(parts[0]))
		if _, err := bob.try(nil, "--verify", sigFile, dataFile); err != nil {
			t.Fatalf("gpg --verify: %v", err)
		}
		// And posta, from Bob's side, says the same.
		r := render(t, bob.engine(), string(signed))
		if s := oneSig(t, r); s.State != mailcrypto.Good || !s.FromOK || s.Covers != "message" || !strings.Contains(r.Body, "Grüße, Bob.") {
			t.Fatalf("signature = %+v, Body %q", s, r.Body)
		}
		if strings.Contains(string(signed), "Grüße") {
			t.Error("8-bit text was signed as it is, not made 7-bit clean")
		}
	})
	t.Run("encrypt and sign, gpg decrypts", func(t *testing.T) {
		enc, err := e.EncryptPGP([]byte(msg), nil, []string{"bob@example.org"}, "alice@example.org", true)
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(enc), "Bob.") || !strings.Contains(string(enc), "Subject: hello") {
			t.Fatalf("encrypted message:\n%s", enc)
		}
		parts := mimeParts(t, string(enc))
		if len(parts) != 2 {
			t.Fatalf("parts = %q", parts)
		}
		_, armored, _ := strings.Cut(parts[1], "\r\n\r\n")
		out, err := bob.try([]byte(armored), "--decrypt")
		if err != nil || !strings.Contains(string(out), "Content-Type: text/plain") {
			t.Fatalf("gpg --decrypt: %v\n%s", err, out)
		}
		r := render(t, bob.engine(), string(enc))
		// Bob was a hidden recipient (Bcc): only Alice's key is named.
		if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || !strings.Contains(r.Body, "Grüße, Bob.") ||
			strings.Contains(strings.Join(r.Encryption[0].Recipients, ","), "Bob") {
			t.Fatalf("Encryption = %+v, Body %q", r.Encryption, r.Body)
		}
		if s := oneSig(t, r); s.State != mailcrypto.Good || !s.FromOK {
			t.Fatalf("signature = %+v", s)
		}
		// The sender can read its own copy (Sent).
		if r := render(t, e, string(enc)); len(r.Encryption) != 1 || !r.Encryption[0].Decrypted {
			t.Fatalf("own copy: Encryption = %+v", r.Encryption)
		}
	})
	t.Run("a recipient without a key", func(t *testing.T) {
		_, err := e.EncryptPGP([]byte(msg), []string{"bob@example.org", "carol@example.org"}, nil, "alice@example.org", false)
		if !errors.Is(err, mailcrypto.ErrNoKey) || !strings.Contains(err.Error(), "carol@example.org") || strings.Contains(err.Error(), "bob@") {
			t.Fatalf("EncryptPGP = %v", err)
		}
	})
}

// fingerprint returns the fingerprint of uid's primary key in k.
func fingerprint(k *keyring, uid string) string {
	for _, line := range strings.Split(string(k.gpg(nil, "--with-colons", "--fingerprint", uid)), "\n") {
		if f := strings.Split(line, ":"); len(f) > 9 && f[0] == "fpr" {
			return f[9]
		}
	}
	k.t.Fatalf("no fingerprint for %s", uid)
	return ""
}
