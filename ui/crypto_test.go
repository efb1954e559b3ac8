package ui

import (
	"bytes"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/charmbracelet/x/ansi"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

// TestPagerSignatureStatus opens a message signed by gpg (key in a temp
// GNUPGHOME): the status is above the body, and re-rendering (a resize)
// uses what the body command found, without running gpg again.
func TestPagerSignatureStatus(t *testing.T) {
	for _, prog := range []string{"gpg", "gpg-agent"} {
		if _, err := exec.LookPath(prog); err != nil {
			t.Skip(prog + " is not installed (apt-get install gnupg)")
		}
	}
	home, err := os.MkdirTemp("", "pgu")
	if err != nil {
		t.Fatal(err)
	}
	os.Chmod(home, 0o700)
	defer os.RemoveAll(home)
	t.Setenv("GNUPGHOME", "/nonexistent") // the account's gnupg_home is used, not this
	gpg := func(stdin string, args ...string) string {
		cmd := exec.Command("gpg", append([]string{"--homedir", home, "--batch", "--passphrase", "", "--pinentry-mode", "loopback"}, args...)...)
		cmd.Stdin = strings.NewReader(stdin)
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		out, err := cmd.Output()
		if err != nil {
			t.Fatalf("gpg %v: %v\n%s", args, err, stderr.String())
		}
		return string(out)
	}
	gpg("", "--quick-gen-key", "Ann <ann@example.com>", "future-default", "default", "never")
	content := "Content-Type: text/plain\r\n\r\nSigned words.\r\n"
	sig := gpg(content, "--armor", "--detach-sign")
	exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
	raw := []byte("From: someone@example.com\r\nSubject: s\r\nMIME-Version: 1.0\r\n" +
		"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=b\r\n\r\n" +
		"--b\r\n" + content + "\r\n--b\r\nContent-Type: application/pgp-signature\r\n\r\n" + sig + "\r\n--b--\r\n")

	set, _ := demoSetWith(t, func(c *accounts.AccountConfig) { c.GnupgHome = home })
	work, _ := set.Get("work")
	if prepareCrypto(work, 0, []byte("From: a@example.com\r\n\r\nplain\r\n")) != nil {
		t.Error("prepareCrypto of plain mail is not nil")
	}
	crypto := prepareCrypto(work, 0, raw)
	if crypto == nil {
		t.Fatal("prepareCrypto of a signed message is nil")
	}
	os.RemoveAll(home) // later renders must not need gpg
	p := newPager(accounts.Message{}, 100, 40)
	p.crypto = crypto
	p.setRaw(DefaultTheme(), raw)
	p.setSize(DefaultTheme(), 90, 40)
	view := ansi.Strip(p.vp.View())
	if !strings.Contains(view, "[Good OpenPGP signature from Ann <ann@example.com>") ||
		!strings.Contains(strings.Join(strings.Fields(view), " "), "does NOT match From someone@example.com") || !strings.Contains(view, "Signed words.") {
		t.Errorf("pager =\n%s", view)
	}
	if strings.Index(view, "Good OpenPGP") > strings.Index(view, "Signed words.") {
		t.Errorf("the status is not above the body:\n%s", view)
	}
}

// TestProtectDraft: a draft whose editor text asks to sign and encrypt
// is sent as PGP/MIME that posta reads back decrypted with a good
// signature; a plain draft is left alone.
func TestProtectDraft(t *testing.T) {
	home := gnupgHome(t, "Ann <ann@example.com>", "Ben <ben@example.com>")
	set, _ := demoSetWith(t, func(c *accounts.AccountConfig) { c.GnupgHome = home })
	work, _ := set.Get("work")
	d, err := message.ParseEditorText("From: ann@example.com\nTo: ben@example.com\nSubject: s\nX-Posta-Crypto: sign, encrypt\n\nSealed words.\n")
	if err != nil || !d.Sign || !d.Encrypt {
		t.Fatalf("ParseEditorText = %+v, %v", d, err)
	}
	raw, err := d.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sealed, err := protectDraft(work, raw, d)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("Sealed words")) {
		t.Fatal("the sent message is not encrypted")
	}
	r, err := message.Render(bytes.NewReader(sealed), message.Options{Crypto: mailcrypto.New(&mailcrypto.Options{GnupgHome: home})})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Encryption) != 1 || !r.Encryption[0].Decrypted || len(r.Signatures) != 1 || r.Signatures[0].State != mailcrypto.Good ||
		!r.Signatures[0].FromOK || !strings.Contains(r.Body, "Sealed words.") {
		t.Fatalf("read back: %+v %+v %q", r.Encryption, r.Signatures, r.Body)
	}
	// An attachment goes inside the encryption and comes out whole.
	withFile := d
	withFile.Attachments = []message.DraftAttachment{{Name: "plan.bin", ContentType: "application/octet-stream", Data: []byte("\x00\x01attached secret\xff")}}
	rawFile, err := withFile.Build(time.Now())
	if err != nil {
		t.Fatal(err)
	}
	sealedFile, err := protectDraft(work, rawFile, withFile)
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealedFile, []byte("plan.bin")) {
		t.Error("the attachment's name is outside the encryption")
	}
	rf, err := message.Render(bytes.NewReader(sealedFile), message.Options{Crypto: mailcrypto.New(&mailcrypto.Options{GnupgHome: home})})
	if err != nil || len(rf.Attachments) != 1 || rf.Attachments[0].Name != "plan.bin" {
		t.Fatalf("attachments read back: %v %+v", err, rf.Attachments)
	}
	path, err := message.SaveAttachmentWith(bytes.NewReader(sealedFile), rf.Attachments[0].Index, t.TempDir(), mailcrypto.New(&mailcrypto.Options{GnupgHome: home}))
	if saved, _ := os.ReadFile(path); err != nil || string(saved) != "\x00\x01attached secret\xff" {
		t.Fatalf("saved attachment %q, %v", saved, err)
	}
	d.Sign, d.Encrypt = false, false
	if same, err := protectDraft(work, raw, d); err != nil || !bytes.Equal(same, raw) {
		t.Errorf("plain draft changed: %v", err)
	}
}
