package ui

import (
	"bytes"
	"os"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// noPinentry: a terminal pinentry would draw over the reader; a
// graphical one is fine.
func noPinentry() bool { return os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "" }

// prepareCrypto returns the engine that verifies and decrypts raw in the
// pager with the account's keys, or nil when raw has nothing signed or
// encrypted. It renders raw once, so gpg and openssl run here, in the
// command that loaded the body, and the renders in Update (at each
// resize) use the engine's memory. Nothing it decrypts is written
// anywhere, unless the account says store_decrypted = true (then its
// text is indexed for search). The message's Autocrypt header goes to
// the peer store.
func prepareCrypto(a *accounts.Account, id int64, raw []byte) message.Crypto {
	a.NoteAutocrypt(raw)
	if !mentionsCrypto(raw) {
		return nil
	}
	e := a.CryptoEngine(noPinentry())
	if r, err := message.Render(bytes.NewReader(raw), message.Options{Crypto: e}); err == nil {
		a.KeepDecrypted(id, r) // only with store_decrypted = true
	}
	return e
}

// cryptoMarkers are what a signed or encrypted message shows somewhere,
// in lower case.
var cryptoMarkers = []string{"multipart/signed", "multipart/encrypted", "pkcs7-mime", "-----begin pgp "}

// mentionsCrypto reports whether raw holds one of cryptoMarkers, in any
// case.
func mentionsCrypto(raw []byte) bool { return message.MentionsFold(raw, cryptoMarkers...) }

// protectDraft signs and/or encrypts the built message raw as the
// draft's X-Posta-Crypto line asks, with the keys of from's identity:
// encrypted to every recipient (those in Bcc hidden) and to from, so the
// copy in Sent is encrypted too; the account's Autocrypt header added
// when it sends one. The keys are checked again here: a recipient
// without a usable key stops it, named. It runs in the send command, off
// the UI goroutine.
func protectDraft(a *accounts.Account, raw []byte, d message.Draft) ([]byte, error) {
	req := cryptoRequest(a, d, false)
	var plan accounts.CryptoPlan
	if d.Encrypt || a.EncryptPolicy(d.SMIME) == "always" {
		plan = a.PlanCrypto(req, noPinentry())
	} else {
		plan = accounts.CryptoPlan{Sign: d.Sign, SMIME: d.SMIME}
	}
	return a.Protect(raw, req, plan, noPinentry())
}

// securityMark is the index's mark for what a message's top-level
// Content-Type shows: E encrypted, S signed (nothing is checked for it:
// the pager says whether the signature is good).
func securityMark(s mail.Security) byte {
	switch {
	case s.Has(mail.Encrypted):
		return 'E'
	case s.Has(mail.Signed):
		return 'S'
	}
	return ' '
}
