package message

import (
	gomail "github.com/emersion/go-message/mail"

	"fmt"
	"strings"
)

// CryptoField is the editor draft's header line that says how the
// message is protected: "X-Posta-Crypto: sign, encrypt" (and "smime" for
// S/MIME instead of OpenPGP; "none" for neither). posta reads it back and
// never sends it.
const CryptoField = "X-Posta-Crypto"

// cryptoLine is the draft's X-Posta-Crypto line, "" when nothing is
// asked for.
func (d Draft) cryptoLine() string {
	var words []string
	if d.Sign {
		words = append(words, "sign")
	}
	if d.Encrypt {
		words = append(words, "encrypt")
	}
	if d.SMIME {
		words = append(words, "smime")
	}
	if len(words) == 0 {
		return ""
	}
	return CryptoField + ": " + strings.Join(words, ", ") + "\n"
}

// parseCryptoField reads an X-Posta-Crypto value into d: a list of sign,
// encrypt, smime (or s/mime), pgp (or openpgp), none.
func (d *Draft) parseCryptoField(value string) error {
	d.Sign, d.Encrypt, d.SMIME = false, false, false
	for _, w := range strings.FieldsFunc(strings.ToLower(value), func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		switch w {
		case "sign", "signed":
			d.Sign = true
		case "encrypt", "encrypted":
			d.Encrypt = true
		case "smime", "s/mime":
			d.SMIME = true
		case "pgp", "openpgp", "none":
		default:
			return fmt.Errorf("message: %s: %q is not sign, encrypt, smime, pgp or none", CryptoField, w)
		}
	}
	return nil
}

// setCryptoField writes the draft's X-Posta-Crypto field into a saved
// draft's header.
func setCryptoField(h *gomail.Header, d Draft) {
	if line := d.cryptoLine(); line != "" {
		h.Set(CryptoField, strings.TrimSpace(strings.TrimPrefix(line, CryptoField+":")))
	}
}
