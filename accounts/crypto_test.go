package accounts

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/cache"
	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

// cryptoAccount is an account over a fresh cache with a GnuPG home of
// its own holding keys for uids; it skips without gpg.
func cryptoAccount(t *testing.T, cfg AccountConfig, uids ...string) (*Account, string) {
	t.Helper()
	for _, prog := range []string{"gpg", "gpg-agent"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed")
		}
	}
	home, err := os.MkdirTemp("", "pga")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	for _, uid := range uids {
		if out, err := exec.Command("gpg", "--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode", "loopback", "--quick-gen-key", uid, "future-default", "default", "never").CombinedOutput(); err != nil {
			t.Fatalf("gpg: %v\n%s", err, out)
		}
	}
	dir := t.TempDir()
	c, err := cache.Open(cache.Options{Dir: filepath.Join(dir, "c"), DataDir: filepath.Join(dir, "d"), ParseHeader: message.ParseHeader})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	cfg.GnupgHome = home
	a := noAppendAccount(cfg)
	a.cache = c
	return a, home
}

func TestPlanCrypto(t *testing.T) {
	a, home := cryptoAccount(t, AccountConfig{
		Name: "work", Address: "alice@work.example",
		CryptoConfig: CryptoConfig{PGPSign: true, PGPEncrypt: "when-possible", Autocrypt: true},
		Identities:   []IdentityConfig{{Address: "role@work.example", PGPKey: "boss@work.example"}},
	}, "Alice <alice@work.example>", "Boss <boss@work.example>", "Bob <bob@home.example>")

	def := a.CryptoDefaults()
	if !def.Sign || !def.Encrypt || def.SMIME || def.Policy != "when-possible" {
		t.Fatalf("defaults = %+v", def)
	}
	p := a.PlanCrypto(CryptoRequest{From: "alice@work.example", Recipients: []string{"bob@home.example"}, Sign: true, Encrypt: true, EncryptByDefault: true}, true)
	if p.Refuse != "" || !p.Encrypt || len(p.Missing) != 0 || !strings.HasPrefix(p.Signer, "Alice <alice@work.example> ") || !strings.Contains(p.Words(), "signed and encrypted") ||
		len(p.EncryptTo) != 1 || !strings.HasPrefix(p.EncryptTo[0], "bob@home.example (") {
		t.Fatalf("plan to Bob = %+v (%s)", p, p.Words())
	}
	// The identity signs with its own key.
	p = a.PlanCrypto(CryptoRequest{From: "role@work.example", Recipients: []string{"bob@home.example"}, Sign: true}, true)
	if !strings.HasPrefix(p.Signer, "Boss <boss@work.example>") {
		t.Fatalf("the identity's key: %+v", p)
	}
	// An address without a secret key cannot sign.
	p = a.PlanCrypto(CryptoRequest{From: "nobody@work.example", Recipients: []string{"bob@home.example"}, Sign: true}, true)
	if !strings.Contains(p.Refuse, "no usable secret key for nobody@work.example") {
		t.Fatalf("signing without a key: %+v", p)
	}
	// Autocrypt: Carol's key from a header of hers, opened here, makes
	// encryption to her possible, and it is suggested (she prefers it).
	carolHome := t.TempDir()
	exec.Command("gpg", "--homedir", carolHome, "--batch", "--passphrase", "", "--pinentry-mode", "loopback", "--quick-gen-key", "Carol <carol@example.org>", "future-default", "default", "never").Run()
	defer exec.Command("gpgconf", "--homedir", carolHome, "--kill", "all").Run()
	key, _ := exec.Command("gpg", "--homedir", carolHome, "--export", "carol@example.org").Output()
	if len(key) == 0 {
		t.Fatal("no key for Carol")
	}
	p = a.PlanCrypto(CryptoRequest{From: "alice@work.example", Recipients: []string{"carol@example.org"}, Sign: true, Encrypt: true, EncryptByDefault: true}, true)
	if !p.Fallback || p.Encrypt || !strings.Contains(p.Words(), "sent in clear: no usable key for carol@example.org (no key)") {
		t.Fatalf("before Autocrypt: %+v", p)
	}
	headerDate := time.Now().Add(-50 * 24 * time.Hour).Format(time.RFC1123Z)
	raw := "Autocrypt: " + strings.TrimPrefix(strings.TrimSuffix(mailcrypto.AutocryptHeader("carol@example.org", key, true), "\r\n"), "Autocrypt: ") + "\r\n" +
		"From: Carol <carol@example.org>\r\nTo: alice@work.example\r\nDate: " + headerDate + "\r\nSubject: hi\r\n\r\nhello\r\n"
	a.NoteAutocrypt([]byte(raw))
	p = a.PlanCrypto(CryptoRequest{From: "alice@work.example", Recipients: []string{"carol@example.org"}, Sign: true}, true)
	if !p.Suggest {
		t.Fatalf("encryption to a mutual Autocrypt peer is not suggested: %+v", p)
	}
	// Mail from Carol without the header for 40 days: not suggested any
	// more (Autocrypt's "discourage"), still possible.
	a.NoteAutocrypt([]byte(strings.Replace(raw[strings.Index(raw, "From:"):], headerDate, time.Now().Format(time.RFC1123Z), 1)))
	if p := a.PlanCrypto(CryptoRequest{From: "alice@work.example", Recipients: []string{"carol@example.org"}, Sign: true}, true); p.Suggest {
		t.Fatalf("a stale key is suggested: %+v", p)
	}
	p = a.PlanCrypto(CryptoRequest{From: "alice@work.example", Recipients: []string{"carol@example.org"}, Sign: true, Encrypt: true}, true)
	if p.Refuse != "" || len(p.Missing) != 0 || len(p.EncryptTo) != 1 || p.EncryptTo[0] != "carol@example.org (Autocrypt key)" {
		t.Fatalf("to Carol with her Autocrypt key: %+v", p)
	}
	msg := []byte("From: alice@work.example\r\nTo: carol@example.org\r\nSubject: for Carol\r\n\r\nonly for Carol\r\n")
	sealed, err := a.Protect(msg, CryptoRequest{From: "alice@work.example", Recipients: []string{"carol@example.org"}}, p, true)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(sealed), "\r\nAutocrypt: addr=alice@work.example; prefer-encrypt=mutual; keydata=") {
		t.Errorf("no Autocrypt header of ours:\n%.300s", sealed)
	}
	r, err := message.Render(strings.NewReader(string(sealed)), message.Options{Crypto: mailcrypto.New(&mailcrypto.Options{GnupgHome: carolHome})})
	if err != nil || len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || !strings.Contains(r.Body, "only for Carol") {
		t.Fatalf("Carol reads: %v %+v %q", err, r.Encryption, r.Body)
	}
	// Her key is not added to our keyring.
	if out, _ := exec.Command("gpg", "--homedir", home, "--list-keys", "carol@example.org").Output(); len(out) != 0 {
		t.Error("the Autocrypt key was imported into gpg's keyring")
	}
	// A header whose addr is not the sender's is not taken.
	a.NoteAutocrypt([]byte(strings.Replace(raw, "From: Carol <carol@example.org>", "From: Mallory <mallory@example.org>", 1)))
	if peers, _ := a.AutocryptPeers(); len(peers) != 1 {
		t.Errorf("peers = %+v", peers)
	}
	// "always" refuses a message without encryption.
	a.cfg.PGPEncrypt = "always"
	if p := a.PlanCrypto(CryptoRequest{From: "alice@work.example", Recipients: []string{"bob@home.example"}, Sign: true}, true); !strings.Contains(p.Refuse, "turn encryption on") {
		t.Errorf("always without encryption: %+v", p)
	}
	if _, err := a.Protect(msg, CryptoRequest{From: "alice@work.example"}, CryptoPlan{Refuse: "x"}, true); err == nil {
		t.Error("a refused plan is sent")
	}
}

