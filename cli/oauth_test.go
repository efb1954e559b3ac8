package cli

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/oauth2-proxy/mockoidc"
	"github.com/zalando/go-keyring"

	"github.com/posta-mail/posta/demo"
)

// oidcFixture is a mockoidc provider on 127.0.0.1 that counts the grants
// its token endpoint answers.
type oidcFixture struct {
	m      *mockoidc.MockOIDC
	mu     sync.Mutex
	grants []string // grant_type of each token request
}

func startOIDC(t *testing.T) *oidcFixture {
	t.Helper()
	m, err := mockoidc.NewServer(nil)
	if err != nil {
		t.Fatal(err)
	}
	f := &oidcFixture{m: m}
	m.AddMiddleware(func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == mockoidc.TokenEndpoint && r.ParseForm() == nil {
				f.mu.Lock()
				f.grants = append(f.grants, r.PostForm.Get("grant_type"))
				f.mu.Unlock()
			}
			next.ServeHTTP(w, r)
		})
	})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	if err := m.Start(ln, nil); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Shutdown() })
	return f
}

func (f *oidcFixture) grantCount(kind string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, g := range f.grants {
		if g == kind {
			n++
		}
	}
	return n
}

// validToken asks the provider's userinfo endpoint whether it accepts
// token, as a mail server would.
func (f *oidcFixture) validToken(token string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, f.m.UserinfoEndpoint(), nil)
	if err != nil {
		return false
	}
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// writeOAuthConfig writes a configuration with one POP3 account, "home",
// that signs in to the demo POP3 server with tokens from the provider.
func writeOAuthConfig(t *testing.T, dir string, srv *demo.Servers, m *mockoidc.MockOIDC) string {
	t.Helper()
	var home demo.Account
	for _, a := range srv.Accounts {
		if a.Kind == "pop3" {
			home = a
		}
	}
	ca := filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(ca, srv.CACertPEM, 0o600); err != nil {
		t.Fatal(err)
	}
	ph, pp, _ := splitHostPort(srv.POP3Addr)
	sh, sp, _ := splitHostPort(srv.SMTPAddr)
	text := fmt.Sprintf(`
[[account]]
name = "home"
address = %q

[account.fetch]
kind = "pop3"
host = %q
port = %d
username = %q
ca_file = %q
oauth2_provider = "custom"
oauth2_client_id = %q
oauth2_client_secret = %q
oauth2_auth_url = %q
oauth2_token_url = %q
oauth2_scopes = ["openid", "email"]

[account.smtp]
host = %q
port = %d
security = "starttls"
username = %q
password = %q
ca_file = %q
`, home.Address, ph, pp, home.Username, ca, m.ClientID, m.ClientSecret,
		m.AuthorizationEndpoint(), m.TokenEndpoint(), sh, sp, home.Username, home.Password, ca)
	path := filepath.Join(dir, "config.toml")
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

// cachedAccessToken reads the access token posta cached in the keyring.
func cachedAccessToken(t *testing.T, account string) string {
	t.Helper()
	raw, err := keyring.Get("posta", account+"/oauth2-access")
	if err != nil {
		t.Fatalf("keyring: no cached access token: %v", err)
	}
	var c struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.Unmarshal([]byte(raw), &c); err != nil {
		t.Fatal(err)
	}
	return c.AccessToken
}

// signIn runs `posta oauth home --no-browser` and plays the browser: it
// reads the URL from stderr and follows it to the provider and back to
// posta's loopback redirect.
func signIn(t *testing.T, e *env) {
	t.Helper()
	pr, pw := io.Pipe()
	urls := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			if line := sc.Text(); strings.HasPrefix(line, "http://") || strings.HasPrefix(line, "https://") {
				select {
				case urls <- line:
				default:
				}
			}
		}
		io.Copy(io.Discard, pr)
	}()
	var out strings.Builder
	done := make(chan error, 1)
	go func() {
		g := &globals{stdin: strings.NewReader(""), stdout: &out, stderr: pw}
		root := newRoot(g)
		root.SetArgs([]string{"--config", e.config, "--cache-dir", e.cache, "oauth", "home", "--no-browser", "--timeout", "30s"})
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		done <- root.ExecuteContext(ctx)
		pw.Close()
	}()
	var authURL string
	select {
	case authURL = <-urls:
	case err := <-done:
		t.Fatalf("posta oauth ended before printing a URL: %v", err)
	case <-time.After(30 * time.Second):
		t.Fatal("posta oauth printed no URL on stderr")
	}
	if !strings.Contains(authURL, "code_challenge_method=S256") || !strings.Contains(authURL, "redirect_uri=http%3A%2F%2F127.0.0.1%3A") {
		t.Errorf("authorization URL %s lacks PKCE S256 or the loopback redirect", authURL)
	}
	browser := &http.Client{Timeout: 10 * time.Second}
	resp, err := browser.Get(authURL)
	if err != nil {
		t.Fatalf("browser: %v", err)
	}
	page, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK || !strings.Contains(string(page), "signed in") {
		t.Errorf("redirect page: %s %q, want 200 and \"signed in\"", resp.Status, page)
	}
	if err := <-done; err != nil {
		t.Fatalf("posta oauth: %v", err)
	}
	if !strings.Contains(out.String(), "Signed in") {
		t.Errorf("posta oauth stdout = %q, want a success line", out.String())
	}
}

