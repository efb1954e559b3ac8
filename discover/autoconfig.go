package discover

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
)

// ISPDB is the base of Thunderbird's ISP database, the last autoconfig
// source tried.
const ISPDB = "https://autoconfig.thunderbird.net/v1.1/"

// clientConfig is the part of the autoconfig format (config-v1.1.xml)
// posta reads.
type clientConfig struct {
	XMLName  xml.Name `xml:"clientConfig"`
	Provider struct {
		ID          string         `xml:"id,attr"`
		DisplayName string         `xml:"displayName"`
		Incoming    []configServer `xml:"incomingServer"`
		Outgoing    []configServer `xml:"outgoingServer"`
	} `xml:"emailProvider"`
}

type configServer struct {
	Type           string   `xml:"type,attr"`
	Hostname       string   `xml:"hostname"`
	Port           int      `xml:"port"`
	SocketType     string   `xml:"socketType"`
	Username       string   `xml:"username"`
	Authentication []string `xml:"authentication"`
}

// autoconfig tries the domain's own autoconfig documents, then the ISP
// database; placeholders replaces %EMAILDOMAIN% and the others in a
// document's hostnames.
func autoconfig(ctx context.Context, o *Options, domain, address string, placeholders func(string) string) (*Result, error) {
	q := "?emailaddress=" + url.QueryEscape(address)
	urls := []string{
		"https://autoconfig." + domain + "/mail/config-v1.1.xml" + q,
		"https://" + domain + "/.well-known/autoconfig/mail/config-v1.1.xml",
	}
	if !o.NoISPDB {
		urls = append(urls, ISPDB+url.PathEscape(domain))
	}
	var errs []error
	for _, u := range urls {
		r, err := fetchConfig(ctx, o.HTTPClient, u, placeholders)
		if err == nil {
			return r, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// maxConfigBytes bounds an autoconfig document.
const maxConfigBytes = 1 << 20

func fetchConfig(ctx context.Context, client *http.Client, u string, placeholders func(string) string) (*Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	resp, err := client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("%s: %s", u, resp.Status)
	}
	if resp.Request != nil && resp.Request.URL.Scheme != "https" {
		return nil, fmt.Errorf("%s: redirected off HTTPS", u)
	}
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxConfigBytes))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	r, err := parseConfig(body, placeholders)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	r.Source = "autoconfig " + strings.SplitN(u, "?", 2)[0]
	return r, nil
}

// parseConfig reads an autoconfig document: the first usable server of
// each kind, implicit TLS before STARTTLS; plain-text servers and
// OAuth2-only ones without a provider posta knows are skipped, and so
// are those whose hostname, its placeholders (%EMAILDOMAIN%, …) replaced
// by placeholders, is not a host name.
func parseConfig(data []byte, placeholders func(string) string) (*Result, error) {
	var c clientConfig
	if err := xml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("not an autoconfig document: %w", err)
	}
	r := &Result{Provider: c.Provider.DisplayName}
	var user string
	pick := func(servers []configServer, kind string) *Server {
		var best *Server
		for _, s := range servers {
			host := hostName(placeholders(strings.TrimSpace(s.Hostname)))
			if !strings.EqualFold(s.Type, kind) || host == "" || s.Port <= 0 || s.Port > 65535 {
				continue
			}
			var sec string
			switch strings.ToUpper(s.SocketType) {
			case "SSL", "TLS":
				sec = TLS
			case "STARTTLS":
				sec = StartTLS
			default:
				continue
			}
			if best == nil || best.Security == StartTLS && sec == TLS {
				best = &Server{Host: host, Port: s.Port, Security: sec}
				if user == "" || kind != "smtp" {
					user = s.Username
				}
				if slicesHasFold(s.Authentication, "OAuth2") && !slicesHasFold(s.Authentication, "password-cleartext") {
					r.Notes = append(r.Notes, fmt.Sprintf("%s server %s accepts only OAuth2.", kind, host))
				}
			}
		}
		return best
	}
	r.IMAP = pick(c.Provider.Incoming, "imap")
	r.POP3 = pick(c.Provider.Incoming, "pop3")
	r.SMTP = pick(c.Provider.Outgoing, "smtp")
	if r.IMAP == nil && r.POP3 == nil {
		return nil, errors.New("no IMAP or POP3 server with TLS")
	}
	r.Username = user
	return r, nil
}

func slicesHasFold(list []string, s string) bool {
	for _, e := range list {
		if strings.EqualFold(strings.TrimSpace(e), s) {
			return true
		}
	}
	return false
}

// hostName returns s without a final dot if it is a host name (a DNS name
// of letters, digits, hyphens and underscores, at most 253 characters in
// labels of at most 63) or an IP address, and "" otherwise. A document
// may put anything in a hostname, and what it names goes into the
// configuration and onto the screen.
func hostName(s string) string {
	s = strings.TrimSuffix(s, ".")
	if net.ParseIP(s) != nil {
		return s
	}
	if s == "" || len(s) > 253 {
		return ""
	}
	for _, label := range strings.Split(s, ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return ""
		}
		for i := 0; i < len(label); i++ {
			c := label[i]
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_') {
				return ""
			}
		}
	}
	return s
}
