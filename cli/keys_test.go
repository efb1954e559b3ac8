package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
)

// withSettings adds TOML lines to the [[account]] table of address in
// the env's configuration.
func (e *env) withSettings(address, lines string) {
	e.t.Helper()
	data, err := os.ReadFile(e.config)
	if err != nil {
		e.t.Fatal(err)
	}
	line := fmt.Sprintf("address = %q\n", address)
	if !strings.Contains(string(data), line) {
		e.t.Fatalf("no %s in the configuration", address)
	}
	if err := os.WriteFile(e.config, []byte(strings.Replace(string(data), line, line+lines, 1)), 0o600); err != nil {
		e.t.Fatal(err)
	}
}

// TestKeysCommands: keys import, list and export through gpg in the
// account's gnupg_home.
func TestKeysCommands(t *testing.T) {
	gpg := testGPG(t) // GNUPGHOME: where Carol's key is made
	gpg("", "--quick-gen-key", "Carol <carol@example.org>", "future-default", "default", "never")
	carol := gpg("", "--armor", "--export", "carol@example.org")
	e := newEnv(t, 1)
	home, err := os.MkdirTemp("", "pgk")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	e.withSettings("alice@work.example", fmt.Sprintf("gnupg_home = %q\n", home))
	if out := e.mustRun("", "keys", "list", "--json"); strings.TrimSpace(out) != "[]" {
		t.Fatalf("empty keyring lists %s", out)
	}
	_, stderr, err := e.run(carol, "keys", "import", "-")
	if err != nil || !strings.Contains(stderr, "1 key(s) imported") {
		t.Fatalf("keys import: %v %s", err, stderr)
	}
	var keys []struct {
		Fingerprint string   `json:"fingerprint"`
		UserIDs     []string `json:"user_ids"`
		Secret      bool     `json:"secret"`
		State       string   `json:"state"`
	}
	out := e.mustRun("", "keys", "list", "--json")
	if err := json.Unmarshal([]byte(out), &keys); err != nil || len(keys) != 1 || keys[0].UserIDs[0] != "Carol <carol@example.org>" || keys[0].Secret || keys[0].State != "not verified" {
		t.Fatalf("keys list --json = %s (%v)", out, err)
	}
	if text := e.mustRun("", "keys", "list"); !strings.Contains(text, "pub "+keys[0].Fingerprint+" [not verified]") {
		t.Errorf("keys list =\n%s", text)
	}
	if exp := e.mustRun("", "keys", "export", "carol@example.org"); !strings.Contains(exp, "BEGIN PGP PUBLIC KEY BLOCK") {
		t.Errorf("keys export = %q", exp)
	}
	if _, _, err := e.run("", "keys", "export", "nobody@example.org"); err == nil {
		t.Error("exporting a key that is not there succeeds")
	}
	if _, _, err := e.run("not a key", "keys", "import", "-"); err == nil {
		t.Error("importing garbage succeeds")
	}
	// The other account uses the default keyring (GNUPGHOME), where
	// Carol's key was made: there it has its secret part.
	if out := e.mustRun("", "--account", "home", "keys", "list", "carol@example.org", "--json"); !strings.Contains(out, `"secret": true`) {
		t.Errorf("home's keyring: %s", out)
	}
}

// TestSendAccountDefaults: with pgp_encrypt = "when-possible" a message
// to a recipient without a key is sent in clear with a note; with
// "always" it is refused; with a key it is encrypted without any flag.
func TestSendAccountDefaults(t *testing.T) {
	gpg := testGPG(t)
	gpg("", "--quick-gen-key", "Alice <alice@work.example>", "future-default", "default", "never")
	e := newEnv(t, 1)
	e.withSettings("alice@work.example", "pgp_sign = true\npgp_encrypt = \"when-possible\"\n")
	e.mustRun("", "sync")
	_, stderr, err := e.run("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: clear\r\n\r\nplain words\r\n", "send", "--account", "work")
	if err != nil || !strings.Contains(stderr, "sent in clear: no usable key for bob@home.example (no key)") {
		t.Fatalf("when-possible to a recipient without a key: %v %s", err, stderr)
	}
	gpg("", "--quick-gen-key", "Bob <bob@home.example>", "future-default", "default", "never")
	e.mustRun("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: sealed by default\r\n\r\nquiet words\r\n", "send", "--account", "work")
	e.mustRun("", "sync")
	found := 0
	for _, r := range e.list() {
		if r.Subject == "clear" && r.Account == "home" {
			found++
			if !r.Signed || r.Encrypted {
				t.Errorf("list --json of the clear one: encrypted %v, signed %v", r.Encrypted, r.Signed)
			}
			if raw := e.mustRun("", "read", "--raw", fmt.Sprint(r.ID)); !strings.Contains(raw, "multipart/signed") || !strings.Contains(raw, "plain words") {
				t.Errorf("the clear one is not signed in clear:\n%s", raw)
			}
		}
		if r.Subject == "sealed by default" && r.Account == "home" {
			found++
			raw := e.mustRun("", "read", "--raw", fmt.Sprint(r.ID))
			if !r.Encrypted || r.Signed {
				t.Errorf("list --json: encrypted %v, signed %v", r.Encrypted, r.Signed)
			}
			if strings.Contains(raw, "quiet words") || !strings.Contains(raw, "multipart/encrypted") {
				t.Fatalf("not encrypted by default:\n%s", raw)
			}
		}
	}
	if found != 2 {
		t.Fatalf("%d of the 2 messages arrived", found)
	}
	e.withSettings("bob@home.example", "pgp_encrypt = \"always\"\n")
	_, stderr, err = e.run("From: bob@home.example\r\nTo: nokey@work.example\r\nSubject: x\r\n\r\nx\r\n", "send", "--account", "home")
	if err == nil || !strings.Contains(err.Error(), "encrypt = always") || !strings.Contains(err.Error(), "nokey@work.example") {
		t.Fatalf("always to a recipient without a key: %v %s", err, stderr)
	}
	_, _, err = e.run("From: bob@home.example\r\nTo: alice@work.example\r\nSubject: x\r\n\r\nx\r\n", "send", "--account", "home", "--sign")
	if err == nil || !strings.Contains(err.Error(), "turn encryption on") {
		t.Fatalf("always, sent with --sign only: %v", err)
	}
}

