package oauth

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"golang.org/x/oauth2"
)

// refreshTimeout bounds one refresh when the caller's context has no
// deadline.
const refreshTimeout = 30 * time.Second

// Source hands out one account's access tokens: the cached one while it is
// valid, else a fresh one that golang.org/x/oauth2 gets with the refresh
// token from the keyring; each new token is cached in the keyring again.
// Its methods may be called from any goroutine.
type Source struct {
	config *oauth2.Config
	store  Store

	mu      sync.Mutex
	token   *oauth2.Token // nil until first loaded from the store
	refused bool          // the server refused token.AccessToken
}

// NewSource returns a Source for config's provider over the store's
// keyring entries. Nothing is read until the first AccessToken call.
func NewSource(config *oauth2.Config, store Store) *Source {
	return &Source{config: config, store: store}
}

// AccessToken returns a valid access token, refreshing it if it expired
// or the server refused it.
func (s *Source) AccessToken(ctx context.Context) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token == nil {
		tok, err := s.store.Load()
		if err != nil {
			return "", err
		}
		s.token = tok
	}
	if !s.refused && s.token.Valid() {
		return s.token.AccessToken, nil
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, refreshTimeout)
		defer cancel()
	}
	// A token without an access token makes the TokenSource refresh.
	fresh, err := s.config.TokenSource(ctx, &oauth2.Token{RefreshToken: s.token.RefreshToken}).Token()
	if err != nil {
		return "", refreshError(s.store.Account, err)
	}
	s.token, s.refused = fresh, false
	if err := s.store.Save(fresh); err != nil {
		return "", err
	}
	return fresh.AccessToken, nil
}

// Refused tells the source that a server refused the access token it
// handed out last: the next AccessToken call gets a fresh one.
func (s *Source) Refused() {
	s.mu.Lock()
	s.refused = true
	s.mu.Unlock()
	s.store.ForgetAccess()
}

// ErrRefreshRefused means the provider no longer accepts the refresh token
// (revoked, expired or issued to another client).
var ErrRefreshRefused = errors.New("the OAuth2 provider refused the refresh token")

// refreshError describes a failed refresh without the provider's response
// body, so no token can leak into logs.
func refreshError(account string, err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		if re.ErrorCode == "invalid_grant" {
			return fmt.Errorf("%w for account %q: run `posta oauth %s` to sign in again", ErrRefreshRefused, account, account)
		}
		status := ""
		if re.Response != nil {
			status = re.Response.Status
		}
		return fmt.Errorf("oauth2: refreshing the access token for %q: %s %s", account, status, re.ErrorCode)
	}
	return fmt.Errorf("oauth2: refreshing the access token for %q: %w", account, err)
}
