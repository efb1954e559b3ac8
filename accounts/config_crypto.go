package accounts

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

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

// cryptoFileIssues checks that the key files and folders the accounts
// name are there (for posta config check: a missing file is reported
// here rather than when a message is signed or opened).
func (c *Config) cryptoFileIssues() []issue {
	var issues []issue
	check := func(path, value string, dir bool) {
		if value == "" {
			return
		}
		fi, err := os.Stat(expandHome(value))
		switch {
		case err != nil:
			issues = append(issues, issue{path, fmt.Sprintf("%s: %v", value, errors.Unwrap(err))})
		case dir && !fi.IsDir():
			issues = append(issues, issue{path, value + " is not a folder"})
		case !dir && fi.IsDir():
			issues = append(issues, issue{path, value + " is a folder, not a file"})
		}
	}
	for i := range c.Accounts {
		a := &c.Accounts[i]
		at := fmt.Sprintf("account[%d]", i)
		check(at+".smime_cert", a.SMIMECert, false)
		check(at+".smime_key", a.SMIMEKey, false)
		check(at+".smime_ca_file", a.SMIMECAFile, false)
		check(at+".smime_certs", a.SMIMECerts, true)
		check(at+".gnupg_home", a.GnupgHome, true)
		if a.PGPKeyring != "" {
			check(at+".pgp_keyring", filepath.Dir(expandHome(a.PGPKeyring)), true)
		}
		if a.SMIMEKey != "" && a.SMIMECert == "" {
			issues = append(issues, issue{at + ".smime_key", "set without smime_cert (the certificate that goes with it)"})
		}
		for j := range a.Identities {
			id := &a.Identities[j]
			it := fmt.Sprintf("%s.identity[%d]", at, j)
			check(it+".smime_cert", id.SMIMECert, false)
			check(it+".smime_key", id.SMIMEKey, false)
		}
	}
	return issues
}
