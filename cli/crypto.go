package cli

import (
	"bufio"
	"bytes"
	"os"
	"strings"

	gomessage "github.com/emersion/go-message"
	gomail "github.com/emersion/go-message/mail"
	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/message"
)

// cryptoEngine verifies and decrypts messages shown by read and render,
// with the user's gpg (GNUPGHOME or ~/.gnupg) and openssl. S/MIME
// decryption and extra roots come from POSTA_SMIME_KEY, POSTA_SMIME_CERT
// and POSTA_SMIME_CAFILE (PEM files); without gpg, OpenPGP uses the key
// file POSTA_PGP_KEYRING.
func cryptoEngine() *mailcrypto.Engine {
	return mailcrypto.New(&mailcrypto.Options{
		SMIMEKey:  os.Getenv("POSTA_SMIME_KEY"),
		SMIMECert: os.Getenv("POSTA_SMIME_CERT"),
		CAFile:    os.Getenv("POSTA_SMIME_CAFILE"),
		Keyring:   os.Getenv("POSTA_PGP_KEYRING"),
	})
}

// securityJSON is the "signature", "signatures" and "encrypted" of
// render --json: signature is the one that covers the whole message (null
// when none does), signatures lists every one found, with what it covers.
type securityJSON struct {
	Signature  *mailcrypto.Signature  `json:"signature"`
	Signatures []mailcrypto.Signature `json:"signatures"`
	Encrypted  *mailcrypto.Encryption `json:"encrypted"`
}

func newSecurityJSON(r *message.Rendered) securityJSON {
	out := securityJSON{Signatures: r.Signatures}
	if out.Signatures == nil {
		out.Signatures = []mailcrypto.Signature{}
	}
	for i := range r.Signatures {
		if r.Signatures[i].Covers == "message" {
			out.Signature = &r.Signatures[i]
			break
		}
	}
	if len(r.Encryption) > 0 {
		out.Encrypted = &r.Encryption[0]
	}
	return out
}

// protectOutgoing signs and/or encrypts a prepared message for send; bcc
// are the envelope recipients that were in Bcc, encrypted to without being
// named in the message.
func protectOutgoing(raw []byte, from string, to, bcc []string, sign, encrypt bool) ([]byte, error) {
	switch {
	case encrypt:
		hidden := map[string]bool{}
		for _, a := range bcc {
			hidden[strings.ToLower(a)] = true
		}
		var named []string
		for _, a := range to {
			if !hidden[strings.ToLower(a)] {
				named = append(named, a)
			}
		}
		return cryptoEngine().EncryptPGP(raw, named, bcc, from, sign)
	case sign:
		return cryptoEngine().SignPGP(raw, from)
	}
	return raw, nil
}

// bccOf returns the Bcc and Resent-Bcc addresses of a message to send.
func bccOf(in []byte) []string {
	th, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(toCRLF(in))))
	if err != nil {
		return nil
	}
	h := gomail.Header{Header: gomessage.Header{Header: th}}
	var out []string
	for _, f := range []string{"Bcc", "Resent-Bcc"} {
		list, _ := h.AddressList(f)
		for _, a := range list {
			out = append(out, a.Address)
		}
	}
	return out
}
