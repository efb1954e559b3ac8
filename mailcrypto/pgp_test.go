package mailcrypto_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

const signedContent = "Content-Type: text/plain; charset=utf-8\n\nHello Bob,\nthis text is signed.\n"

// pgpSigned builds a PGP/MIME multipart/signed message (RFC 3156) whose
// first part is content, signed by the key of signer in k.
func pgpSigned(k *keyring, from, signer, content string) string {
	content = crlf(content)
	sig := k.gpg([]byte(content), "--armor", "--detach-sign", "--local-user", signer)
	return crlf("From: "+from+"\nTo: bob@example.org\nSubject: signed\nMIME-Version: 1.0\n"+
		"Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"sig-b\"\n\n"+
		"--sig-b\n") + content + crlf("\n--sig-b\nContent-Type: application/pgp-signature; name=\"signature.asc\"\n"+
		"Content-Disposition: attachment; filename=\"signature.asc\"\n\n"+string(sig)+"\n--sig-b--\n")
}

// pgpEncrypted builds a PGP/MIME multipart/encrypted message of content
// for recipient, made with gpgArgs (e.g. --sign) by k.
func pgpEncrypted(k *keyring, from, recipient, content string, gpgArgs ...string) string {
	return crlf("From: "+from+"\nTo: "+recipient+"\nSubject: secret\nMIME-Version: 1.0\n") +
		pgpEncryptedPart(k, recipient, content, gpgArgs...)
}

// pgpEncryptedPart is the multipart/encrypted entity (header and body) of
// pgpEncrypted.
func pgpEncryptedPart(k *keyring, recipient, content string, gpgArgs ...string) string {
	armored := k.gpg([]byte(crlf(content)), append([]string{"--armor", "--encrypt", "--recipient", recipient}, gpgArgs...)...)
	return crlf("Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"enc-b\"\n\n" +
		"--enc-b\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n\n" +
		"--enc-b\nContent-Type: application/octet-stream; name=\"encrypted.asc\"\n\n" + string(armored) + "\n--enc-b--\n")
}

func oneSig(t *testing.T, r *message.Rendered) mailcrypto.Signature {
	t.Helper()
	if len(r.Signatures) != 1 {
		t.Fatalf("Signatures = %+v, want one", r.Signatures)
	}
	return r.Signatures[0]
}

