package mailcrypto

import (
	"bytes"
	"crypto"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// builtinEntity finds the key of who (an address, or the end of a
// fingerprint or key id) in the built-in keyring; secret asks for one
// with its secret part.
func builtinEntity(kr openpgp.EntityList, who string, secret bool) *openpgp.Entity {
	who = strings.ToLower(strings.TrimPrefix(strings.Trim(who, "<>"), "0x"))
	for _, ent := range kr {
		if secret && (ent.PrivateKey == nil || ent.PrivateKey.Encrypted) {
			continue
		}
		if fpr := fmt.Sprintf("%x", ent.PrimaryKey.Fingerprint); len(who) >= 8 && strings.HasSuffix(fpr, who) {
			return ent
		}
		for _, id := range ent.Identities {
			if uidAddress(id.Name) == who {
				return ent
			}
		}
	}
	return nil
}

var builtinConfig = &packet.Config{DefaultHash: crypto.SHA256}

// builtinSign makes an armored detached signature of entity with the
// secret key of signer from the built-in keyring.
func (e *Engine) builtinSign(entity []byte, signer string) ([]byte, string, error) {
	kr, err := e.keyring()
	if err != nil {
		return nil, "", fmt.Errorf("keyring %s: %w", clean(e.opts.Keyring), err)
	}
	ent := builtinEntity(kr, signer, true)
	if ent == nil {
		return nil, "", fmt.Errorf("sign as %s: no secret key without a passphrase in the built-in keyring", clean(signer))
	}
	var b bytes.Buffer
	if err := openpgp.ArmoredDetachSign(&b, ent, bytes.NewReader(entity), builtinConfig); err != nil {
		return nil, "", fmt.Errorf("sign as %s: %w", clean(signer), err)
	}
	return b.Bytes(), "pgp-sha256", nil
}

// builtinEncrypt encrypts entity to the keys of recipients (and the key
// files' keys) from the built-in keyring, signed by signer when sign is
// set. Hidden recipients are refused: the built-in implementation would
// name their keys in the message.
func (e *Engine) builtinEncrypt(entity []byte, recipients, hidden []string, peerKeys [][]byte, sign bool, signer string) ([]byte, error) {
	if len(hidden) > 0 {
		return nil, errors.New("encrypting to Bcc recipients needs gpg (hidden recipients): send them a separate message")
	}
	kr, err := e.keyring()
	if err != nil {
		return nil, fmt.Errorf("keyring %s: %w", clean(e.opts.Keyring), err)
	}
	var to []*openpgp.Entity
	var missing []string
	now := time.Now()
	for _, r := range recipients {
		ent := builtinEntity(kr, r, false)
		if ent == nil {
			missing = append(missing, r)
			continue
		}
		if _, ok := ent.EncryptionKey(now); !ok {
			missing = append(missing, r)
			continue
		}
		to = append(to, ent)
	}
	for _, k := range peerKeys {
		list, err := openpgp.ReadKeyRing(bytes.NewReader(k))
		if err != nil || len(list) == 0 {
			return nil, errors.New("an Autocrypt key cannot be read")
		}
		to = append(to, list[0])
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w for %s", ErrNoKey, clean(strings.Join(missing, ", ")))
	}
	var signEnt *openpgp.Entity
	if sign {
		if signEnt = builtinEntity(kr, signer, true); signEnt == nil {
			return nil, fmt.Errorf("sign as %s: no secret key without a passphrase in the built-in keyring", clean(signer))
		}
	}
	var b bytes.Buffer
	aw, err := armor.Encode(&b, "PGP MESSAGE", nil)
	if err != nil {
		return nil, err
	}
	w, err := openpgp.Encrypt(aw, to, signEnt, nil, builtinConfig)
	if err != nil {
		return nil, fmt.Errorf("encrypt: %w", err)
	}
	if _, err := w.Write(entity); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	if err := aw.Close(); err != nil {
		return nil, err
	}
	b.WriteString("\n")
	return b.Bytes(), nil
}