// TestCryptoFilesChecked: config check names a missing key file, a
// certificate folder that is a file, and a key without its certificate.
func TestCryptoFilesChecked(t *testing.T) {
	dir := t.TempDir()
	cert := filepath.Join(dir, "me.pem")
	os.WriteFile(cert, []byte("x"), 0o600)
	path := filepath.Join(dir, "config.toml")
	text := `
[[account]]
name = "work"
address = "me@example.org"
smime_cert = "` + cert + `"
smime_key = "` + filepath.Join(dir, "missing.key") + `"
smime_certs = "` + cert + `"
gnupg_home = "` + dir + `"
[account.fetch]
kind = "imap"
host = "imap.example.org"
[account.smtp]
host = "smtp.example.org"
[[account.identity]]
address = "other@example.org"
smime_key = "` + cert + `"
`
	os.WriteFile(path, []byte(text), 0o600)
	_, problems, err := CheckConfigFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range problems {
		got = append(got, p.String())
	}
	all := strings.Join(got, "\n")
	for _, want := range []string{"account.smime_key: " + filepath.Join(dir, "missing.key"), "account.smime_certs: " + cert + " is not a folder"} {
		if !strings.Contains(all, want) {
			t.Errorf("problems lack %q:\n%s", want, all)
		}
	}
	if strings.Contains(all, "gnupg_home") || strings.Contains(all, "account.smime_cert:") {
		t.Errorf("a present file or folder is reported:\n%s", all)
	}
}

// TestSealedDraft: a draft to be sent encrypted is kept encrypted to the
// sender, and resuming it gives the draft back; a plain draft is kept
// as it is.
func TestSealedDraft(t *testing.T) {
	a, _ := cryptoAccount(t, AccountConfig{Name: "work", Address: "alice@work.example"}, "Alice <alice@work.example>")
	d := message.Draft{From: "alice@work.example", To: []string{"bob@home.example"}, Subject: "plans", Body: "The secret plan.\n", Sign: true, Encrypt: true}
	raw, err := d.BuildDraft(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := a.SealDraft(raw, "alice@work.example", true, false, true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(sealed), "secret plan") || !strings.Contains(string(sealed), "multipart/encrypted") {
		t.Fatalf("draft kept in clear:\n%s", sealed)
	}
	back, err := message.DraftFromMessage(a.OpenDraft(sealed, true))
	if err != nil || back.Body != "The secret plan.\n" || back.Subject != "plans" || !back.Encrypt || !back.Sign || len(back.To) != 1 {
		t.Fatalf("resumed: %+v, %v", back, err)
	}
	if same, err := a.SealDraft(raw, "alice@work.example", false, false, true); err != nil || string(same) != string(raw) {
		t.Errorf("a plain draft changed: %v", err)
	}
	if _, err := a.SealDraft(raw, "nokey@work.example", true, false, true); err == nil {
		t.Error("a draft to be encrypted was kept in clear for a sender without a key")
	}
	if got := a.OpenDraft(raw, true); string(got) != string(raw) {
		t.Error("OpenDraft changed a plain message")
	}
}