func TestPGP(t *testing.T) {
	alice := newKeyring(t) // our keyring: Alice's secret key
	alice.genKey("Alice <alice@example.org>", "never")
	bob := newKeyring(t) // someone else's: Bob's secret key
	bob.genKey("Bob <bob@example.org>", "never")
	alice.importKey(bob.export("bob@example.org"))
	bob.importKey(alice.export("alice@example.org"))
	e := alice.engine()

	t.Run("good signature", func(t *testing.T) {
		r := render(t, e, pgpSigned(bob, "Bob <bob@example.org>", "bob@example.org", signedContent))
		s := oneSig(t, r)
		if s.State != mailcrypto.Good || !s.FromOK || s.Covers != "message" || !strings.Contains(s.Signer, "bob@example.org") {
			t.Fatalf("signature = %+v", s)
		}
		if !strings.Contains(r.Body, "this text is signed.") {
			t.Errorf("Body = %q", r.Body)
		}
		if len(r.Attachments) != 0 {
			t.Errorf("Attachments = %+v, want the checked signature hidden", r.Attachments)
		}
		out := r.String()
		if !strings.Contains(out, "[Good OpenPGP signature from Bob <bob@example.org>") || !strings.Contains(out, "signer matches From") {
			t.Errorf("String() =\n%s", out)
		}
	})
	t.Run("LF line ends", func(t *testing.T) {
		raw := strings.ReplaceAll(pgpSigned(bob, "bob@example.org", "bob@example.org", signedContent), "\r\n", "\n")
		if s := oneSig(t, render(t, e, raw)); s.State != mailcrypto.Good {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("tampered body", func(t *testing.T) {
		raw := strings.Replace(pgpSigned(bob, "bob@example.org", "bob@example.org", signedContent), "this text is signed", "this text is forged", 1)
		r := render(t, e, raw)
		if s := oneSig(t, r); s.State != mailcrypto.Bad {
			t.Fatalf("signature = %+v", s)
		}
		if !strings.Contains(r.String(), "[BAD OpenPGP signature") {
			t.Errorf("String() =\n%s", r.String())
		}
	})
	t.Run("signer is not From", func(t *testing.T) {
		s := oneSig(t, render(t, e, pgpSigned(bob, "Alice <alice@example.org>", "bob@example.org", signedContent)))
		if s.State != mailcrypto.Good || s.FromOK || !strings.Contains(s.Words(), "does NOT match From alice@example.org") {
			t.Fatalf("signature = %+v, %s", s, s.Words())
		}
	})
	t.Run("unknown key", func(t *testing.T) {
		carol := newKeyring(t)
		carol.genKey("Carol <carol@example.org>", "never")
		s := oneSig(t, render(t, e, pgpSigned(carol, "carol@example.org", "carol@example.org", signedContent)))
		if s.State != mailcrypto.UnknownKey || s.Key == "" {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("expired key", func(t *testing.T) {
		old := newKeyring(t)
		old.genKey("Old <old@example.org>", "1d", "--faked-system-time", "20200101T000000!")
		content := crlf(signedContent)
		sig := old.gpg([]byte(content), "--faked-system-time", "20200101T010000!", "--armor", "--detach-sign", "--local-user", "old@example.org")
		alice.importKey(old.export("old@example.org"))
		s := e.Verify("application/pgp-signature", []byte(content), sig)
		if s.State != mailcrypto.ExpiredKey || !strings.Contains(s.Words(), "EXPIRED") {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("revoked key", func(t *testing.T) {
		dave := newKeyring(t)
		dave.genKey("Dave <dave@example.org>", "never")
		content := crlf(signedContent)
		sig := dave.gpg([]byte(content), "--armor", "--detach-sign", "--local-user", "dave@example.org")
		alice.importKey(dave.export("dave@example.org"))
		revs, err := filepath.Glob(filepath.Join(dave.home, "openpgp-revocs.d", "*.rev"))
		if err != nil || len(revs) != 1 {
			t.Fatalf("revocation certificates: %v, %v", revs, err)
		}
		rev, err := os.ReadFile(revs[0])
		if err != nil {
			t.Fatal(err)
		}
		// gpg stores it with the armor line disabled by a leading colon.
		alice.importKey([]byte(strings.Replace(string(rev), ":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----", 1)))
		s := e.Verify("application/pgp-signature", []byte(content), sig)
		if s.State != mailcrypto.RevokedKey || !strings.Contains(s.Words(), "REVOKED") {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("signed message forwarded inside an unsigned one", func(t *testing.T) {
		inner := pgpSigned(bob, "Bob <bob@example.org>", "bob@example.org", signedContent)
		raw := crlf("From: Mallory <mallory@example.org>\nTo: alice@example.org\nSubject: fwd\nMIME-Version: 1.0\n"+
			"Content-Type: multipart/mixed; boundary=\"outer\"\n\n--outer\nContent-Type: text/plain\n\nMy own unsigned words.\n"+
			"--outer\nContent-Type: message/rfc822\n\n") + inner + crlf("\n--outer--\n")
		r := render(t, e, raw)
		s := oneSig(t, r)
		if s.State != mailcrypto.Good || s.Covers != "part" || len(s.Parts) == 0 || !s.FromOK || s.From != "bob@example.org" {
			t.Fatalf("signature = %+v", s)
		}
		if !strings.Contains(r.String(), "it covers only part of this message") {
			t.Errorf("String() =\n%s", r.String())
		}
	})
	t.Run("signed part beside unsigned text", func(t *testing.T) {
		signed := pgpSigned(bob, "bob@example.org", "bob@example.org", signedContent)
		_, body, _ := strings.Cut(signed, "\r\n\r\n")
		raw := crlf("From: bob@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=\"outer\"\n\n"+
			"--outer\nContent-Type: text/plain\n\nUnsigned preface.\n--outer\n"+
			"Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"sig-b\"\n\n") +
			body + crlf("\n--outer--\n")
		if s := oneSig(t, render(t, e, raw)); s.State != mailcrypto.Good || s.Covers != "part" {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("encrypted to us", func(t *testing.T) {
		r := render(t, e, pgpEncrypted(bob, "bob@example.org", "alice@example.org", "Content-Type: text/plain\n\nThe secret plan.\n"))
		if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || len(r.Signatures) != 0 {
			t.Fatalf("Encryption = %+v, Signatures = %+v", r.Encryption, r.Signatures)
		}
		if !strings.Contains(r.Body, "The secret plan.") || !strings.Contains(strings.Join(r.Encryption[0].Recipients, ","), "Alice <alice@example.org>") {
			t.Fatalf("Body = %q, recipients %v", r.Body, r.Encryption[0].Recipients)
		}
		if len(r.Attachments) != 0 {
			t.Errorf("Attachments = %+v", r.Attachments)
		}
		// Without the engine (indexing), nothing is decrypted.
		plain, err := message.BodyText(strings.NewReader(pgpEncrypted(bob, "bob@example.org", "alice@example.org", "Content-Type: text/plain\n\nThe secret plan.\n")))
		if err != nil || strings.Contains(plain, "secret plan") {
			t.Errorf("BodyText = %q, %v", plain, err)
		}
	})
	t.Run("attachments inside and after an encrypted part", func(t *testing.T) {
		inner := "Content-Type: multipart/mixed; boundary=in\n\n--in\nContent-Type: text/plain\n\nSee the file.\n" +
			"--in\nContent-Type: text/csv\nContent-Disposition: attachment; filename=inside.csv\n\nsecret,1\n--in--\n"
		raw := crlf("From: bob@example.org\nMIME-Version: 1.0\nContent-Type: multipart/mixed; boundary=out\n\n--out\n") +
			pgpEncryptedPart(bob, "alice@example.org", inner) +
			crlf("\n--out\nContent-Type: text/csv\nContent-Disposition: attachment; filename=outside.csv\n\nplain,2\n--out--\n")
		r := render(t, e, raw)
		names := map[string]int{}
		for _, a := range r.Attachments {
			names[a.Name] = a.Index
		}
		if names["inside.csv"] == 0 || names["outside.csv"] == 0 || !strings.Contains(r.Body, "See the file.") {
			t.Fatalf("Attachments = %+v, Body %q", r.Attachments, r.Body)
		}
		for name, want := range map[string]string{"inside.csv": "secret,1", "outside.csv": "plain,2"} {
			path, err := message.SaveAttachmentWith(strings.NewReader(raw), names[name], t.TempDir(), e)
			if err != nil {
				t.Fatalf("save %s: %v", name, err)
			}
			if got, _ := os.ReadFile(path); !strings.Contains(string(got), want) || filepath.Base(path) != name {
				t.Errorf("saved %s as %s: %q", name, path, got)
			}
		}
	})
	t.Run("signed and encrypted", func(t *testing.T) {
		r := render(t, e, pgpEncrypted(bob, "bob@example.org", "alice@example.org", "Content-Type: text/plain\n\nSigned secret.\n", "--sign", "--local-user", "bob@example.org"))
		s := oneSig(t, r)
		if s.State != mailcrypto.Good || !s.FromOK || s.Covers != "message" || len(r.Encryption) != 1 || !r.Encryption[0].Decrypted {
			t.Fatalf("signature = %+v, encryption %+v", s, r.Encryption)
		}
	})
	t.Run("signed then encrypted (RFC 3156 6.1)", func(t *testing.T) {
		signed := pgpSigned(bob, "bob@example.org", "bob@example.org", signedContent)
		_, body, _ := strings.Cut(signed, "\r\n\r\n")
		entity := "Content-Type: multipart/signed; micalg=pgp-sha256; protocol=\"application/pgp-signature\"; boundary=\"sig-b\"\r\n\r\n" + body
		r := render(t, e, pgpEncrypted(bob, "bob@example.org", "alice@example.org", entity))
		s := oneSig(t, r)
		if s.State != mailcrypto.Good || s.Covers != "message" || !strings.Contains(r.Body, "this text is signed.") {
			t.Fatalf("signature = %+v, body %q", s, r.Body)
		}
	})
	t.Run("encrypted for a key we lack", func(t *testing.T) {
		r := render(t, e, pgpEncrypted(alice, "alice@example.org", "bob@example.org", "Content-Type: text/plain\n\nFor Bob only.\n"))
		if len(r.Encryption) != 1 || r.Encryption[0].Decrypted || r.Encryption[0].Detail == "" {
			t.Fatalf("Encryption = %+v", r.Encryption)
		}
		if strings.Contains(r.Body, "For Bob only") || !strings.Contains(r.String(), "NOT decrypted") {
			t.Fatalf("String() =\n%s", r.String())
		}
	})
	t.Run("inline clear-signed", func(t *testing.T) {
		clear := bob.gpg([]byte("Inline signed words.\n"), "--clearsign", "--local-user", "bob@example.org")
		raw := crlf("From: bob@example.org\nSubject: inline\n\n") + string(clear)
		r := render(t, e, raw)
		s := oneSig(t, r)
		if s.State != mailcrypto.Good || !s.Inline || s.Covers != "message" {
			t.Fatalf("signature = %+v", s)
		}
		if strings.Contains(r.Body, "BEGIN PGP") || !strings.Contains(r.Body, "Inline signed words.") {
			t.Fatalf("Body = %q", r.Body)
		}
		tampered := strings.Replace(raw, "Inline signed", "Inline forged", 1)
		if s := oneSig(t, render(t, e, tampered)); s.State != mailcrypto.Bad {
			t.Fatalf("tampered: signature = %+v", s)
		}
		quoted := crlf("From: mallory@example.org\n\nSee what Bob wrote:\n\n") + string(clear)
		if s := oneSig(t, render(t, e, quoted)); s.Covers != "part" || s.FromOK {
			t.Fatalf("quoted: signature = %+v", s)
		}
	})
	t.Run("inline encrypted", func(t *testing.T) {
		armored := bob.gpg([]byte("Inline secret.\n"), "--armor", "--encrypt", "--recipient", "alice@example.org")
		r := render(t, e, crlf("From: bob@example.org\nSubject: inline\n\n")+string(armored))
		if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || !r.Encryption[0].Inline || !strings.Contains(r.Body, "Inline secret.") {
			t.Fatalf("Encryption = %+v, Body %q", r.Encryption, r.Body)
		}
	})
	t.Run("decompression bomb", func(t *testing.T) {
		zeros := make([]byte, 70<<20) // more than is ever kept decrypted
		armored := bob.gpg(zeros, "--armor", "--compress-level", "9", "--encrypt", "--recipient", "alice@example.org")
		plain, enc, _ := e.Decrypt("application/pgp-encrypted", armored)
		if plain != nil || enc == nil || enc.Decrypted || !strings.Contains(enc.Detail, "too large") {
			t.Fatalf("Decrypt = %d bytes, %+v", len(plain), enc)
		}
	})
	t.Run("no gpg", func(t *testing.T) {
		none := mailcrypto.New(&mailcrypto.Options{GPG: "posta-no-such-gpg"})
		s := oneSig(t, render(t, none, pgpSigned(bob, "bob@example.org", "bob@example.org", signedContent)))
		if s.State != mailcrypto.Error || !strings.Contains(s.Detail, "not installed") {
			t.Fatalf("signature = %+v", s)
		}
		clear := bob.gpg([]byte("Inline signed words.\n"), "--clearsign", "--local-user", "bob@example.org")
		r := render(t, none, crlf("From: bob@example.org\n\n")+string(clear))
		if s := oneSig(t, r); s.State != mailcrypto.Error || !s.Inline || len(r.Encryption) != 0 || !strings.Contains(r.Body, "Inline signed words.") {
			t.Fatalf("inline without gpg: %+v, %+v, %q", s, r.Encryption, r.Body)
		}
	})
}

// TestPGPPassphrase: a key with a passphrase that is not unlocked in the
// agent, with prompting off (as in the reader), is reported as such.
func TestPGPPassphrase(t *testing.T) {
	k := newKeyring(t)
	k.gpg(nil, "--passphrase", "s3cret", "--quick-gen-key", "Locked <locked@example.org>", "future-default", "default", "never")
	exec.Command("gpgconf", "--homedir", k.home, "--kill", "gpg-agent").Run() // forget the cached passphrase
	e := mailcrypto.New(&mailcrypto.Options{GnupgHome: k.home, NoPinentry: true})
	r := render(t, e, pgpEncrypted(k, "locked@example.org", "locked@example.org", "Content-Type: text/plain\n\nLocked away.\n"))
	if len(r.Encryption) != 1 || r.Encryption[0].Decrypted || !strings.Contains(r.Encryption[0].Detail, "passphrase") {
		t.Fatalf("Encryption = %+v", r.Encryption)
	}
	if strings.Contains(r.Body, "Locked away") {
		t.Fatalf("Body = %q", r.Body)
	}
}
