package demo_test

import (
	"bytes"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

// TestSetupCrypto: the demo's keys are made in its own folder, and the
// messages it delivers read as they should with those keys: a good
// OpenPGP signature, a decrypted message, a tampered one shown bad, a
// verified S/MIME signature and a decrypted S/MIME message.
func TestSetupCrypto(t *testing.T) {
	for _, prog := range []string{"gpg", "gpg-agent", "openssl"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed")
		}
	}
	srv, err := demo.Start(demo.Options{Messages: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	dir := t.TempDir()
	setup, err := demo.SetupCrypto(dir, srv, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	defer demo.StopCrypto(dir)
	var alice struct {
		GnupgHome   string `toml:"gnupg_home"`
		SMIMECert   string `toml:"smime_cert"`
		SMIMEKey    string `toml:"smime_key"`
		SMIMECAFile string `toml:"smime_ca_file"`
	}
	if _, err := toml.Decode(setup.Settings["alice@work.example"], &alice); err != nil || !strings.HasPrefix(alice.GnupgHome, dir) {
		t.Fatalf("settings %q: %v", setup.Settings["alice@work.example"], err)
	}
	e := mailcrypto.New(&mailcrypto.Options{GnupgHome: alice.GnupgHome, SMIMECert: alice.SMIMECert, SMIMEKey: alice.SMIMEKey, CAFile: alice.SMIMECAFile})
	seen := map[string]*message.Rendered{}
	for _, raw := range setup.Delivered["alice@work.example"] {
		r, err := message.Render(bytes.NewReader(raw), message.Options{Crypto: e})
		if err != nil {
			t.Fatal(err)
		}
		for _, h := range r.Headers {
			if h.Name == "Subject" && strings.Contains(h.Value, "(") {
				seen[h.Value] = r
			}
		}
	}
	check := func(subject string, ok func(r *message.Rendered) bool) {
		t.Helper()
		r := seen[subject]
		if r == nil {
			t.Errorf("%q not delivered (have %v)", subject, len(seen))
			return
		}
		if !ok(r) {
			t.Errorf("%q: signatures %+v, encryption %+v, body %q", subject, r.Signatures, r.Encryption, r.Body)
		}
	}
	good := func(r *message.Rendered) bool {
		return len(r.Signatures) == 1 && r.Signatures[0].State == mailcrypto.Good && r.Signatures[0].FromOK
	}
	decrypted := func(r *message.Rendered) bool { return len(r.Encryption) == 1 && r.Encryption[0].Decrypted }
	check("Signed (OpenPGP): the quarterly numbers", good)
	check("Encrypted (OpenPGP): the door code", func(r *message.Rendered) bool {
		return good(r) && decrypted(r) && strings.Contains(r.Body, "4711")
	})
	check("Tampered (OpenPGP): signed, then changed", func(r *message.Rendered) bool {
		return len(r.Signatures) == 1 && r.Signatures[0].State == mailcrypto.Bad
	})
	check("Signed (OpenPGP) by a key you do not have", func(r *message.Rendered) bool {
		return len(r.Signatures) == 1 && r.Signatures[0].State == mailcrypto.UnknownKey
	})
	check("Signed (S/MIME): the contract", func(r *message.Rendered) bool { return good(r) && r.Signatures[0].Trust == "verified" })
	check("Encrypted (S/MIME): the salary review", func(r *message.Rendered) bool { return decrypted(r) && good(r) })
}
