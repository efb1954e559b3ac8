package accounts

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"strings"
	"syscall"

	"github.com/posta-mail/posta/protocols"
)

// ServerError is a failure talking to one server of an account, with the
// likely fix when posta can tell it.
type ServerError struct {
	Account string // the account's name
	Server  string // "imap 127.0.0.1:993", "smtp mail.example.com:587"
	Hint    string // the likely fix, "" when unknown
	Err     error
}

func (e *ServerError) Error() string {
	msg := fmt.Sprintf("%s: %s: %v", e.Account, e.Server, e.Err)
	if e.Hint != "" {
		msg += " (" + e.Hint + ")"
	}
	return msg
}

func (e *ServerError) Unwrap() error { return e.Err }

// explain wraps err from talking to a server with the account, the
// server and a hint at the likely fix. Cancellation passes unchanged.
func explain(account, kind string, s ServerConfig, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	var se *ServerError
	if errors.As(err, &se) {
		return err
	}
	return &ServerError{
		Account: account,
		Server:  fmt.Sprintf("%s %s", kind, net.JoinHostPort(s.Host, fmt.Sprint(s.Port))),
		Hint:    hint(kind, s, err),
		Err:     err,
	}
}

// hint guesses the fix for the usual mistakes.
func hint(kind string, s ServerConfig, err error) string {
	var (
		unknownAuthority x509.UnknownAuthorityError
		hostname         x509.HostnameError
		certInvalid      x509.CertificateInvalidError
		recordHeader     tls.RecordHeaderError
		dnsErr           *net.DNSError
	)
	switch {
	case errors.Is(err, protocols.ErrAuthFailed):
		if s.OAuth2Provider != "" {
			return "the server refused the OAuth2 token, even a refreshed one: sign in again with `posta oauth ACCOUNT` and check the scopes"
		}
		if len(s.OAuth2TokenCommand) > 0 {
			return "the server refused the OAuth2 token, even a fresh one: check oauth2_token_command and the account's scopes"
		}
		return "wrong username or password: check username, password_command, `posta login` or the POSTA_PASSWORD_ variable"
	case errors.Is(err, protocols.ErrInsecure):
		return `the connection is not encrypted: use security = "tls" or "starttls", or allow_plaintext_auth = true if you must`
	case errors.As(err, &unknownAuthority):
		return "the certificate is not trusted: set ca_file to the CA that signed it, or pin it with tls_fingerprint"
	case errors.As(err, &hostname):
		return "the certificate is for another host name: check host"
	case errors.As(err, &certInvalid):
		return "the certificate is invalid (expired or not yet valid?)"
	case errors.As(err, &recordHeader) || strings.Contains(err.Error(), "first record does not look like a TLS handshake"):
		return `the server does not speak TLS on this port: try security = "starttls" (ports 143, 110, 587) or the implicit-TLS port (993, 995, 465)`
	case errors.Is(err, protocols.ErrUnsupported) && s.Security == "starttls":
		return `the server offers no STARTTLS here: use security = "tls" with its implicit-TLS port`
	case errors.Is(err, syscall.ECONNREFUSED):
		return "nothing listens on that port: check host and port, or whether the server is up"
	case errors.As(err, &dnsErr):
		return "the host name does not resolve: check host"
	case strings.Contains(err.Error(), "tls: ") && kind != "" && s.Security == "starttls":
		return `TLS failed after STARTTLS: try security = "tls" with the implicit-TLS port`
	}
	var netErr net.Error
	if errors.As(err, &netErr) && netErr.Timeout() {
		return "the server did not answer in time: check host, port and your network"
	}
	return ""
}

// hintedError is an error followed by the likely fix, for callers that
// name the account and the server themselves (posta config check).
type hintedError struct {
	err  error
	hint string
}

func (e *hintedError) Error() string { return e.err.Error() + " (" + e.hint + ")" }
func (e *hintedError) Unwrap() error { return e.err }

// withHint adds to err the hint explain would give, without the account
// and the server. Cancellation and errors with no hint pass unchanged.
func withHint(kind string, s ServerConfig, err error) error {
	if err == nil || errors.Is(err, context.Canceled) {
		return err
	}
	h := hint(kind, s, err)
	if h == "" {
		return err
	}
	return &hintedError{err: err, hint: h}
}
