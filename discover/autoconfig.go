package discover

import (
	"context"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
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
// database.
func autoconfig(ctx context.Context, o *Options, domain, address string) (*Result, error) {
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
		r, err := fetchConfig(ctx, o.HTTPClient, u)
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

func fetchConfig(ctx context.Context, client *http.Client, u string) (*Result, error) {
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
	r, err := parseConfig(body)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", u, err)
	}
	r.Source = "autoconfig " + strings.SplitN(u, "?", 2)[0]
	return r, nil
}

// parseConfig reads an autoconfig document: the first usable server of
// each kind, implicit TLS before STARTTLS; plain-text servers and
// OAuth2-only ones without a provider posta knows are skipped.
func parseConfig(data []byte) (*Result, error) {
	var c clientConfig
	if err := xml.Unmarshal(data, &c); err != nil {
		return nil, fmt.Errorf("not an autoconfig document: %w", err)
	}
	r := &Result{Provider: c.Provider.DisplayName}
	var user string
	pick := func(servers []configServer, kind string) *Server {
		var best *Server
		for _, s := range servers {
			if !strings.EqualFold(s.Type, kind) || s.Hostname == "" || s.Port <= 0 || s.Port > 65535 {
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
				best = &Server{Host: strings.TrimSuffix(s.Hostname, "."), Port: s.Port, Security: sec}
				if user == "" || kind != "smtp" {
					user = s.Username
				}
				if slicesHasFold(s.Authentication, "OAuth2") && !slicesHasFold(s.Authentication, "password-cleartext") {
					r.Notes = append(r.Notes, fmt.Sprintf("%s server %s accepts only OAuth2.", kind, s.Hostname))
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
