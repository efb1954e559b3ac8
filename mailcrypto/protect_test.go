package mailcrypto_test

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/posta-mail/posta/mailcrypto"
)

func TestMissingPGPKeys(t *testing.T) {
	alice := newKeyring(t)
	alice.genKey("Alice <alice@example.org>", "never")
	other := newKeyring(t)
	other.genKey("Bob <bob@example.org>", "never")
	other.genKey("Dave <dave@example.org>", "never")
	other.genKey("Erin <erin@example.org>", "never")
	other.genKey("Old <old@example.org>", "1d", "--faked-system-time", "20200101T000000")
	alice.importKey(other.export("bob@example.org"))
	alice.importKey(other.export("dave@example.org"))
	alice.importKey(other.export("old@example.org"))
	alice.gpg(nil, "--quick-lsign-key", fingerprint(alice, "bob@example.org"))
	// Erin's key is revoked, and Alice has the revocation.
	alice.importKey(other.export("erin@example.org"))
	rev, err := os.ReadFile(filepath.Join(other.home, "openpgp-revocs.d", fingerprint(other, "erin@example.org")+".rev"))
	if err != nil {
		t.Fatal(err)
	}
	alice.importKey([]byte(strings.Replace(string(rev), ":-----BEGIN PGP PUBLIC KEY BLOCK-----", "-----BEGIN PGP PUBLIC KEY BLOCK-----", 1)))
	e := alice.engine()

	got := map[string]string{}
	for _, m := range e.MissingPGPKeys([]string{"alice@example.org", "Bob@Example.org", "carol@example.org", "dave@example.org", "old@example.org", "erin@example.org"}, nil) {
		got[m.Addr] = m.Reason
	}
	want := map[string]string{
		"carol@example.org": "no key",
		"dave@example.org":  "key not verified",
		"old@example.org":   "expired",
		"erin@example.org":  "revoked",
	}
	if len(got) != len(want) {
		t.Fatalf("missing = %v, want the keys of %v", got, want)
	}
	for a, w := range want {
		if !strings.Contains(got[a], w) {
			t.Errorf("%s: reason %q, want %q", a, got[a], w)
		}
	}
	// An Autocrypt key counts as one (TOFU): Carol's key from a header.
	carol := newKeyring(t)
	carol.genKey("Carol <carol@example.org>", "never")
	peers := map[string][]byte{"carol@example.org": carol.gpg(nil, "--export", "carol@example.org")}
	if m := e.MissingPGPKeys([]string{"carol@example.org"}, peers); len(m) != 0 {
		t.Fatalf("with a peer key: missing %v", m)
	}
	msg := crlf("From: Alice <alice@example.org>\nTo: carol@example.org, bob@example.org\nSubject: secret plans\nContent-Type: text/plain\n\nMeet at noon.\n")
	w := mailcrypto.Write{Encrypt: true, Sign: true, Recipients: []string{"carol@example.org", "bob@example.org"}, Self: "alice@example.org", Peers: peers, ProtectHeaders: true}
	enc, err := e.Protect([]byte(msg), w)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(enc), "secret plans") || !strings.Contains(string(enc), "Subject: ...") {
		t.Fatalf("the subject is not protected:\n%s", enc)
	}
	// Carol decrypts with gpg; the subject is inside.
	carol.importKey(alice.export("alice@example.org"))
	_, armored, _ := strings.Cut(mimeParts(t, string(enc))[1], "\r\n\r\n")
	out, err := carol.try([]byte(armored), "--decrypt")
	if err != nil || !strings.Contains(string(out), "Subject: secret plans") || !strings.Contains(string(out), "protected-headers=v1") || !strings.Contains(string(out), "Meet at noon.") {
		t.Fatalf("gpg --decrypt: %v\n%s", err, out)
	}
	// posta shows Carol the subject from inside.
	r := render(t, carol.engine(), string(enc))
	subject := ""
	for _, h := range r.Headers {
		if h.Name == "Subject" {
			subject = h.Value
		}
	}
	if subject != "secret plans" || !strings.Contains(r.Body, "Meet at noon.") {
		t.Fatalf("Carol sees subject %q, body %q", subject, r.Body)
	}
	// Someone without the key sees "...".
	stranger := newKeyring(t)
	for _, h := range render(t, stranger.engine(), string(enc)).Headers {
		if h.Name == "Subject" && h.Value != "..." {
			t.Errorf("without the key the subject is %q", h.Value)
		}
	}
	// A recipient without any key stops it, named with the reason.
	w.Recipients = append(w.Recipients, "dave@example.org")
	if _, err := e.Protect([]byte(msg), w); !errors.Is(err, mailcrypto.ErrNoKey) || !strings.Contains(err.Error(), "dave@example.org (key not verified") {
		t.Fatalf("Protect with Dave = %v", err)
	}
}

