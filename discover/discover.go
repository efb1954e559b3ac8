// Package discover finds a mail provider's IMAP, POP3 and SMTP settings
// from an address alone, as Thunderbird and K-9 do, for `posta setup`.
//
// # Order
//
// Discover tries, in order, stopping at the first source that names an
// incoming server: the provider table posta ships (Providers); Mozilla
// autoconfig (https://autoconfig.<domain>/mail/config-v1.1.xml, then
// https://<domain>/.well-known/autoconfig/mail/config-v1.1.xml, then the
// ISP database); RFC 6186 SRV records; the provider of the domain's MX
// host (a Google or Microsoft MX means their settings); and finally
// probing the usual host names on the standard ports. Every HTTPS fetch
// and every probed TLS server is verified; implicit TLS (RFC 8314) is
// preferred over STARTTLS, and plain-text servers are never proposed.
//
// The resolver, the HTTP client and the dialer are injectable (Options),
// so tests answer with local DNS and HTTPS servers.
package discover

import (
	"context"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
	"unicode"
)

// Security values, as posta's configuration spells them.
const (
	TLS      = "tls"
	StartTLS = "starttls"
)

// Server is one server found.
type Server struct {
	Host     string
	Port     int
	Security string // TLS or StartTLS
}

func (s *Server) String() string {
	if s == nil {
		return "-"
	}
	return fmt.Sprintf("%s:%d (%s)", s.Host, s.Port, s.Security)
}

// Result is what discovery found for one address.
type Result struct {
	Address string
	// IMAP and POP3 are the incoming servers; either may be nil. SMTP
	// is the submission server, nil if none was found.
	IMAP, POP3, SMTP *Server
	// Username is the login name (often the address itself).
	Username string
	// OAuth2Provider is "gmail" or "microsoft" for providers that want
	// an OAuth2 sign-in (posta oauth), else "".
	OAuth2Provider string
	// Provider names the provider when it is known ("Gmail").
	Provider string
	// Source says where the settings came from, for the user.
	Source string
	// Notes are remarks for the user (an app password is needed, …).
	Notes []string
}

// Options are discovery's injectable parts. A nil *Options is the zero
// value: the system resolver, a default HTTPS client, the system roots.
type Options struct {
	// Resolver answers SRV, MX and host lookups; nil means the system's.
	Resolver *net.Resolver
	// HTTPClient fetches autoconfig documents; nil means a client with
	// the system roots whose connections use Resolver.
	HTTPClient *http.Client
	// Dial opens probing connections; nil means a net.Dialer over
	// Resolver.
	Dial func(ctx context.Context, network, addr string) (net.Conn, error)
	// RootCAs verifies probed TLS servers; nil means the system roots.
	RootCAs *x509.CertPool
	// Timeout bounds the whole discovery; zero means 20 seconds.
	Timeout time.Duration
	// NoISPDB skips Thunderbird's ISP database (a third party).
	NoISPDB bool
	// NoProbe skips probing host names.
	NoProbe bool
	// Log, if not nil, receives one line per step tried.
	Log func(format string, args ...any)
}

// ErrNotFound means no source knew the domain.
var ErrNotFound = errors.New("no settings found")

// Discover finds settings for address (see the package comment).
func Discover(ctx context.Context, address string, opts *Options) (*Result, error) {
	var o Options
	if opts != nil {
		o = *opts
	}
	at := strings.LastIndexByte(address, '@')
	if at <= 0 || at == len(address)-1 {
		return nil, fmt.Errorf("discover: %q is not a mail address", address)
	}
	local, domain := address[:at], strings.ToLower(strings.TrimSuffix(address[at+1:], "."))
	if o.Timeout <= 0 {
		o.Timeout = 20 * time.Second
	}
	ctx, cancel := context.WithTimeout(ctx, o.Timeout)
	defer cancel()
	if o.Resolver == nil {
		o.Resolver = net.DefaultResolver
	}
	if o.Dial == nil {
		d := &net.Dialer{Resolver: o.Resolver, Timeout: 5 * time.Second}
		o.Dial = d.DialContext
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{
			Timeout:       8 * time.Second,
			Transport:     &http.Transport{DialContext: o.Dial, ForceAttemptHTTP2: true},
			CheckRedirect: HTTPSOnly,
		}
	}
	logf := func(format string, args ...any) {
		if o.Log != nil {
			o.Log(format, args...)
		}
	}
	placeholders := func(s string) string { return expand(s, local, domain, address) }
	finish := func(r *Result) *Result {
		r.Address = address
		r.Username = placeholders(r.Username)
		if r.Username == "" || strings.ContainsFunc(r.Username, unicode.IsControl) {
			// A login name a document spelled with control characters
			// is no login name: the address is the usual one.
			r.Username = address
		}
		return r
	}

	if p, ok := lookupProvider(domain); ok {
		logf("provider table: %s", p.Name)
		return finish(p.result("posta's provider table (" + p.Name + ")")), nil
	}
	if r, err := autoconfig(ctx, &o, domain, address, placeholders); err == nil {
		return finish(r), nil
	} else {
		logf("autoconfig: %v", err)
	}
	if r, err := srv(ctx, &o, domain); err == nil {
		return finish(r), nil
	} else {
		logf("SRV: %v", err)
	}
	if r, err := mxProvider(ctx, &o, domain); err == nil {
		return finish(r), nil
	} else {
		logf("MX: %v", err)
	}
	if !o.NoProbe {
		if r, err := probe(ctx, &o, domain); err == nil {
			return finish(r), nil
		} else {
			logf("probe: %v", err)
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("discover %s: %w (%v)", domain, ErrNotFound, err)
	}
	return nil, fmt.Errorf("discover %s: %w", domain, ErrNotFound)
}

// expand replaces autoconfig's placeholders.
func expand(s, local, domain, address string) string {
	return strings.NewReplacer(
		"%EMAILADDRESS%", address,
		"%EMAILLOCALPART%", local,
		"%EMAILDOMAIN%", domain,
	).Replace(s)
}

// HTTPSOnly is an http.Client CheckRedirect that follows at most five
// redirects, all to HTTPS: an autoconfig request never goes out in clear.
func HTTPSOnly(req *http.Request, via []*http.Request) error {
	if req.URL.Scheme != "https" {
		return fmt.Errorf("redirected to %s, not HTTPS", req.URL.Redacted())
	}
	if len(via) >= 5 {
		return errors.New("too many redirects")
	}
	return nil
}
