package oauth

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/base64"
	"errors"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"time"

	"golang.org/x/oauth2"
)

// DefaultLoginTimeout is how long Login waits for the browser to come back
// when LoginOptions.Timeout is zero.
const DefaultLoginTimeout = 5 * time.Minute

// LoginOptions configures Login. Config is required; its RedirectURL is
// overwritten with the loopback address Login listens on.
type LoginOptions struct {
	Config   *oauth2.Config
	Provider Provider // for its AuthParams
	// OpenBrowser opens the authorization URL; nil or a failure leaves the
	// user with the printed URL.
	OpenBrowser func(ctx context.Context, url string) error
	// Prompt receives the instructions and the URL (usually stderr).
	Prompt io.Writer
	// Timeout bounds the wait for the redirect (DefaultLoginTimeout if 0).
	Timeout time.Duration
}

// callbackPath is the redirect's path on the loopback listener.
const callbackPath = "/callback"

// callback is what the redirect brought: a code or an error.
type callback struct {
	code string
	err  error
}

// Login runs the authorization-code flow with PKCE: it listens on
// 127.0.0.1 on a free port, sends the user's browser to the provider,
// waits for the redirect to /callback with the right state, and exchanges
// the code for tokens. The returned token has a refresh token.
func Login(ctx context.Context, opts LoginOptions) (*oauth2.Token, error) {
	if opts.Config == nil {
		return nil, errors.New("oauth2: no configuration")
	}
	prompt := opts.Prompt
	if prompt == nil {
		prompt = io.Discard
	}
	timeout := opts.Timeout
	if timeout <= 0 {
		timeout = DefaultLoginTimeout
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()

	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("oauth2: listening for the redirect: %w", err)
	}
	cfg := *opts.Config
	cfg.RedirectURL = "http://" + ln.Addr().String() + callbackPath
	state, err := randomState()
	if err != nil {
		ln.Close()
		return nil, err
	}
	verifier := oauth2.GenerateVerifier()
	params := []oauth2.AuthCodeOption{oauth2.S256ChallengeOption(verifier)}
	for k, v := range opts.Provider.AuthParams {
		params = append(params, oauth2.SetAuthURLParam(k, v))
	}
	authURL := cfg.AuthCodeURL(state, params...)

	results := make(chan callback, 1)
	srv := &http.Server{
		Handler:           callbackHandler(state, results),
		ReadHeaderTimeout: 10 * time.Second,
	}
	go srv.Serve(ln)
	defer func() {
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		srv.Shutdown(shut)
	}()

	fmt.Fprintf(prompt, "Sign in by visiting this URL (waiting %s for the browser to come back):\n\n%s\n\n", timeout.Round(time.Second), authURL)
	if opts.OpenBrowser != nil {
		if err := opts.OpenBrowser(ctx, authURL); err != nil {
			fmt.Fprintf(prompt, "Could not open a browser (%v); open the URL above yourself.\n", err)
		}
	}

	var cb callback
	select {
	case cb = <-results:
	case <-ctx.Done():
		if errors.Is(ctx.Err(), context.DeadlineExceeded) {
			return nil, fmt.Errorf("oauth2: no sign-in within %s", timeout.Round(time.Second))
		}
		return nil, ctx.Err()
	}
	if cb.err != nil {
		return nil, cb.err
	}
	tok, err := cfg.Exchange(ctx, cb.code, oauth2.VerifierOption(verifier))
	if err != nil {
		return nil, exchangeError(err)
	}
	if tok.RefreshToken == "" {
		return nil, errors.New("oauth2: the provider sent no refresh token (for Microsoft, include the offline_access scope)")
	}
	return tok, nil
}

// callbackHandler answers the redirect: a request with the right state
// ends the wait with its code or error; anything else is refused and the
// wait goes on, so a stray request cannot end the sign-in.
func callbackHandler(state string, results chan<- callback) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc(callbackPath, func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		if subtle.ConstantTimeCompare([]byte(q.Get("state")), []byte(state)) != 1 {
			http.Error(w, "posta: this sign-in link is not the one posta is waiting for (state mismatch).", http.StatusBadRequest)
			return
		}
		var cb callback
		switch {
		case q.Get("error") != "":
			cb.err = fmt.Errorf("oauth2: the provider refused the sign-in: %s %s", printable(q.Get("error")), printable(q.Get("error_description")))
		case q.Get("code") == "":
			cb.err = errors.New("oauth2: the redirect carried no code")
		default:
			cb.code = q.Get("code")
		}
		select {
		case results <- cb:
		default: // a result is already in: this is a replay
			http.Error(w, "posta: sign-in already handled.", http.StatusConflict)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		if cb.err != nil {
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprintf(w, "<p>posta: sign-in failed: %s</p>", html.EscapeString(cb.err.Error()))
			return
		}
		fmt.Fprint(w, "<p>posta: signed in. You can close this tab.</p>")
	})
	return mux
}

// randomState returns an unguessable state value.
func randomState() (string, error) {
	b := make([]byte, 32)
	if _, err := rand.Read(b); err != nil {
		return "", fmt.Errorf("oauth2: %w", err)
	}
	return base64.RawURLEncoding.EncodeToString(b), nil
}

// exchangeError describes a failed code exchange without the response
// body.
func exchangeError(err error) error {
	var re *oauth2.RetrieveError
	if errors.As(err, &re) {
		status := ""
		if re.Response != nil {
			status = re.Response.Status
		}
		return fmt.Errorf("oauth2: exchanging the code: %s %s %s", status, printable(re.ErrorCode), printable(re.ErrorDescription))
	}
	return fmt.Errorf("oauth2: exchanging the code: %w", err)
}

// printable keeps at most 200 printable ASCII characters of s, which
// comes from the network.
func printable(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(out) < 200; i++ {
		if c := s[i]; c >= 0x20 && c < 0x7f {
			out = append(out, c)
		}
	}
	return string(out)
}