// TestSendSMIME: send --smime --sign --encrypt with the account's
// certificate; openssl decrypts and verifies what arrived.
func TestSendSMIME(t *testing.T) {
	if _, err := exec.LookPath("openssl"); err != nil {
		t.Skip("openssl is not installed")
	}
	dir := t.TempDir()
	certs := filepath.Join(dir, "certs")
	os.Mkdir(certs, 0o700)
	mk := func(name, email string) (string, string) {
		cert, key := filepath.Join(certs, name+".pem"), filepath.Join(dir, name+".key")
		out, err := exec.Command("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "2",
			"-subj", "/CN="+name+"/emailAddress="+email, "-addext", "subjectAltName=email:"+email).CombinedOutput()
		if err != nil {
			t.Fatalf("openssl req: %v\n%s", err, out)
		}
		return cert, key
	}
	aCert, aKey := mk("alice", "alice@work.example")
	bCert, bKey := mk("bob", "bob@home.example")
	e := newEnv(t, 1)
	e.withSettings("alice@work.example", fmt.Sprintf("smime_cert = %q\nsmime_key = %q\nsmime_certs = %q\nsmime_ca_file = %q\n", aCert, aKey, certs, aCert))
	e.withSettings("bob@home.example", fmt.Sprintf("smime_cert = %q\nsmime_key = %q\nsmime_ca_file = %q\n", bCert, bKey, aCert))
	e.mustRun("", "sync")
	e.mustRun("From: alice@work.example\r\nTo: bob@home.example\r\nSubject: smime both\r\n\r\nsmime words "+time.Now().Format("150405")+"\r\n", "send", "--account", "work", "--smime", "--sign", "--encrypt")
	e.mustRun("", "sync")
	var id int64
	for _, r := range e.list("--account", "home") {
		if r.Subject == "smime both" {
			id = r.ID
		}
	}
	if id == 0 {
		t.Fatal("the S/MIME message did not arrive")
	}
	raw := e.mustRun("", "read", "--raw", fmt.Sprint(id))
	if strings.Contains(raw, "smime words") || !strings.Contains(raw, "enveloped-data") {
		t.Fatalf("not encrypted:\n%s", raw)
	}
	cmd := exec.Command("openssl", "smime", "-decrypt", "-recip", bCert, "-inkey", bKey)
	cmd.Stdin = strings.NewReader(raw)
	inner, err := cmd.Output()
	if err != nil {
		t.Fatalf("openssl smime -decrypt: %v", err)
	}
	cmd = exec.Command("openssl", "smime", "-verify", "-CAfile", aCert)
	cmd.Stdin = strings.NewReader(string(inner))
	if out, err := cmd.CombinedOutput(); err != nil || !strings.Contains(string(out), "smime words") {
		t.Fatalf("openssl smime -verify: %v\n%s", err, out)
	}
	text := e.mustRun("", "read", fmt.Sprint(id))
	for _, want := range []string{"Encrypted (S/MIME)", "Good S/MIME signature", "smime words"} {
		if !strings.Contains(text, want) {
			t.Errorf("read lacks %q:\n%s", want, text)
		}
	}
	// Without a certificate for the recipient it is refused, named.
	_, _, err = e.run("From: alice@work.example\r\nTo: carol@home.example\r\nSubject: x\r\n\r\nx\r\n", "send", "--account", "work", "--smime", "--encrypt")
	if err == nil || !strings.Contains(err.Error(), "carol@home.example (no certificate)") {
		t.Fatalf("S/MIME to a recipient without a certificate: %v", err)
	}
}

