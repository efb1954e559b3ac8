package mailcrypto

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/armor"
	"github.com/ProtonMail/go-crypto/openpgp/clearsign"
	pgperrors "github.com/ProtonMail/go-crypto/openpgp/errors"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// The built-in OpenPGP implementation (ProtonMail/go-crypto) is used when
// gpg is not installed and Options.Keyring names a key file: public keys
// to verify with, secret keys without a passphrase to decrypt with.

// maxDecrypted bounds what the built-in implementation decrypts.
const maxDecrypted = 64 << 20

// useBuiltin reports whether OpenPGP goes through the built-in keyring.
func (e *Engine) useBuiltin() bool {
	if e.opts.Keyring == "" {
		return false
	}
	_, err := exec.LookPath(e.gpgPath())
	return err != nil
}

// keyring reads Options.Keyring: armored blocks (one or several, as
// gpg --export --armor and --export-secret-keys --armor write them) or
// binary keys.
func (e *Engine) keyring() (openpgp.EntityList, error) {
	data, err := os.ReadFile(e.opts.Keyring)
	if err != nil {
		return nil, err
	}
	return parseKeys(data)
}

// parseKeys reads armored blocks or binary keys.
func parseKeys(data []byte) (openpgp.EntityList, error) {
	if !bytes.Contains(data, []byte("-----BEGIN PGP")) {
		return openpgp.ReadKeyRing(bytes.NewReader(data))
	}
	var all openpgp.EntityList
	for rest := data; ; {
		i := bytes.Index(rest, []byte("-----BEGIN PGP"))
		if i < 0 {
			break
		}
		rest = rest[i:]
		end := bytes.Index(rest[1:], []byte("-----BEGIN PGP"))
		block := rest
		if end >= 0 {
			block, rest = rest[:end+1], rest[end+1:]
		} else {
			rest = nil
		}
		list, err := openpgp.ReadArmoredKeyRing(bytes.NewReader(block))
		if err != nil {
			return nil, err
		}
		all = append(all, list...)
	}
	return all, nil
}

// builtinVerify checks a detached signature, armored or binary.
func (e *Engine) builtinVerify(signed, sig []byte) *Signature {
	s := &Signature{Protocol: "OpenPGP"}
	kr, err := e.keyring()
	if err != nil {
		s.State, s.Detail = Error, clean("keyring: "+err.Error())
		return s
	}
	body := io.Reader(bytes.NewReader(sig))
	if bytes.Contains(sig, []byte("-----BEGIN PGP SIGNATURE")) {
		b, err := armor.Decode(bytes.NewReader(sig))
		if err != nil {
			s.State, s.Detail = Bad, clean("signature: "+err.Error())
			return s
		}
		body = b.Body
	}
	_, signer, err := openpgp.VerifyDetachedSignature(kr, bytes.NewReader(signed), body, nil)
	e.builtinResult(s, signer, err, issuer(sig))
	return s
}

