package unsubscribe

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/posta-mail/posta/sanitize"
)

// Client makes one-click unsubscription requests. The zero value is ready
// to use: the system's roots, 20 seconds in all.
type Client struct {
	// RootCAs, when set, are the certificates trusted instead of the
	// system's (tests, the demo).
	RootCAs *x509.CertPool
	// Timeout bounds the whole request, redirects included; 0 means 20 s.
	Timeout time.Duration
}

// Limits of a request.
const (
	maxRedirects = 3
	maxBody      = 64 << 10 // response bytes read
)

// Result is what the server answered.
type Result struct {
	Host   string // the host that answered, as shown
	Status int    // its HTTP status
}

// RedirectError means the server sent the request elsewhere than its own
// host over HTTPS; posta does not follow such a redirect.
type RedirectError struct {
	From, To string // the hosts (To is the whole target when it is not HTTPS), as shown
}

func (e *RedirectError) Error() string {
	return fmt.Sprintf("unsubscribe: %s redirects to %s; not followed (open the link yourself if you trust it)", e.From, e.To)
}

// StatusError is an answer other than 2xx.
type StatusError struct {
	Host   string
	Status string // sanitized
}

func (e *StatusError) Error() string {
	return "unsubscribe: " + e.Host + " answered " + e.Status
}

// OneClick posts "List-Unsubscribe=One-Click" (RFC 8058 3.2) to u, which
// must be an https URL. Redirects within the same host over HTTPS are
// followed (at most three); any other stops with a *RedirectError. No
// cookies are sent and the answer's body is read (at most 64 KiB) and
// dropped.
func (c *Client) OneClick(ctx context.Context, u *url.URL) (Result, error) {
	if u == nil || !strings.EqualFold(u.Scheme, "https") || u.Host == "" {
		return Result{}, errors.New("unsubscribe: a one-click request goes only to an https URL")
	}
	if u.User != nil {
		return Result{}, errors.New("unsubscribe: the URL names a user; refused")
	}
	timeout := c.Timeout
	if timeout <= 0 {
		timeout = 20 * time.Second
	}
	host := u.Host
	hc := &http.Client{
		Timeout: timeout,
		Transport: &http.Transport{
			Proxy:                  http.ProxyFromEnvironment,
			DialContext:            (&net.Dialer{Timeout: 10 * time.Second}).DialContext,
			TLSClientConfig:        &tls.Config{RootCAs: c.RootCAs, MinVersion: tls.VersionTLS12},
			TLSHandshakeTimeout:    10 * time.Second,
			ResponseHeaderTimeout:  15 * time.Second,
			MaxResponseHeaderBytes: 64 << 10,
			DisableKeepAlives:      true,
		},
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if !strings.EqualFold(req.URL.Scheme, "https") {
				return &RedirectError{From: ShowHost(host), To: sanitize.Line(req.URL.Redacted())}
			}
			if !strings.EqualFold(req.URL.Host, host) {
				return &RedirectError{From: ShowHost(host), To: ShowHost(req.URL.Host)}
			}
			if len(via) >= maxRedirects {
				return fmt.Errorf("unsubscribe: more than %d redirects", maxRedirects)
			}
			return nil
		},
	}
	defer hc.CloseIdleConnections()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u.String(), strings.NewReader("List-Unsubscribe=One-Click"))
	if err != nil {
		return Result{}, fmt.Errorf("unsubscribe: %w", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("User-Agent", "posta")
	resp, err := hc.Do(req)
	if err != nil {
		var re *RedirectError
		if errors.As(err, &re) {
			return Result{}, re
		}
		return Result{}, fmt.Errorf("unsubscribe: %s: %s", ShowHost(host), sanitize.Line(errText(err)))
	}
	defer resp.Body.Close()
	io.Copy(io.Discard, io.LimitReader(resp.Body, maxBody))
	res := Result{Host: ShowHost(resp.Request.URL.Host), Status: resp.StatusCode}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return res, &StatusError{Host: res.Host, Status: sanitize.Line(resp.Status)}
	}
	return res, nil
}

// errText is an error without the URL net/http puts in front of it.
func errText(err error) string {
	var ue *url.Error
	if errors.As(err, &ue) {
		return ue.Err.Error()
	}
	return err.Error()
}
