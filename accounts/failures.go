package accounts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"io"
	"net"
	"syscall"

	"github.com/posta-mail/posta/protocols"
)

// connectionLost reports whether err means the server as a whole cannot
// be worked with now (the connection dropped or timed out, the login or
// the certificate was refused, the sync was cancelled), so the rest of a
// sync would fail the same way. Any other error belongs to the folder or
// the message it came from, and the sync goes on without it.
func connectionLost(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	var (
		netErr  net.Error
		opErr   *net.OpError
		certErr *tls.CertificateVerificationError
		unknown x509.UnknownAuthorityError
		host    x509.HostnameError
	)
	switch {
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded),
		errors.Is(err, protocols.ErrAuthFailed), errors.Is(err, protocols.ErrInsecure),
		errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed),
		errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNREFUSED):
		return true
	case errors.As(err, &netErr), errors.As(err, &opErr),
		errors.As(err, &certErr), errors.As(err, &unknown), errors.As(err, &host):
		return true
	}
	return false
}