// builtinDecrypt decrypts an OpenPGP message, or verifies a clear-signed
// one (inline).
func (e *Engine) builtinDecrypt(data []byte, inline bool) *decrypted {
	kr, err := e.keyring()
	if err != nil {
		return &decrypted{enc: &Encryption{Protocol: "OpenPGP", Inline: inline, Detail: clean("keyring: " + err.Error())}}
	}
	if inline && bytes.Contains(data, []byte("-----BEGIN PGP SIGNED MESSAGE-----")) {
		block, _ := clearsign.Decode(data)
		if block == nil {
			return &decrypted{sig: &Signature{Protocol: "OpenPGP", State: Bad, Inline: true, Detail: "malformed clear-signed block"}}
		}
		s := &Signature{Protocol: "OpenPGP", Inline: true}
		signer, err := block.VerifySignature(kr, nil)
		e.builtinResult(s, signer, err, "")
		return &decrypted{sig: s, plain: block.Plaintext}
	}
	body := io.Reader(bytes.NewReader(data))
	if bytes.Contains(data, []byte("-----BEGIN PGP MESSAGE")) {
		b, err := armor.Decode(bytes.NewReader(data))
		if err != nil {
			return &decrypted{enc: &Encryption{Protocol: "OpenPGP", Inline: inline, Detail: clean(err.Error())}}
		}
		body = b.Body
	}
	locked := errors.New("the secret key is protected by a passphrase, which posta's built-in keyring cannot ask for")
	prompt := func([]openpgp.Key, bool) ([]byte, error) { return nil, locked }
	md, err := openpgp.ReadMessage(body, kr, prompt, nil)
	enc := &Encryption{Protocol: "OpenPGP", Inline: inline}
	if md != nil {
		for _, id := range md.EncryptedToKeyIds {
			enc.Recipients = append(enc.Recipients, keyName(kr, id))
		}
	}
	if err != nil {
		enc.Detail = clean(err.Error())
		if errors.Is(err, pgperrors.ErrKeyIncorrect) {
			enc.Detail = "none of its keys is in your keyring"
		}
		return &decrypted{enc: enc}
	}
	plain, err := io.ReadAll(io.LimitReader(md.UnverifiedBody, maxDecrypted+1))
	if err == nil && len(plain) > maxDecrypted {
		err = errTooLarge
	}
	d := &decrypted{}
	if md.IsEncrypted {
		d.enc = enc
	}
	if err != nil {
		// An integrity failure: nothing of it is shown.
		enc.Detail = clean(err.Error())
		d.enc = enc
		return d
	}
	enc.Decrypted = true
	d.plain = plain
	if md.IsSigned {
		s := &Signature{Protocol: "OpenPGP", Inline: inline}
		var signer *openpgp.Entity
		if md.SignedBy != nil {
			signer = md.SignedBy.Entity
		}
		e.builtinResult(s, signer, md.SignatureError, fmt.Sprintf("%016X", md.SignedByKeyId))
		if md.SignedBy == nil && md.SignatureError == nil {
			s.State = UnknownKey
		}
		d.sig = s
	}
	return d
}

// builtinResult words a verification's outcome.
func (e *Engine) builtinResult(s *Signature, signer *openpgp.Entity, err error, keyID string) {
	switch {
	case err == nil:
		s.State = Good
	case errors.Is(err, pgperrors.ErrUnknownIssuer):
		s.State, s.Key = UnknownKey, clean(keyID)
	case errors.Is(err, pgperrors.ErrKeyExpired):
		s.State = ExpiredKey
	case errors.Is(err, pgperrors.ErrKeyRevoked):
		s.State = RevokedKey
	case errors.Is(err, pgperrors.ErrSignatureExpired):
		s.State = ExpiredSig
	default:
		s.State, s.Detail = Bad, clean(err.Error())
	}
	if signer == nil || s.State == UnknownKey || s.State == Bad {
		return
	}
	s.Key = clean(fmt.Sprintf("%X", signer.PrimaryKey.Fingerprint))
	s.Trust = "undefined" // the built-in keyring has no web of trust
	if id := signer.PrimaryIdentity(); id != nil {
		s.Signer = clean(id.Name)
	}
	for _, id := range signer.Identities {
		if id.UserId != nil && id.UserId.Email != "" {
			s.Emails = append(s.Emails, clean(strings.ToLower(id.UserId.Email)))
		}
	}
}

// keyName names a key id for the "encrypted to" list.
func keyName(kr openpgp.EntityList, id uint64) string {
	for _, k := range kr.KeysById(id) {
		if pi := k.Entity.PrimaryIdentity(); pi != nil {
			return clean(pi.Name) + clean(fmt.Sprintf(" (key %016X)", id))
		}
	}
	return fmt.Sprintf("key %016X", id)
}

// issuer returns the key id of a detached signature's first packet, for
// an unknown key; "" if it cannot be read.
func issuer(sig []byte) string {
	body := io.Reader(bytes.NewReader(sig))
	if bytes.Contains(sig, []byte("-----BEGIN PGP SIGNATURE")) {
		b, err := armor.Decode(bytes.NewReader(sig))
		if err != nil {
			return ""
		}
		body = b.Body
	}
	p, err := packet.NewReader(body).Next()
	if s, ok := p.(*packet.Signature); err == nil && ok {
		if s.IssuerFingerprint != nil {
			return fmt.Sprintf("%X", s.IssuerFingerprint)
		}
		if s.IssuerKeyId != nil {
			return fmt.Sprintf("%016X", *s.IssuerKeyId)
		}
	}
	return ""
}
