// Package oauth signs posta in to mail providers with OAuth2: the
// authorization-code flow with PKCE on a loopback redirect (Login), the
// provider presets (Gmail, Microsoft 365, custom), the OS keyring entry
// that holds the refresh token (Store), and a Source that hands out access
// tokens and refreshes them with golang.org/x/oauth2.
//
// # Secrets
//
// Refresh and access tokens live only in the OS keyring and in memory;
// they never appear in errors, in the configuration or in output.
package oauth

import (
	"errors"
	"fmt"
	"net/url"
	"sort"
	"strings"

	"golang.org/x/oauth2"
)

// Provider is what posta knows about an OAuth2 provider: its endpoints,
// the scopes mail access needs, the SASL mechanism its servers take, and
// extra parameters for the authorization URL.
type Provider struct {
	Name      string
	AuthURL   string
	TokenURL  string
	Scopes    []string
	Mechanism string // "xoauth2" or "oauthbearer"
	// AuthParams are added to the authorization URL (Google needs
	// access_type=offline and prompt=consent to hand out a refresh token).
	AuthParams map[string]string
}

// Presets are the providers posta knows by name. "custom" takes its
// endpoints and scopes from the configuration.
var presets = map[string]Provider{
	"gmail": {
		Name:       "gmail",
		AuthURL:    "https://accounts.google.com/o/oauth2/auth",
		TokenURL:   "https://oauth2.googleapis.com/token",
		Scopes:     []string{"https://mail.google.com/"},
		Mechanism:  "xoauth2",
		AuthParams: map[string]string{"access_type": "offline", "prompt": "consent"},
	},
	"microsoft": {
		Name:     "microsoft",
		AuthURL:  "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
		TokenURL: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
		Scopes: []string{
			"https://outlook.office.com/IMAP.AccessAsUser.All",
			"https://outlook.office.com/POP.AccessAsUser.All",
			"https://outlook.office.com/SMTP.Send",
			"offline_access",
		},
		Mechanism: "xoauth2",
	},
}

// ProviderNames lists the values oauth2_provider accepts.
func ProviderNames() []string { return []string{"gmail", "microsoft", "custom"} }

// Settings is an account's OAuth2 configuration as written by the user.
// For a preset, empty AuthURL, TokenURL and Scopes take the preset's.
type Settings struct {
	Provider     string // "gmail", "microsoft" or "custom"
	ClientID     string
	ClientSecret string // optional: many desktop clients have none
	AuthURL      string
	TokenURL     string
	Scopes       []string
}

// ErrUnknownProvider means Settings.Provider names no preset and is not
// "custom".
var ErrUnknownProvider = errors.New("unknown oauth2_provider")

// Resolve returns the provider the settings describe, with the user's
// endpoints and scopes taking precedence over the preset's.
func (s Settings) Resolve() (Provider, error) {
	var p Provider
	switch name := strings.ToLower(s.Provider); name {
	case "custom":
		p = Provider{Name: name, Mechanism: "xoauth2"}
	default:
		pre, ok := presets[name]
		if !ok {
			return Provider{}, fmt.Errorf("%w %q (want %s)", ErrUnknownProvider, s.Provider, strings.Join(ProviderNames(), ", "))
		}
		p = pre
	}
	if s.AuthURL != "" {
		p.AuthURL = s.AuthURL
	}
	if s.TokenURL != "" {
		p.TokenURL = s.TokenURL
	}
	if len(s.Scopes) > 0 {
		p.Scopes = s.Scopes
	}
	return p, nil
}

// Problems lists what is wrong with the settings, keyed by the
// configuration key's suffix ("oauth2_client_id", ...); nil means none.
func (s Settings) Problems() map[string]string {
	problems := map[string]string{}
	p, err := s.Resolve()
	if err != nil {
		problems["oauth2_provider"] = fmt.Sprintf("%q is not %s", s.Provider, strings.Join(ProviderNames(), ", "))
		return problems
	}
	if s.ClientID == "" {
		problems["oauth2_client_id"] = "missing (the OAuth2 client id registered with the provider)"
	}
	for key, u := range map[string]string{"oauth2_auth_url": p.AuthURL, "oauth2_token_url": p.TokenURL} {
		if u == "" {
			problems[key] = "missing (oauth2_provider \"custom\" needs the provider's endpoints)"
			continue
		}
		parsed, err := url.Parse(u)
		if err != nil || (parsed.Scheme != "https" && parsed.Scheme != "http") || parsed.Host == "" {
			problems[key] = fmt.Sprintf("%q is not an http(s) URL", u)
		} else if parsed.Scheme == "http" && !isLoopback(parsed.Hostname()) {
			problems[key] = fmt.Sprintf("%q: tokens only travel over https (plain http only to this machine)", u)
		}
	}
	if len(p.Scopes) == 0 {
		problems["oauth2_scopes"] = "missing (oauth2_provider \"custom\" needs the scopes mail access takes)"
	}
	if len(problems) == 0 {
		return nil
	}
	return problems
}

// Config builds the golang.org/x/oauth2 configuration for the settings;
// the redirect URL is left for Login to fill in.
func (s Settings) Config() (*oauth2.Config, Provider, error) {
	p, err := s.Resolve()
	if err != nil {
		return nil, p, err
	}
	if problems := s.Problems(); problems != nil {
		lines := make([]string, 0, len(problems))
		for k, msg := range problems {
			lines = append(lines, k+": "+msg)
		}
		sort.Strings(lines)
		return nil, p, fmt.Errorf("oauth2: %s", strings.Join(lines, "; "))
	}
	return &oauth2.Config{
		ClientID:     s.ClientID,
		ClientSecret: s.ClientSecret,
		Endpoint: oauth2.Endpoint{
			AuthURL:   p.AuthURL,
			TokenURL:  p.TokenURL,
			AuthStyle: oauth2.AuthStyleInParams,
		},
		Scopes: p.Scopes,
	}, p, nil
}

func isLoopback(host string) bool {
	return host == "localhost" || host == "127.0.0.1" || host == "::1"
}
