package oauth

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/zalando/go-keyring"
	"golang.org/x/oauth2"
)

// startProvider runs mockoidc on 127.0.0.1 and returns it with a
// configuration for it.
func startProvider(t *testing.T) (*mockoidc.MockOIDC, *oauth2.Config) {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	cfg, _, err := Settings{
		Provider: "custom", ClientID: m.ClientID, ClientSecret: m.ClientSecret,
		AuthURL: m.AuthorizationEndpoint(), TokenURL: m.TokenEndpoint(), Scopes: []string{"openid", "email"},
	}.Config()
	if err != nil {
		t.Fatal(err)
	}
	return m, cfg
}

// get fetches u and returns the status and body.
func get(t *testing.T, u string) (int, string) {
	t.Helper()
	resp, err := (&http.Client{Timeout: 10 * time.Second}).Get(u)
	if err != nil {
		t.Errorf("GET: %v", err)
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// redirectWith returns the authorization URL's redirect_uri with query.
func redirectWith(t *testing.T, authURL string, query url.Values) string {
	t.Helper()
	u, err := url.Parse(authURL)
	if err != nil {
		t.Fatal(err)
	}
	return u.Query().Get("redirect_uri") + "?" + query.Encode()
}

func TestLoginIgnoresWrongStateThenSucceeds(t *testing.T) {
	m, cfg := startProvider(t)
	stray := make(chan int, 1)
	tok, err := Login(context.Background(), LoginOptions{
		Config:  cfg,
		Timeout: 30 * time.Second,
		OpenBrowser: func(ctx context.Context, authURL string) error {
			go func() {
				status, _ := get(t, redirectWith(t, authURL, url.Values{"state": {"forged"}, "code": {"stolen"}}))
				stray <- status
				if status, body := get(t, authURL); status != http.StatusOK {
					t.Errorf("sign-in page: %d %s", status, body)
				}
			}()
			return nil
		},
	})
	if err != nil {
		t.Fatalf("Login: %v", err)
	}
	if status := <-stray; status != http.StatusBadRequest {
		t.Errorf("redirect with a forged state answered %d, want 400", status)
	}
	if tok.RefreshToken == "" || tok.AccessToken == "" {
		t.Fatal("Login returned no refresh or access token")
	}
	if _, err := m.Keypair.VerifyJWT(tok.AccessToken, m.Now); err != nil {
		t.Errorf("the access token was not issued by the provider: %v", err)
	}
}

func TestLoginReportsProviderRefusal(t *testing.T) {
	_, cfg := startProvider(t)
	_, err := Login(context.Background(), LoginOptions{
		Config:  cfg,
		Timeout: 30 * time.Second,
		OpenBrowser: func(ctx context.Context, authURL string) error {
			u, _ := url.Parse(authURL)
			state := u.Query().Get("state")
			go get(t, redirectWith(t, authURL, url.Values{"state": {state}, "error": {"access_denied"}, "error_description": {"user said no\x1b[31m"}}))
			return nil
		},
	})
	if err == nil || !strings.Contains(err.Error(), "access_denied") || strings.Contains(err.Error(), "\x1b") {
		t.Errorf("Login = %v, want the provider's access_denied without control characters", err)
	}
}

func TestLoginTimesOut(t *testing.T) {
	_, cfg := startProvider(t)
	var prompt strings.Builder
	start := time.Now()
	_, err := Login(context.Background(), LoginOptions{Config: cfg, Timeout: 300 * time.Millisecond, Prompt: &prompt})
	if err == nil || !strings.Contains(err.Error(), "no sign-in within") {
		t.Errorf("Login = %v, want a timeout", err)
	}
	if time.Since(start) > 5*time.Second {
		t.Errorf("Login took %v to time out", time.Since(start))
	}
	if !strings.Contains(prompt.String(), cfg.Endpoint.AuthURL+"?") {
		t.Errorf("prompt %q does not show the authorization URL", prompt.String())
	}
}

func TestSourceRefreshesWhenRefused(t *testing.T) {
	keyring.MockInit()
	m, cfg := startProvider(t)
	code := make(chan error, 1)
	tok, err := Login(context.Background(), LoginOptions{Config: cfg, Timeout: 30 * time.Second,
		OpenBrowser: func(ctx context.Context, authURL string) error {
			go func() { get(t, authURL); code <- nil }()
			return nil
		}})
	if err != nil {
		t.Fatal(err)
	}
	<-code
	store := Store{Account: "acct"}
	if err := store.Save(tok); err != nil {
		t.Fatal(err)
	}
	src := NewSource(cfg, store)
	ctx := context.Background()
	first, err := src.AccessToken(ctx)
	if err != nil || first != tok.AccessToken {
		t.Fatalf("AccessToken = %v, want the stored token", err)
	}
	m.FastForward(2 * time.Second) // a new token differs from the old one
	src.Refused()
	second, err := src.AccessToken(ctx)
	if err != nil {
		t.Fatalf("AccessToken after Refused: %v", err)
	}
	if second == first {
		t.Error("AccessToken after Refused returned the refused token")
	}
	if again, _ := src.AccessToken(ctx); again != second {
		t.Error("AccessToken did not keep the fresh token")
	}
	if loaded, err := store.Load(); err != nil || loaded.AccessToken != second || loaded.RefreshToken != tok.RefreshToken {
		t.Errorf("Load = %v; the keyring should cache the fresh access token and keep the refresh token", err)
	}

	// A refresh token the provider refuses points at `posta oauth`.
	m.QueueError(&mockoidc.ServerError{Code: http.StatusBadRequest, Error: "invalid_grant", Description: "revoked"})
	src.Refused()
	_, err = src.AccessToken(ctx)
	if !errors.Is(err, ErrRefreshRefused) || !strings.Contains(err.Error(), "posta oauth acct") {
		t.Errorf("AccessToken with a refused refresh token = %v, want ErrRefreshRefused naming the command", err)
	}
	if strings.Contains(err.Error(), tok.RefreshToken) {
		t.Error("the error shows the refresh token")
	}
}

func TestSourceWithoutSignIn(t *testing.T) {
	keyring.MockInit()
	_, cfg := startProvider(t)
	_, err := NewSource(cfg, Store{Account: "nobody"}).AccessToken(context.Background())
	if !errors.Is(err, ErrNoToken) || !strings.Contains(err.Error(), "posta oauth nobody") {
		t.Errorf("AccessToken = %v, want ErrNoToken naming the command", err)
	}
}
