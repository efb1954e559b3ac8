package ui

import (
	"bytes"
	"os"

	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

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
		SMIMEKey:  os.Getenv("POSTA_SMIME_KEY"),
		SMIMECert: os.Getenv("POSTA_SMIME_CERT"),
		CAFile:    os.Getenv("POSTA_SMIME_CAFILE"),
		Keyring:   os.Getenv("POSTA_PGP_KEYRING"),
		// A terminal pinentry would draw over the reader; a graphical
		// one is fine.
		NoPinentry: os.Getenv("DISPLAY") == "" && os.Getenv("WAYLAND_DISPLAY") == "",
	})
	message.Render(bytes.NewReader(raw), message.Options{Crypto: e})
	return e
}