// TestOAuthSignInSyncAndRefresh signs in against mockoidc, syncs a demo
// POP3 account whose server checks the access token with the provider,
// then lets the token expire on the provider's side: posta must get a
// new one with the refresh token by itself and sync again.
func TestOAuthSignInSyncAndRefresh(t *testing.T) {
	keyring.MockInit()
	oidc := startOIDC(t)
	srv, err := demo.Start(demo.Options{Messages: 3})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	var mu sync.Mutex
	var seen []string
	srv.POP3.AcceptToken = func(user, token string) bool {
		mu.Lock()
		seen = append(seen, token)
		mu.Unlock()
		return user == "bob" && oidc.validToken(token)
	}
	dir := t.TempDir()
	e := &env{t: t, srv: srv, config: writeOAuthConfig(t, dir, srv, oidc.m), cache: filepath.Join(dir, "cache")}

	signIn(t, e)
	refresh, err := keyring.Get("posta", "home/oauth2-refresh")
	if err != nil || refresh == "" {
		t.Fatalf("keyring holds no refresh token after sign-in (err %v)", err)
	}
	issued := cachedAccessToken(t, "home")
	if issued == refresh {
		t.Fatal("the access token cached is the refresh token")
	}
	if n := oidc.grantCount("authorization_code"); n != 1 {
		t.Errorf("authorization_code grants = %d, want 1", n)
	}
	cfgText, _ := os.ReadFile(e.config)
	if strings.Contains(string(cfgText), refresh) {
		t.Error("the refresh token was written into the configuration file")
	}

	if _, stderr, err := e.run("", "sync", "--account", "home"); err != nil {
		t.Fatalf("first sync: %v\n%s", err, stderr)
	}
	if rows := e.list("--account", "home"); len(rows) != 3 {
		t.Errorf("after the first sync, home lists %d messages, want 3", len(rows))
	}
	mu.Lock()
	if len(seen) != 1 || seen[0] != issued {
		t.Errorf("server saw %d tokens, want only the one issued at sign-in", len(seen))
	}
	mu.Unlock()
	if n := oidc.grantCount("refresh_token"); n != 0 {
		t.Errorf("refresh grants before expiry = %d, want 0 (the cached token is valid)", n)
	}

	// The provider now considers the access token expired (posta's copy
	// says it is still good): the server refuses it.
	oidc.m.FastForward(oidc.m.AccessTTL + time.Minute)
	if err := srv.Deliver("bob@home.example", []byte("From: a@example.org\r\nTo: bob@home.example\r\nSubject: after refresh\r\nMessage-ID: <refresh@example.org>\r\n\r\nhello\r\n")); err != nil {
		t.Fatal(err)
	}
	if _, stderr, err := e.run("", "sync", "--account", "home"); err != nil {
		t.Fatalf("sync after the token expired: %v\n%s", err, stderr)
	}
	if n := oidc.grantCount("refresh_token"); n != 1 {
		t.Errorf("refresh grants = %d, want 1", n)
	}
	fresh := cachedAccessToken(t, "home")
	mu.Lock()
	if len(seen) != 3 || seen[1] != issued || seen[2] != fresh || fresh == issued {
		t.Errorf("server saw %d tokens (old refused then fresh?), want 3: first, first again, then a fresh one", len(seen))
	}
	mu.Unlock()
	if !oidc.validToken(fresh) {
		t.Error("the refreshed access token is not valid at the provider")
	}
	if got, _ := keyring.Get("posta", "home/oauth2-refresh"); got != refresh {
		t.Error("the refresh token changed though the provider did not rotate it")
	}
	if rows := e.list("--account", "home"); len(rows) != 4 {
		t.Errorf("after the refresh, home lists %d messages, want 4", len(rows))
	}
}
