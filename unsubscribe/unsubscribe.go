// Package unsubscribe reads a message's List-Unsubscribe (RFC 2369) and
// List-Unsubscribe-Post (RFC 8058) fields and carries out a one-click
// unsubscription: one HTTPS POST of "List-Unsubscribe=One-Click".
//
// Nothing here fetches anything by itself: [Read] only says what the
// message offers, and [Client.OneClick] is called once the user has
// agreed, with the host shown to them. The POST goes over HTTPS alone,
// with the certificate verified, bounded in time and size, without
// cookies; a redirect to another host (or off HTTPS) stops it and is
// reported as a [*RedirectError].
package unsubscribe

import (
	"errors"
	"net/url"
	"strings"

	"github.com/posta-mail/posta/sanitize"
)

// Method is how a list can be left.
type Method int

// The methods, in the order they are preferred.
const (
	None     Method = iota // the message has no usable List-Unsubscribe
	OneClick               // an HTTPS POST (RFC 8058)
	Mailto                 // a message to the list's address, composed for review
	Link                   // a web page the user opens
)

func (m Method) String() string {
	return [...]string{"none", "one-click", "mailto", "link"}[m]
}

// maxField bounds the List-Unsubscribe field read; maxURIs the URIs kept.
const (
	maxField = 8 << 10
	maxURIs  = 8
)

// Plan is what a message offers to unsubscribe and what posta would do.
type Plan struct {
	Method Method
	// URL is the HTTPS address of a one-click POST, or the web page of a
	// Link; nil otherwise.
	URL *url.URL
	// Mailto is the mailto: URI, as written, when there is one.
	Mailto string
	// Host is URL's host as shown to the user (a domain that mixes
	// scripts in punycode), for the confirmation.
	Host string
	// Links are every http(s) URI of the field, sanitized, for the user
	// to open or copy.
	Links []string
}

// ErrNone means the message has no List-Unsubscribe field posta can use.
var ErrNone = errors.New("unsubscribe: the message has no List-Unsubscribe link")

// Read decides from the two fields' (unfolded) values: a one-click POST
// when List-Unsubscribe-Post says "List-Unsubscribe=One-Click" and an
// https URI is listed; else the mailto: URI; else the https (or http)
// page. It returns ErrNone when nothing usable is there.
func Read(listUnsubscribe, listUnsubscribePost string) (Plan, error) {
	if len(listUnsubscribe) > maxField {
		listUnsubscribe = listUnsubscribe[:maxField]
	}
	var https, http []*url.URL
	var p Plan
	for _, uri := range uris(listUnsubscribe) {
		u, err := url.Parse(uri)
		if err != nil {
			continue
		}
		switch strings.ToLower(u.Scheme) {
		case "mailto":
			if p.Mailto == "" {
				p.Mailto = uri
			}
		case "https", "http":
			if u.Host == "" || u.User != nil {
				continue // a user part is only there to mislead ("https://bank.example@evil.example/")
			}
			p.Links = append(p.Links, sanitize.Line(u.String()))
			if strings.EqualFold(u.Scheme, "https") {
				https = append(https, u)
			} else {
				http = append(http, u)
			}
		}
	}
	oneClick := strings.EqualFold(strings.Join(strings.Fields(listUnsubscribePost), ""), "List-Unsubscribe=One-Click")
	switch {
	case oneClick && len(https) > 0:
		p.Method, p.URL = OneClick, https[0]
	case p.Mailto != "":
		p.Method = Mailto
	case len(https) > 0:
		p.Method, p.URL = Link, https[0]
	case len(http) > 0:
		p.Method, p.URL = Link, http[0]
	default:
		return Plan{}, ErrNone
	}
	if p.URL != nil {
		p.Host = ShowHost(p.URL.Host)
	}
	return p, nil
}

// uris returns the <…> URIs of an RFC 2369 field, at most maxURIs.
// Comments in parentheses and anything outside angle brackets are
// ignored; white space inside brackets is removed (RFC 2369 2).
func uris(field string) []string {
	var out []string
	for len(out) < maxURIs {
		open := strings.IndexByte(field, '<')
		if open < 0 {
			break
		}
		end := strings.IndexByte(field[open:], '>')
		if end < 0 {
			break
		}
		uri := strings.Join(strings.Fields(field[open+1:open+end]), "")
		if uri != "" && !strings.ContainsFunc(uri, func(r rune) bool { return r < 0x20 || r == 0x7f }) {
			out = append(out, uri)
		}
		field = field[open+end+1:]
	}
	return out
}

// ShowHost returns a host (with its port, if any) as it is shown for a
// confirmation: sanitized, a domain label that mixes scripts in punycode.
func ShowHost(host string) string {
	shown, _ := sanitize.Address(host)
	return sanitize.Line(shown)
}
