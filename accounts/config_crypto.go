package accounts

import "fmt"

// CryptoConfig is an account's signed and encrypted mail settings,
// written in its [[account]] table (pgp_sign = true, ...).
type CryptoConfig struct {
	// PGPSign signs outgoing mail with OpenPGP by default (the composer
	// can turn it off per message).
	PGPSign bool `toml:"pgp_sign"`
	// PGPEncrypt: "never" (default), "when-possible" (every recipient
	// has a usable key) or "always" (refuse to send in clear).
	PGPEncrypt string `toml:"pgp_encrypt"`
	// PGPKey names the signing key (fingerprint, key id or address);
	// "" means the key of the From address.
	PGPKey string `toml:"pgp_key"`
	// PGPKeyring is an OpenPGP key file for the built-in implementation,
	// used when gpg is not installed.
	PGPKeyring string `toml:"pgp_keyring"`
	// GnupgHome is gpg's and gpgsm's home for this account ("" =
	// GNUPGHOME or ~/.gnupg).
	GnupgHome string `toml:"gnupg_home"`

	// SMIMESign and SMIMEEncrypt are the S/MIME counterparts.
	SMIMESign    bool   `toml:"smime_sign"`
	SMIMEEncrypt string `toml:"smime_encrypt"`
	// SMIMECert and SMIMEKey are PEM files (certificate, private key), or
	// SMIMECert a PKCS#12 file (.p12/.pfx) holding both; "" with gpgsm
	// installed means gpgsm's certificate for the From address.
	SMIMECert string `toml:"smime_cert"`
	SMIMEKey  string `toml:"smime_key"`
	// SMIMECAFile is a PEM file of roots trusted besides the system's.
	SMIMECAFile string `toml:"smime_ca_file"`
	// SMIMECerts is a folder of correspondents' PEM certificates, found
	// by the address they name when encrypting (gpgsm's are used too).
	SMIMECerts string `toml:"smime_certs"`

	// Autocrypt adds an Autocrypt: header with our key to outgoing mail
	// and suggests encryption to peers that prefer it (incoming headers
	// are always read into the peer store).
	Autocrypt bool `toml:"autocrypt"`
	// ProtectedHeaders moves the Subject into the encrypted part and
	// sends "..." outside.
	ProtectedHeaders bool `toml:"protected_headers"`
	// StoreDecrypted keeps decrypted text in the cache and the search
	// index (off: decrypted text lives only in memory while shown).
	StoreDecrypted bool `toml:"store_decrypted"`
}

func (c *CryptoConfig) validate(at string) []issue {
	var issues []issue
	for key, v := range map[string]string{"pgp_encrypt": c.PGPEncrypt, "smime_encrypt": c.SMIMEEncrypt} {
		switch v {
		case "", "never", "when-possible", "always":
		default:
			issues = append(issues, issue{at + "." + key, fmt.Sprintf("%q is not never, when-possible or always", v)})
		}
	}
	return issues
}
