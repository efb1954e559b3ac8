package ui

import (
	"bytes"
	netmail "net/mail"
	"os"
	"strings"

	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

// noPinentry: a terminal pinentry would draw over the reader; a
// graphical one is fine.
func noPinentry() bool { return os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" }

// prepareCrypto returns the engine that verifies and decrypts raw in the
// pager, or nil when raw has nothing signed or encrypted. It renders raw
// once, so gpg and openssl run here, in the command that loaded the body,
// and the renders in Update (at each resize) use the engine's memory.
// Nothing it decrypts is written anywhere.
func prepareCrypto(raw []byte) message.Crypto {
	lower := bytes.ToLower(raw)
	found := false
	for _, marker := range []string{"multipart/signed", "multipart/encrypted", "pkcs7-mime", "-----begin pgp "} {
		found = found || bytes.Contains(lower, []byte(marker))
	}
	if !found {
		return nil
	}
	e := mailcrypto.New(&mailcrypto.Options{
		SMIMEKey:   os.Getenv("POSTA_SMIME_KEY"),
		SMIMECert:  os.Getenv("POSTA_SMIME_CERT"),
		CAFile:     os.Getenv("POSTA_SMIME_CAFILE"),
		Keyring:    os.Getenv("POSTA_PGP_KEYRING"),
		NoPinentry: noPinentry(),
	})
	message.Render(bytes.NewReader(raw), message.Options{Crypto: e})
	return e
}

// protectDraft signs and/or encrypts the built message raw as the draft's
// "Sign:" and "Encrypt:" lines ask (PGP/MIME with gpg): encrypted to every
// recipient (those in Bcc hidden) and to from, so the copy in Sent is
// encrypted too. It runs in the send command, off the UI goroutine.
func protectDraft(raw []byte, d message.Draft, from string, to []string) ([]byte, error) {
	if !d.Sign && !d.Encrypt {
		return raw, nil
	}
	e := mailcrypto.New(&mailcrypto.Options{NoPinentry: noPinentry()})
	if !d.Encrypt {
		return e.SignPGP(raw, from)
	}
	hidden := map[string]bool{}
	var bcc []string
	for _, b := range d.Bcc {
		if a, err := netmail.ParseAddress(b); err == nil {
			hidden[strings.ToLower(a.Address)] = true
			bcc = append(bcc, a.Address)
		}
	}
	var named []string
	for _, a := range to {
		if !hidden[strings.ToLower(a)] {
			named = append(named, a)
		}
	}
	return e.EncryptPGP(raw, named, bcc, from, d.Sign)
}
