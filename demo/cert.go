package demo

import (
	"crypto/tls"

	"github.com/posta-mail/posta/internal/selfsigned"
)

// newCertificate makes the demo servers' self-signed certificate for
// 127.0.0.1 and localhost; the demo accounts trust exactly it.
func newCertificate() (tls.Certificate, []byte, error) {
	c, err := selfsigned.New("posta demo")
	return c.TLS, c.PEM, err
}