func TestWriteSMIME(t *testing.T) {
	dir := t.TempDir()
	aCert, aKey := smimeKey(t, dir, "Alice", "alice@example.org", "-days", "30")
	bCert, bKey := smimeKey(t, dir, "Bob", "bob@example.org", "-days", "30")
	certs := filepath.Join(dir, "certs")
	os.Mkdir(certs, 0o700)
	data, _ := os.ReadFile(bCert)
	os.WriteFile(filepath.Join(certs, "bob.pem"), data, 0o600)
	alice := mailcrypto.New(&mailcrypto.Options{SMIMECert: aCert, SMIMEKey: aKey, SMIMECertDir: certs, CAFile: aCert})
	msg := crlf("From: Alice <alice@example.org>\nTo: Bob <bob@example.org>\nSubject: s/mime\nContent-Type: text/plain; charset=utf-8\n\nGrüße in S/MIME.\n")

	t.Run("sign, openssl verifies", func(t *testing.T) {
		signed, err := alice.Protect([]byte(msg), mailcrypto.Write{Sign: true, SMIME: true, Self: "alice@example.org", SMIMECert: aCert, SMIMEKey: aKey})
		if err != nil {
			t.Fatal(err)
		}
		cmd := exec.Command("openssl", "smime", "-verify", "-CAfile", aCert)
		cmd.Stdin = strings.NewReader(string(signed))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verification successful") {
			t.Fatalf("openssl smime -verify: %v\n%s\n%s", err, out, signed)
		}
		r := render(t, mailcrypto.New(&mailcrypto.Options{CAFile: aCert}), string(signed))
		if s := oneSig(t, r); s.State != mailcrypto.Good || !s.FromOK || !strings.Contains(r.Body, "Grüße in S/MIME.") {
			t.Fatalf("signature %+v, body %q", s, r.Body)
		}
		// Tampered: one letter of the signed text changed.
		bad := strings.Replace(string(signed), "R3L", "R3M", 1)
		if bad == string(signed) {
			bad = strings.Replace(string(signed), "Content-Transfer-Encoding: base64\r\n\r\n", "Content-Transfer-Encoding: base64\r\n\r\nAAAA", 1)
		}
		if s := oneSig(t, render(t, mailcrypto.New(&mailcrypto.Options{CAFile: aCert}), bad)); s.State != mailcrypto.Bad {
			t.Fatalf("tampered: %+v", s)
		}
	})
	t.Run("sign and encrypt, openssl decrypts", func(t *testing.T) {
		enc, err := alice.Protect([]byte(msg), mailcrypto.Write{Sign: true, Encrypt: true, SMIME: true, Recipients: []string{"bob@example.org"}, Self: "alice@example.org", SMIMECert: aCert, SMIMEKey: aKey})
		if err != nil {
			t.Fatal(err)
		}
		if strings.Contains(string(enc), "S/MIME.") || !strings.Contains(string(enc), "enveloped-data") {
			t.Fatalf("encrypted:\n%s", enc)
		}
		cmd := exec.Command("openssl", "smime", "-decrypt", "-recip", bCert, "-inkey", bKey)
		cmd.Stdin = strings.NewReader(string(enc))
		out, err := cmd.CombinedOutput()
		if err != nil || !strings.Contains(string(out), "multipart/signed") {
			t.Fatalf("openssl smime -decrypt: %v\n%s", err, out)
		}
		// Bob reads it in posta; Alice reads her own copy.
		bob := mailcrypto.New(&mailcrypto.Options{SMIMECert: bCert, SMIMEKey: bKey, CAFile: aCert})
		r := render(t, bob, string(enc))
		if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || !strings.Contains(r.Body, "Grüße in S/MIME.") {
			t.Fatalf("Bob: encryption %+v body %q", r.Encryption, r.Body)
		}
		if s := oneSig(t, r); s.State != mailcrypto.Good {
			t.Fatalf("Bob: signature %+v", s)
		}
		if r := render(t, alice, string(enc)); len(r.Encryption) != 1 || !r.Encryption[0].Decrypted {
			t.Fatalf("Alice's own copy: %+v", r.Encryption)
		}
	})
	t.Run("keys in a PKCS#12 file", func(t *testing.T) {
		p12 := filepath.Join(dir, "bob.p12")
		if out, err := exec.Command("openssl", "pkcs12", "-export", "-in", bCert, "-inkey", bKey, "-out", p12, "-passout", "pass:").CombinedOutput(); err != nil {
			t.Fatalf("openssl pkcs12: %v\n%s", err, out)
		}
		bob := mailcrypto.New(&mailcrypto.Options{SMIMECert: p12, CAFile: aCert, SMIMECertDir: certs})
		enc, err := alice.Protect([]byte(msg), mailcrypto.Write{Encrypt: true, SMIME: true, Recipients: []string{"bob@example.org"}, Self: "alice@example.org"})
		if err != nil {
			t.Fatal(err)
		}
		if r := render(t, bob, string(enc)); len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || !strings.Contains(r.Body, "Grüße") {
			t.Fatalf("Bob with a .p12: %+v %q", r.Encryption, r.Body)
		}
		// Bob answers, signed and encrypted with the .p12's key, to Alice
		// and to himself.
		reply := crlf("From: bob@example.org\nTo: alice@example.org\nSubject: re\n\nThanks.\n")
		os.WriteFile(filepath.Join(certs, "alice.pem"), mustRead(t, aCert), 0o600)
		sealed, err := bob.Protect([]byte(reply), mailcrypto.Write{Sign: true, Encrypt: true, SMIME: true, Recipients: []string{"alice@example.org"}, Self: "bob@example.org", SMIMECert: p12})
		if err != nil {
			t.Fatal(err)
		}
		r := render(t, alice, string(sealed))
		if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || oneSig(t, r).State != mailcrypto.Good || !strings.Contains(r.Body, "Thanks.") {
			t.Fatalf("Alice reads Bob's reply: %+v %+v %q", r.Encryption, r.Signatures, r.Body)
		}
		if r := render(t, bob, string(sealed)); len(r.Encryption) != 1 || !r.Encryption[0].Decrypted {
			t.Fatalf("Bob's own copy: %+v", r.Encryption)
		}
	})
	t.Run("no certificate for a recipient", func(t *testing.T) {
		_, err := alice.Protect([]byte(msg), mailcrypto.Write{Encrypt: true, SMIME: true, Recipients: []string{"bob@example.org", "carol@example.org"}, Self: "alice@example.org"})
		if !errors.Is(err, mailcrypto.ErrNoKey) || !strings.Contains(err.Error(), "carol@example.org") || strings.Contains(err.Error(), "bob@") {
			t.Fatalf("Protect = %v", err)
		}
	})
	t.Run("expired certificate", func(t *testing.T) {
		oCert, _ := expiredCert(t, t.TempDir())
		data, _ := os.ReadFile(oCert)
		os.WriteFile(filepath.Join(certs, "old.pem"), data, 0o600)
		m := alice.MissingSMIMECerts([]string{"old@example.org"})
		if len(m) != 1 || m[0].Reason != "certificate expired" {
			t.Fatalf("missing = %v", m)
		}
	})
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}
