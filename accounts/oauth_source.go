package accounts

import (
	"context"
	"strings"

	"github.com/posta-mail/posta/oauth"
)

// OAuth2Settings returns the server's oauth2_* keys as oauth settings.
func (s ServerConfig) OAuth2Settings() oauth.Settings {
	return oauth.Settings{
		Provider:     s.OAuth2Provider,
		ClientID:     s.OAuth2ClientID,
		ClientSecret: s.OAuth2ClientSecret,
		AuthURL:      s.OAuth2AuthURL,
		TokenURL:     s.OAuth2TokenURL,
		Scopes:       s.OAuth2Scopes,
	}
}

// OAuth2Server returns the account's server that signs in with
// oauth2_provider, the fetch server first; false if neither does. Both
// servers of an account share one refresh token in the keyring.
func (a *AccountConfig) OAuth2Server() (*ServerConfig, bool) {
	switch {
	case a.Fetch.OAuth2Provider != "":
		return &a.Fetch.ServerConfig, true
	case a.SMTP.OAuth2Provider != "":
		return &a.SMTP, true
	}
	return nil, false
}

// applyOAuth2Defaults sets auth to the provider's SASL mechanism when an
// oauth2_provider is set and auth is not.
func (s *ServerConfig) applyOAuth2Defaults() {
	if s.OAuth2Provider == "" || s.Auth != "" {
		return
	}
	if p, err := s.OAuth2Settings().Resolve(); err == nil {
		s.Auth = p.Mechanism
	}
}

// configProblem is one problem with a key of a server table.
type configProblem struct{ key, msg string }

// oauth2Problems lists what is wrong with a server's oauth2_* keys.
func (s *ServerConfig) oauth2Problems() []configProblem {
	if s.OAuth2Provider == "" {
		return nil
	}
	problems := s.OAuth2Settings().Problems()
	if msg, ok := problems["oauth2_provider"]; ok {
		return []configProblem{{"oauth2_provider", msg}}
	}
	var out []configProblem
	for key, msg := range problems {
		out = append(out, configProblem{key, msg})
	}
	switch strings.ToLower(s.Auth) {
	case "xoauth2", "oauthbearer":
	default:
		out = append(out, configProblem{"auth", "oauth2_provider needs auth \"xoauth2\" or \"oauthbearer\" (or none: the provider's)"})
	}
	if len(s.OAuth2TokenCommand) > 0 {
		out = append(out, configProblem{"oauth2_token_command", "set oauth2_provider or oauth2_token_command, not both"})
	}
	return out
}

// oauth2Source returns the access token function of a server with an
// oauth2_provider and the function telling it a token was refused. The
// tokens come from the refresh token `posta oauth ACCOUNT` stored in the
// keyring; a configuration error surfaces at the first login.
func oauth2Source(account string, s ServerConfig) (get func(context.Context) (string, error), refused func()) {
	cfg, _, err := s.OAuth2Settings().Config()
	if err != nil {
		return func(context.Context) (string, error) { return "", err }, nil
	}
	src := oauth.NewSource(cfg, oauth.Store{Account: account})
	return src.AccessToken, src.Refused
}
