package mailcrypto_test

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/mailcrypto"
)

// smimeKey makes a self-signed S/MIME certificate for email in dir with
// openssl, or skips the test without openssl.
func smimeKey(t *testing.T, dir, name, email string, extra ...string) (cert, key string) {
	t.Helper()
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed (apt-get install openssl)")
	}
	cert, key = dir+"/"+name+".crt", dir+"/"+name+".key"
	args := append([]string{"req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert,
		"-subj", "/CN=" + name + "/emailAddress=" + email, "-addext", "subjectAltName=email:" + email}, extra...)
	if out, err := exec.Command("openssl", args...).CombinedOutput(); err != nil {
		t.Fatalf("openssl req: %v\n%s", err, out)
	}
	return cert, key
}

// opensslSMIME runs openssl smime with args and returns its output.
func opensslSMIME(t *testing.T, stdin string, args ...string) string {
	t.Helper()
	cmd := exec.Command("openssl", append([]string{"smime"}, args...)...)
	cmd.Stdin = strings.NewReader(stdin)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl smime %v: %v", args, err)
	}
	return string(out)
}

func TestSMIME(t *testing.T) {
	dir := t.TempDir()
	cert, key := smimeKey(t, dir, "Alice", "alice@example.org", "-days", "30")
	content := crlf("Content-Type: text/plain\n\nHello in S/MIME.\n")
	signed := "From: Alice <alice@example.org>\r\nTo: bob@example.org\r\nSubject: smime\r\n" +
		opensslSMIME(t, content, "-sign", "-signer", cert, "-inkey", key)

	t.Run("good, trusted", func(t *testing.T) {
		e := mailcrypto.New(&mailcrypto.Options{CAFile: cert})
		r := render(t, e, signed)
		s := oneSig(t, r)
		if s.State != mailcrypto.Good || s.Trust != "verified" || !s.FromOK || s.Covers != "message" || !strings.Contains(s.Signer, "CN=Alice") {
			t.Fatalf("signature = %+v", s)
		}
		if !strings.Contains(r.Body, "Hello in S/MIME.") || len(r.Attachments) != 0 {
			t.Fatalf("Body = %q, attachments %+v", r.Body, r.Attachments)
		}
	})
	t.Run("good, certificate not trusted", func(t *testing.T) {
		s := oneSig(t, render(t, mailcrypto.New(nil), signed))
		if s.State != mailcrypto.Good || s.Trust != "unverified" || !strings.Contains(s.Words(), "not verified") {
			t.Fatalf("signature = %+v: %s", s, s.Words())
		}
	})
	t.Run("tampered", func(t *testing.T) {
		s := oneSig(t, render(t, mailcrypto.New(&mailcrypto.Options{CAFile: cert}), strings.Replace(signed, "Hello in", "Goodbye in", 1)))
		if s.State != mailcrypto.Bad {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("signer is not From", func(t *testing.T) {
		s := oneSig(t, render(t, mailcrypto.New(&mailcrypto.Options{CAFile: cert}), strings.Replace(signed, "alice@example.org>", "mallory@example.org>", 1)))
		if s.State != mailcrypto.Good || s.FromOK {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("opaque signed-data", func(t *testing.T) {
		opaque := "From: Alice <alice@example.org>\r\nSubject: opaque\r\n" +
			opensslSMIME(t, content, "-sign", "-nodetach", "-signer", cert, "-inkey", key)
		r := render(t, mailcrypto.New(&mailcrypto.Options{CAFile: cert}), opaque)
		s := oneSig(t, r)
		if s.State != mailcrypto.Good || s.Trust != "verified" || !s.FromOK || s.Covers != "message" || len(r.Encryption) != 0 {
			t.Fatalf("signature = %+v, encryption %+v", s, r.Encryption)
		}
		if !strings.Contains(r.Body, "Hello in S/MIME.") || len(r.Attachments) != 0 {
			t.Fatalf("Body = %q, attachments %+v", r.Body, r.Attachments)
		}
	})
	t.Run("signed then encrypted", func(t *testing.T) {
		inner := opensslSMIME(t, content, "-sign", "-signer", cert, "-inkey", key)
		enc := "From: Alice <alice@example.org>\r\nSubject: both\r\n" + opensslSMIME(t, inner, "-encrypt", "-aes256", cert)
		r := render(t, mailcrypto.New(&mailcrypto.Options{SMIMECert: cert, SMIMEKey: key, CAFile: cert}), enc)
		s := oneSig(t, r)
		if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || s.State != mailcrypto.Good || s.Covers != "message" || !s.FromOK ||
			!strings.Contains(r.Body, "Hello in S/MIME.") {
			t.Fatalf("signature = %+v, encryption %+v, Body %q", s, r.Encryption, r.Body)
		}
	})
	t.Run("expired certificate", func(t *testing.T) {
		oldCert, oldKey := expiredCert(t, dir)
		msg := "From: old@example.org\r\nSubject: old\r\n" + opensslSMIME(t, content, "-sign", "-signer", oldCert, "-inkey", oldKey)
		s := oneSig(t, render(t, mailcrypto.New(&mailcrypto.Options{CAFile: oldCert}), msg))
		if s.State != mailcrypto.ExpiredKey || !s.FromOK || !strings.Contains(s.Words(), "EXPIRED") {
			t.Fatalf("signature = %+v", s)
		}
	})
	t.Run("encrypted to us", func(t *testing.T) {
		enc := "From: bob@example.org\r\nTo: alice@example.org\r\nSubject: smime secret\r\n" +
			opensslSMIME(t, content, "-encrypt", "-aes256", cert)
		e := mailcrypto.New(&mailcrypto.Options{SMIMECert: cert, SMIMEKey: key})
		r := render(t, e, enc)
		if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || !strings.Contains(r.Body, "Hello in S/MIME.") || len(r.Attachments) != 0 {
			t.Fatalf("Encryption = %+v, Body %q, attachments %+v", r.Encryption, r.Body, r.Attachments)
		}
		// No key configured: said so, nothing shown.
		r = render(t, mailcrypto.New(nil), enc)
		if len(r.Encryption) != 1 || r.Encryption[0].Decrypted || strings.Contains(r.Body, "Hello") {
			t.Fatalf("without a key: Encryption = %+v, Body %q", r.Encryption, r.Body)
		}
		// Someone else's key.
		otherCert, otherKey := smimeKey(t, dir, "Carol", "carol@example.org")
		r = render(t, mailcrypto.New(&mailcrypto.Options{SMIMECert: otherCert, SMIMEKey: otherKey}), enc)
		if len(r.Encryption) != 1 || r.Encryption[0].Decrypted || r.Encryption[0].Detail == "" {
			t.Fatalf("other key: Encryption = %+v", r.Encryption)
		}
	})
}

// expiredCert writes a self-signed S/MIME certificate for old@example.org
// that expired yesterday, and its key (openssl req cannot backdate one).
func expiredCert(t *testing.T, dir string) (cert, key string) {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "Old"}, EmailAddresses: []string{"old@example.org"},
		NotBefore: time.Now().Add(-48 * time.Hour), NotAfter: time.Now().Add(-24 * time.Hour),
		KeyUsage: x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign, BasicConstraintsValid: true, IsCA: true,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
	}
	der, err := x509.CreateCertificate(rand.Reader, tpl, tpl, &k.PublicKey, k)
	if err != nil {
		t.Fatal(err)
	}
	kd, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatal(err)
	}
	cert = writeFile(t, dir, "old.crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	key = writeFile(t, dir, "old.key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}))
	return cert, key
}
