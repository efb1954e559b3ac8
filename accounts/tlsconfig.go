package accounts

import (
	"crypto/sha256"
	"crypto/subtle"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"strings"
)

// tlsConfig builds the TLS settings of one server: the system roots, or
// only the certificates of ca_file; a pinned certificate fingerprint; or,
// when the user wrote it, no verification at all. nil means the defaults.
func tlsConfig(s ServerConfig) (*tls.Config, error) {
	if s.CAFile == "" && s.TLSFingerprint == "" && !s.TLSInsecureSkipVerify {
		return nil, nil
	}
	cfg := &tls.Config{}
	if s.CAFile != "" {
		pem, err := os.ReadFile(s.CAFile)
		if err != nil {
			return nil, fmt.Errorf("ca_file: %w", err)
		}
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("ca_file %s holds no PEM certificate", s.CAFile)
		}
		cfg.RootCAs = pool
	}
	switch {
	case s.TLSFingerprint != "":
		pin, err := parseFingerprint(s.TLSFingerprint)
		if err != nil {
			return nil, err
		}
		// The pin replaces chain verification: the server must present
		// exactly this certificate, whoever signed it.
		cfg.InsecureSkipVerify = true
		cfg.VerifyConnection = func(cs tls.ConnectionState) error {
			if len(cs.PeerCertificates) == 0 {
				return errors.New("tls: server sent no certificate")
			}
			got := sha256.Sum256(cs.PeerCertificates[0].Raw)
			if subtle.ConstantTimeCompare(got[:], pin) != 1 {
				return fmt.Errorf("tls: certificate fingerprint %s does not match the pinned tls_fingerprint", hex.EncodeToString(got[:]))
			}
			return nil
		}
	case s.TLSInsecureSkipVerify:
		cfg.InsecureSkipVerify = true
	}
	return cfg, nil
}

// parseFingerprint reads a SHA-256 fingerprint in hex, with or without
// colons.
func parseFingerprint(s string) ([]byte, error) {
	clean := strings.ToLower(strings.NewReplacer(":", "", " ", "").Replace(s))
	clean = strings.TrimPrefix(clean, "sha256")
	b, err := hex.DecodeString(clean)
	if err != nil || len(b) != sha256.Size {
		return nil, fmt.Errorf("tls_fingerprint %q is not a SHA-256 fingerprint (64 hex digits)", s)
	}
	return b, nil
}

// InsecureTLS reports whether the account turned certificate
// verification off for one of its servers, so the UI can say so.
func (a *Account) InsecureTLS() bool {
	return a.cfg.Fetch.TLSInsecureSkipVerify || a.cfg.SMTP.TLSInsecureSkipVerify
}

// refusingTLS is a TLS configuration whose every handshake fails with
// err, before any credential is sent.
func refusingTLS(err error) *tls.Config {
	return &tls.Config{
		// Verification is not skipped: VerifyConnection refuses every
		// server, so the chain check is moot.
		InsecureSkipVerify: true,
		VerifyConnection:   func(tls.ConnectionState) error { return err },
	}
}
