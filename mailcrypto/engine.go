// Package mailcrypto verifies and decrypts signed and encrypted mail with
// the user's own tools: OpenPGP through GnuPG's gpg program, S/MIME
// through openssl. It never stores what it decrypts: results are kept in
// memory only, by the [Engine] that made them, so a pager can render a
// message again (after a resize) without asking gpg twice.
//
// Every string that comes from a key, a certificate or a signature is
// sanitized before it leaves the package.
package mailcrypto

import (
	"context"
	"crypto/sha256"
	"os/exec"
	"sync"
	"time"
)

// Options configure an [Engine]. A nil *Options is the zero value: gpg and
// openssl found in PATH, the user's GnuPG home, the system roots.
type Options struct {
	GPG       string // the gpg program; "" = "gpg" in PATH
	GnupgHome string // --homedir for gpg (tests use a temp dir); "" = GNUPGHOME or ~/.gnupg
	OpenSSL   string // the openssl program; "" = "openssl" in PATH
	CAFile    string // S/MIME: PEM roots trusted besides the system ones
	SMIMEKey  string // S/MIME: PEM private key for decrypting; "" = no S/MIME decryption
	SMIMECert string // S/MIME: PEM certificate that goes with SMIMEKey
	// SMIMECertDir is a folder of correspondents' PEM certificates, found
	// by the address they name when encrypting (gpgsm's are used too).
	SMIMECertDir string
	Timeout      time.Duration // per program run; 0 = 60 s (gpg may wait for a passphrase)
	// NoPinentry keeps gpg from asking for a passphrase (--pinentry-mode
	// cancel): a key that is not unlocked in the agent then says so. For
	// a full-screen program, where a terminal pinentry would garble the
	// screen.
	NoPinentry bool
	// Keyring is an OpenPGP key file (armored or binary: public keys,
	// and secret keys without a passphrase) used by the built-in
	// implementation when gpg is not installed; "" = no fallback.
	Keyring string
}

// Engine verifies and decrypts. It is safe for use by several goroutines.
type Engine struct {
	opts Options
	mu   sync.Mutex
	memo map[[32]byte]any
}

// New returns an engine.
func New(opts *Options) *Engine {
	e := &Engine{memo: map[[32]byte]any{}}
	if opts != nil {
		e.opts = *opts
	}
	if e.opts.Timeout <= 0 {
		e.opts.Timeout = 60 * time.Second
	}
	return e
}

// Available reports which programs are there: gpg, openssl.
func (e *Engine) Available() (gpg, openssl bool) {
	_, err1 := exec.LookPath(e.gpgPath())
	_, err2 := exec.LookPath(e.opensslPath())
	return err1 == nil, err2 == nil
}

func (e *Engine) gpgPath() string {
	if e.opts.GPG != "" {
		return e.opts.GPG
	}
	return "gpg"
}

func (e *Engine) opensslPath() string {
	if e.opts.OpenSSL != "" {
		return e.opts.OpenSSL
	}
	return "openssl"
}

func (e *Engine) ctx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), e.opts.Timeout)
}

// remember returns the memoized result for the key made of parts, or
// computes and keeps it. At most 64 results are kept.
func (e *Engine) remember(compute func() any, parts ...[]byte) any {
	h := sha256.New()
	for _, p := range parts {
		var n [8]byte
		for i := range n {
			n[i] = byte(len(p) >> (8 * i))
		}
		h.Write(n[:])
		h.Write(p)
	}
	var key [32]byte
	copy(key[:], h.Sum(nil))
	e.mu.Lock()
	v, ok := e.memo[key]
	e.mu.Unlock()
	if ok {
		return v
	}
	v = compute()
	e.mu.Lock()
	if len(e.memo) >= 64 {
		clear(e.memo)
	}
	e.memo[key] = v
	e.mu.Unlock()
	return v
}

// Verify checks a detached signature sig over signed, the canonical (CRLF)
// bytes of the first part of a multipart/signed. protocol is that
// multipart's protocol parameter.
func (e *Engine) Verify(protocol string, signed, sig []byte) *Signature {
	v := e.remember(func() any {
		switch protocol {
		case "application/pgp-signature":
			if e.useBuiltin() {
				return e.builtinVerify(signed, sig)
			}
			return e.gpgVerify(signed, sig)
		case "application/pkcs7-signature", "application/x-pkcs7-signature":
			return e.smimeVerify(signed, sig)
		}
		return &Signature{Protocol: clean(protocol), State: Error, Detail: "unknown signature protocol"}
	}, []byte("verify"), []byte(protocol), signed, sig)
	s := *v.(*Signature)
	return &s
}

type decrypted struct {
	plain []byte
	enc   *Encryption
	sig   *Signature
}

// SignedData is the protocol [Engine.Decrypt] takes for an opaque S/MIME
// signed-data (application/pkcs7-mime; smime-type=signed-data): it is
// verified and its content returned, with enc nil.
const SignedData = "application/pkcs7-mime; smime-type=signed-data"

// Decrypt decrypts data: the second part of a PGP/MIME multipart/encrypted
// (protocol "application/pgp-encrypted") or an S/MIME enveloped-data
// (protocol "application/pkcs7-mime"); or it unwraps a [SignedData].
// plain is nil when it could not be decrypted (or the signature of a
// SignedData is bad). sig is set when the data was also signed inside the
// encryption (OpenPGP's combined form), and for SignedData.
func (e *Engine) Decrypt(protocol string, data []byte) (plain []byte, enc *Encryption, sig *Signature) {
	v := e.remember(func() any {
		switch protocol {
		case "application/pgp-encrypted":
			if e.useBuiltin() {
				return e.builtinDecrypt(data, false)
			}
			return e.gpgDecrypt(data, false)
		case "application/pkcs7-mime", "application/x-pkcs7-mime":
			return e.smimeDecrypt(data)
		case SignedData:
			return e.smimeOpaque(data)
		}
		return &decrypted{enc: &Encryption{Protocol: clean(protocol), Detail: "unknown encryption protocol"}}
	}, []byte("decrypt"), []byte(protocol), data).(*decrypted)
	return v.plain, copyEnc(v.enc), copySig(v.sig)
}

// Inline verifies a clear-signed block (-----BEGIN PGP SIGNED MESSAGE-----
// … -----END PGP SIGNATURE-----) or decrypts an armored message
// (-----BEGIN PGP MESSAGE----- … -----END PGP MESSAGE-----). text is the
// signed or decrypted text, nil when there is none to show.
func (e *Engine) Inline(block []byte) (text []byte, sig *Signature, enc *Encryption) {
	v := e.remember(func() any {
		if e.useBuiltin() {
			return e.builtinDecrypt(block, true)
		}
		return e.gpgDecrypt(block, true)
	}, []byte("inline"), block).(*decrypted)
	return v.plain, copySig(v.sig), copyEnc(v.enc)
}

func copySig(s *Signature) *Signature {
	if s == nil {
		return nil
	}
	c := *s
	c.Emails = append([]string(nil), s.Emails...)
	return &c
}

func copyEnc(e *Encryption) *Encryption {
	if e == nil {
		return nil
	}
	c := *e
	c.Recipients = append([]string(nil), e.Recipients...)
	return &c
}