// TestStoreDecrypted: with store_decrypted = true, the words of an
// encrypted message that was read are found by search (off, they are
// not: TestReadEncryptedNotStored).
func TestStoreDecrypted(t *testing.T) {
	gpg := testGPG(t)
	gpg("", "--quick-gen-key", "Bob <bob@home.example>", "future-default", "default", "never")
	const secret = "marmot-teapot-secret"
	armored := gpg("Content-Type: text/plain\r\n\r\nThe word is "+secret+".\r\n", "--armor", "--encrypt", "--recipient", "bob@home.example")
	msg := "From: alice@work.example\r\nTo: bob@home.example\r\nSubject: kept\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\r\n\r\n" +
		"--e\r\nContent-Type: application/pgp-encrypted\r\n\r\nVersion: 1\r\n" +
		"--e\r\nContent-Type: application/octet-stream\r\n\r\n" + strings.ReplaceAll(armored, "\n", "\r\n") + "--e--\r\n"
	e := newEnv(t, 1)
	e.withSettings("bob@home.example", "store_decrypted = true\n")
	e.mustRun("", "sync")
	e.mustRun(msg, "send", "--account", "work")
	e.mustRun("", "sync")
	var id int64
	for _, r := range e.list("--account", "home") {
		if r.Subject == "kept" {
			id = r.ID
		}
	}
	if id == 0 {
		t.Fatal("not delivered")
	}
	if found := e.mustRun("", "search", "--local", "--json", secret); strings.Contains(found, "kept") {
		t.Fatalf("found before it was read: %s", found)
	}
	e.mustRun("", "read", fmt.Sprint(id))
	if found := e.mustRun("", "search", "--local", "--json", secret); !strings.Contains(found, `"kept"`) {
		t.Errorf("store_decrypted: not found after reading: %s", found)
	}
}

// TestDemoCrypto: the demo's keys are written into its configuration,
// and its seeded messages read as they should through posta read.
func TestDemoCrypto(t *testing.T) {
	for _, prog := range []string{"gpg", "gpg-agent", "openssl"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed")
		}
	}
	e := newEnv(t, 1)
	dir, err := os.MkdirTemp("", "pdc") // short: gpg-agent's socket
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(dir)
	var stderr strings.Builder
	stop := setupDemoCrypto(&globals{stderr: &stderr}, dir, e.config, e.srv)
	defer stop()
	if stderr.Len() > 0 {
		t.Fatalf("setup said: %s", stderr.String())
	}
	if _, problems, err := accounts.CheckConfigFile(e.config); err != nil || len(problems) > 0 {
		t.Fatalf("config check: %v %v", err, problems)
	}
	data, _ := os.ReadFile(e.config)
	os.WriteFile(e.config, []byte(strings.Replace(string(data), "kind = \"imap\"\n", "kind = \"imap\"\nprefetch_days = 30\n", 1)), 0o600)
	e.mustRun("", "sync")
	// The sync's prefetch read Bob's Autocrypt header: nothing was opened.
	if peers := e.mustRun("", "keys", "peers", "--account", "work"); !strings.Contains(peers, "bob@home.example  mutual") {
		t.Errorf("keys peers after sync = %q", peers)
	}
	want := map[string][]string{
		"Encrypted (OpenPGP): the door code":       {"[Encrypted (OpenPGP) to Alice", "[Good OpenPGP signature from Bob", "4711"},
		"Tampered (OpenPGP): signed, then changed": {"[BAD OpenPGP signature"},
		"Signed (S/MIME): the contract":            {"[Good S/MIME signature from CN=bob"},
		"Encrypted (S/MIME): the salary review":    {"[Encrypted (S/MIME) to CN=alice", "signed inside"},
		"Encrypted (OpenPGP): lunch plans":         {"[Encrypted (OpenPGP) to Bob", "Lunch at noon"},
	}
	seen := 0
	for _, r := range e.list() {
		words, ok := want[r.Subject]
		if !ok || r.Folder != "INBOX" {
			continue
		}
		seen++
		text := e.mustRun("", "read", fmt.Sprint(r.ID))
		for _, w := range words {
			if !strings.Contains(text, w) {
				t.Errorf("%s: read lacks %q:\n%s", r.Subject, w, text)
			}
		}
	}
	if seen != len(want) {
		t.Errorf("%d of the %d seeded messages listed", seen, len(want))
	}
}

// TestDoctorCrypto: doctor names the crypto programs and their versions.
func TestDoctorCrypto(t *testing.T) {
	var b strings.Builder
	doctorCrypto(&b)
	for _, prog := range []string{"gpg", "gpgsm", "openssl"} {
		line := ""
		for _, l := range strings.Split(b.String(), "\n") {
			if strings.HasPrefix(l, prog+": ") {
				line = l
			}
		}
		_, err := exec.LookPath(prog)
		switch {
		case line == "":
			t.Errorf("no line for %s:\n%s", prog, b.String())
		case err != nil && line != prog+": not installed":
			t.Errorf("%s is not installed, doctor says %q", prog, line)
		case err == nil && (!strings.Contains(line, "(/") || strings.Contains(line, "not installed")):
			t.Errorf("%s is installed, doctor says %q", prog, line)
		}
	}
}
