package oauth

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"
)

// keyringService is the OS keyring service posta's secrets live under
// (the same as the accounts package's passwords).
const keyringService = "posta"

// ErrNoToken means the keyring holds no refresh token for the account:
// `posta oauth ACCOUNT` has not been run (or the entry was removed).
var ErrNoToken = errors.New("no OAuth2 refresh token in the keyring")

// Store is one account's OAuth2 entries in the OS keyring: the refresh
// token, and a cache of the latest access token with its expiry so a
// restarted posta need not refresh at once. The access token cache is
// best effort: some keyrings (Windows) limit an entry's size.
type Store struct {
	Account string
}

func (s Store) refreshUser() string { return s.Account + "/oauth2-refresh" }
func (s Store) accessUser() string  { return s.Account + "/oauth2-access" }

// cachedAccess is the access token cache's keyring value.
type cachedAccess struct {
	AccessToken string    `json:"access_token"`
	TokenType   string    `json:"token_type,omitempty"`
	Expiry      time.Time `json:"expiry"`
}

// Load returns the stored token: always its refresh token, and the cached
// access token if there is one. ErrNoToken if there is no refresh token.
func (s Store) Load() (*oauth2.Token, error) {
	refresh, err := keyring.Get(keyringService, s.refreshUser())
	if errors.Is(err, keyring.ErrNotFound) || (err == nil && refresh == "") {
		return nil, fmt.Errorf("%w for account %q: run `posta oauth %s`", ErrNoToken, s.Account, s.Account)
	}
	if err != nil {
		return nil, fmt.Errorf("keyring: %w", err)
	}
	tok := &oauth2.Token{RefreshToken: refresh}
	if raw, err := keyring.Get(keyringService, s.accessUser()); err == nil {
		var c cachedAccess
		if json.Unmarshal([]byte(raw), &c) == nil {
			tok.AccessToken, tok.TokenType, tok.Expiry = c.AccessToken, c.TokenType, c.Expiry
		}
	}
	return tok, nil
}

// Save stores the token's refresh token (if it has one: providers that do
// not rotate it send none on refresh) and caches its access token.
func (s Store) Save(tok *oauth2.Token) error {
	if tok.RefreshToken != "" {
		if err := keyring.Set(keyringService, s.refreshUser(), tok.RefreshToken); err != nil {
			return fmt.Errorf("keyring: storing the refresh token: %w", err)
		}
	}
	if tok.AccessToken == "" {
		return nil
	}
	raw, err := json.Marshal(cachedAccess{AccessToken: tok.AccessToken, TokenType: tok.TokenType, Expiry: tok.Expiry})
	if err != nil {
		return nil
	}
	// A failure only costs a refresh at the next start.
	_ = keyring.Set(keyringService, s.accessUser(), string(raw))
	return nil
}

// ForgetAccess drops the cached access token (after a server refused it).
func (s Store) ForgetAccess() {
	_ = keyring.Delete(keyringService, s.accessUser())
}

// Delete removes both entries.
func (s Store) Delete() error {
	s.ForgetAccess()
	err := keyring.Delete(keyringService, s.refreshUser())
	if err != nil && !errors.Is(err, keyring.ErrNotFound) {
		return fmt.Errorf("keyring: %w", err)
	}
	return nil
}
