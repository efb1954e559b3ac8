package mailcrypto

import (
	"bytes"
	"encoding/base64"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
)

// Autocrypt is a parsed Autocrypt: header (Autocrypt Level 1).
type Autocrypt struct {
	Addr          string // lower case
	PreferEncrypt string // "mutual" or ""
	KeyData       []byte // binary OpenPGP key
}

// ParseAutocrypt reads the value of an Autocrypt: header. ok is false for
// an invalid one: no addr or keydata, an unknown critical attribute, or
// keydata that is not an OpenPGP key naming addr.
func ParseAutocrypt(value string) (a Autocrypt, ok bool) {
	for _, attr := range strings.Split(value, ";") {
		k, v, found := strings.Cut(strings.TrimSpace(attr), "=")
		if !found {
			if strings.TrimSpace(attr) == "" {
				continue
			}
			return a, false
		}
		switch strings.TrimSpace(k) {
		case "addr":
			a.Addr = strings.ToLower(strings.TrimSpace(v))
		case "prefer-encrypt":
			if strings.TrimSpace(v) == "mutual" {
				a.PreferEncrypt = "mutual"
			}
		case "keydata":
			data, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(v), ""))
			if err != nil {
				return a, false
			}
			a.KeyData = data
		default:
			if !strings.HasPrefix(strings.TrimSpace(k), "_") {
				return a, false // unknown critical attribute
			}
		}
	}
	if a.Addr == "" || len(a.KeyData) == 0 || len(a.KeyData) > 64<<10 {
		return a, false
	}
	list, err := openpgp.ReadKeyRing(bytes.NewReader(a.KeyData))
	if err != nil || len(list) != 1 {
		return a, false
	}
	for _, id := range list[0].Identities {
		if uidAddress(id.Name) == a.Addr {
			return a, true
		}
	}
	// Level 1 does not require a user id for addr; a key without any is
	// accepted, one that names only other addresses is not.
	return a, len(list[0].Identities) == 0
}

// AutocryptHeader formats our Autocrypt: header field (name, value and
// CRLF), its keydata folded in lines of 76 characters.
func AutocryptHeader(addr string, keydata []byte, mutual bool) string {
	var b strings.Builder
	b.WriteString("Autocrypt: addr=" + addr + ";")
	if mutual {
		b.WriteString(" prefer-encrypt=mutual;")
	}
	b.WriteString(" keydata=")
	enc := base64.StdEncoding.EncodeToString(keydata)
	for len(enc) > 0 {
		n := min(len(enc), 76)
		b.WriteString("\r\n " + enc[:n])
		enc = enc[n:]
	}
	b.WriteString("\r\n")
	return b.String()
}
