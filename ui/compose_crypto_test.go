package ui

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"
	"github.com/charmbracelet/x/exp/teatest"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/demo"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

// gnupgHome makes a GnuPG home with a key without passphrase for each
// uid (all valid: they are its own), or skips without gpg.
func gnupgHome(t *testing.T, uids ...string) string {
	t.Helper()
	for _, prog := range []string{"gpg", "gpg-agent"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed (apt-get install gnupg)")
		}
	}
	home, err := os.MkdirTemp("", "pgc") // short: the agent's socket path
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	t.Cleanup(func() {
		exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
		os.RemoveAll(home)
	})
	for _, uid := range uids {
		cmd := exec.Command("gpg", "--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode", "loopback", "--quick-gen-key", uid, "future-default", "default", "never")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("gpg: %v\n%s", err, out)
		}
	}
	return home
}

// demoSetWith is demoSetCold with each account's configuration changed
// by edit.
func demoSetWith(t *testing.T, edit func(*accounts.AccountConfig)) (*accounts.Set, *demo.Servers) {
	t.Helper()
	return demoSetOpts(t, demo.Options{Messages: 2}, edit)
}

// TestComposeEncryptsByDefault composes from an account with pgp_sign
// and pgp_encrypt = "when-possible": to a recipient without a key the
// review screen says the message goes in clear and why; turning
// encryption on by hand then refuses to send, naming the recipient; to
// a recipient with a key it is signed and encrypted, arrives encrypted
// with our Autocrypt header, and reads back decrypted.
func TestComposeEncryptsByDefault(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("the scripted editor is a shell script")
	}
	home := gnupgHome(t, "Alice <alice@work.example>", "Bob <bob@home.example>")
	set, _ := demoSetWith(t, func(c *accounts.AccountConfig) {
		c.GnupgHome, c.PGPSign, c.PGPEncrypt, c.Autocrypt = home, true, "when-possible", true
	})
	dir := t.TempDir()
	editor := filepath.Join(dir, "editor.sh")
	to := filepath.Join(dir, "to")
	// The editor keeps the X-Posta-Crypto line posta wrote, and writes
	// the recipient read from a file.
	script := "#!/bin/sh\ncrypto=$(grep '^X-Posta-Crypto:' \"$1\")\ncat > \"$1\" <<EOF\nFrom: Alice <alice@work.example>\nTo: $(cat " + to + ")\nSubject: sealed $(cat " + to + ")\n$crypto\n\nFor your eyes only.\nEOF\n"
	if err := os.WriteFile(editor, []byte(script), 0o700); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(to, []byte("carol@nowhere.example"), 0o600)
	tm := teatest.NewTestModel(t, New(set, Options{NoSyncOnStart: true, Editor: editor, DraftDir: t.TempDir()}), teatest.WithInitialTermSize(200, 30))
	waitFor(t, tm, "work · INBOX")

	tm.Type("m")
	waitFor(t, tm, "sent in clear: no usable key for carol@nowhere.example (no key)")
	tm.Type("c") // encryption off: signed only
	waitFor(t, tm, "OpenPGP: signed, not encrypted")
	tm.Type("c") // on again, by hand: now it must be encrypted or not sent
	waitFor(t, tm, "cannot encrypt: no usable key for carol@nowhere.example")
	tm.Type("y")
	waitFor(t, tm, "Not sent: cannot encrypt")
	tm.Type("x")
	waitFor(t, tm, "Message discarded")

	os.WriteFile(to, []byte("bob@home.example"), 0o600)
	tm.Type("m")
	waitFor(t, tm, "OpenPGP: signed and encrypted")
	tm.Type("y")
	waitFor(t, tm, "Sent from work to bob@home.example")
	tm.Type("q")
	tm.FinalModel(t, teatest.WithFinalTimeout(5*time.Second))

	home2, _ := set.Get("home")
	if _, err := home2.Sync(context.Background(), nil); err != nil {
		t.Fatal(err)
	}
	msgs, err := home2.List("INBOX", 50, 0)
	if err != nil {
		t.Fatal(err)
	}
	var raw []byte
	for _, m := range msgs {
		if m.Subject == "sealed bob@home.example" {
			if raw, err = home2.Body(context.Background(), m.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	if raw == nil {
		t.Fatalf("the message did not arrive: %+v", msgs)
	}
	if bytes.Contains(raw, []byte("eyes only")) || !bytes.Contains(raw, []byte("multipart/encrypted")) ||
		!bytes.Contains(raw, []byte("Autocrypt: addr=alice@work.example; prefer-encrypt=mutual; keydata=")) ||
		bytes.Contains(bytes.ToLower(raw), []byte("x-posta-crypto")) {
		t.Fatalf("arrived:\n%s", raw)
	}
	r, err := message.Render(bytes.NewReader(raw), message.Options{Crypto: mailcrypto.New(&mailcrypto.Options{GnupgHome: home})})
	if err != nil || len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || !strings.Contains(r.Body, "For your eyes only.") ||
		len(r.Signatures) != 1 || r.Signatures[0].State != mailcrypto.Good {
		t.Fatalf("read back: %v %+v %+v %q", err, r.Encryption, r.Signatures, r.Body)
	}
	// A reply quotes the decrypted text.
	if q := replyText(home2, raw, mail.Encrypted); !strings.Contains(q, "For your eyes only.") {
		t.Errorf("reply quotes %q", q)
	}
	// Opening it puts Alice's Autocrypt key in home's peer store.
	prepareCrypto(home2, 0, raw)
	peers, err := home2.AutocryptPeers()
	if err != nil || len(peers) != 1 || peers[0].Addr != "alice@work.example" || peers[0].PreferEncrypt != "mutual" {
		t.Fatalf("peers = %+v, %v", peers, err)
	}
}

// TestIndexSecurityMarks: the index marks encrypted and signed messages
// in the flags column, from the top-level Content-Type stored at sync.
func TestIndexSecurityMarks(t *testing.T) {
	now := time.Now()
	row := func(s mail.Security) string {
		var m accounts.Message
		m.Subject, m.Date, m.Security = "x", now, s
		m.Flags = mail.Flags{mail.FlagSeen}
		return formatRow(m, 80, now)
	}
	if r := row(mail.Encrypted); !strings.HasPrefix(r, "   E ") {
		t.Errorf("encrypted row = %q", r)
	}
	if r := row(mail.Signed); !strings.HasPrefix(r, "   S ") {
		t.Errorf("signed row = %q", r)
	}
	if r := row(0); !strings.HasPrefix(r, "     ") {
		t.Errorf("plain row = %q", r)
	}
	// In a search of every account, the account's name follows the marks.
	var m accounts.Message
	m.Subject, m.Date, m.Security, m.Account = "sealed", now, mail.Encrypted, "work"
	x := index{total: 1, rows: []accounts.Message{m}, height: 3}
	if v := ansi.Strip(x.view(DefaultTheme(), 80, now, true, false)); !strings.Contains(v, "E work") {
		t.Errorf("search row = %q", v)
	}
}

// TestCryptoViewOfUnsendableDraft: a draft that cannot be sent as it is
// (here: no recipient) gets no key check (cryptoPlanCmd), so its review
// shows no "checking keys…" that would never end, even if it is to be
// signed and encrypted.
func TestCryptoViewOfUnsendableDraft(t *testing.T) {
	c := compose{draft: message.Draft{From: "ann@example.com", Sign: true, Encrypt: true}}
	if v := c.cryptoView(DefaultTheme(), 80); !strings.Contains(v, "checking keys") {
		t.Fatalf("a sendable draft waiting for its plan shows %q, want the check under way", v)
	}
	c.err = message.ErrNoTo
	if v := c.cryptoView(DefaultTheme(), 80); v != "" {
		t.Errorf("cryptoView of a draft without To = %q, want nothing", v)
	}
}
