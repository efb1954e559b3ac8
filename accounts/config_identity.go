package accounts

import "fmt"

// IdentityConfig is one [[account.identity]] table: another From address
// the account sends as (an alias, a role address). The account's own
// address, display name and signature are its first identity.
type IdentityConfig struct {
	Address     string `toml:"address"`
	DisplayName string `toml:"display_name"`
	// Signature is appended under a "-- " line; "" means none (not the
	// account's).
	Signature string `toml:"signature"`
	// SMTP, when its host is set, sends this identity's mail through
	// another server instead of the account's.
	SMTP ServerConfig `toml:"smtp"`
	// SentFolder files this identity's sent mail in another IMAP folder.
	SentFolder string `toml:"sent_folder"`
	// PGPKey and SMIMECert choose this identity's signing key (see
	// CryptoConfig); "" means the one found for its address.
	PGPKey    string `toml:"pgp_key"`
	SMIMECert string `toml:"smime_cert"`
	SMIMEKey  string `toml:"smime_key"`
}

// validateIdentities checks the account's [[account.identity]] tables
// and signature_position.
func (a *AccountConfig) validateIdentities(at string) []issue {
	var issues []issue
	add := func(path, format string, args ...any) {
		issues = append(issues, issue{path, fmt.Sprintf(format, args...)})
	}
	switch a.SignaturePosition {
	case "", "below", "above":
	default:
		add(at+".signature_position", "%q is not below or above", a.SignaturePosition)
	}
	seen := map[string]bool{}
	for i := range a.Identities {
		id := &a.Identities[i]
		it := fmt.Sprintf("%s.identity[%d]", at, i)
		if id.Address == "" {
			add(it+".address", "missing (the identity's mail address)")
		} else if seen[id.Address] {
			add(it+".address", "duplicate identity %q", id.Address)
		}
		seen[id.Address] = true
		if id.SMTP.Host != "" {
			issues = append(issues, id.SMTP.validate(it+".smtp")...)
		}
	}
	return issues
}
