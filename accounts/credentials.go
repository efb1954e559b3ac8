package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"
	"sync"

	"github.com/zalando/go-keyring"

	"github.com/posta-mail/posta/protocols"
)

// keyringService is the service name posta's secrets live under in the
// OS keyring; the user is the account name.
const keyringService = "posta"

// passwordSource returns a function that finds the secret for one server
// of an account when it is needed, from the sources in order of
// preference. The secret is never kept in the configuration structs and
// never appears in errors.
func passwordSource(account string, s ServerConfig) func(ctx context.Context) (string, error) {
	return func(ctx context.Context) (string, error) {
		if len(s.OAuth2TokenCommand) > 0 {
			return runPasswordCommand(ctx, s.OAuth2TokenCommand)
		}
		if len(s.PasswordCommand) > 0 {
			return runPasswordCommand(ctx, s.PasswordCommand)
		}
		if pw, err := keyring.Get(keyringService, account); err == nil && pw != "" {
			return pw, nil
		}
		if pw := os.Getenv(EnvPasswordVar(account)); pw != "" {
			return pw, nil
		}
		if s.Password != "" {
			return s.Password, nil
		}
		return "", fmt.Errorf("no password for account %q: set password_command, run `posta login %s`, or set %s", account, account, EnvPasswordVar(account))
	}
}

// EnvPasswordVar is the environment variable that may hold an account's
// password: POSTA_PASSWORD_<ACCOUNT>, upper case, other characters as _.
func EnvPasswordVar(account string) string {
	var b strings.Builder
	b.WriteString("POSTA_PASSWORD_")
	for _, r := range strings.ToUpper(account) {
		if (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9') {
			b.WriteRune(r)
		} else {
			b.WriteByte('_')
		}
	}
	return b.String()
}

// runPasswordCommand runs argv without a shell and returns its trimmed
// standard output. Its stderr is not echoed into errors, as some password
// managers print secrets there.
func runPasswordCommand(ctx context.Context, argv []string) (string, error) {
	cmd := exec.CommandContext(ctx, argv[0], argv[1:]...)
	var out bytes.Buffer
	cmd.Stdout = &out
	if err := cmd.Run(); err != nil {
		var exit *exec.ExitError
		if errors.As(err, &exit) {
			return "", fmt.Errorf("password_command %s exited with status %d", argv[0], exit.ExitCode())
		}
		return "", fmt.Errorf("password_command %s: %w", argv[0], err)
	}
	pw := strings.TrimRight(out.String(), "\r\n")
	if pw == "" {
		return "", fmt.Errorf("password_command %s printed nothing", argv[0])
	}
	return pw, nil
}

// StorePassword saves an account's password in the OS keyring.
func StorePassword(account, password string) error {
	if err := keyring.Set(keyringService, account, password); err != nil {
		return fmt.Errorf("keyring: %w", err)
	}
	return nil
}

// tokenCache keeps an OAuth2 access token between connections, so the
// token command runs once per token, not once per login; Forget makes the
// next login run it again (after the server refused the token).
type tokenCache struct {
	mu     sync.Mutex
	token  string
	source func(ctx context.Context) (string, error)
	// refused, if not nil, tells the source its token was refused (an
	// oauth2_provider source then refreshes instead of reusing it).
	refused func()
}

func (t *tokenCache) get(ctx context.Context) (string, error) {
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.token != "" {
		return t.token, nil
	}
	tok, err := t.source(ctx)
	if err != nil {
		return "", err
	}
	t.token = tok
	return tok, nil
}

func (t *tokenCache) forget() {
	t.mu.Lock()
	t.token = ""
	t.mu.Unlock()
	if t.refused != nil {
		t.refused()
	}
}

// secret returns the Endpoint.Password function for a server and, for
// OAuth2 (oauth2_provider or a token command), the cache whose token to forget when refused.
func secret(account string, s ServerConfig) (func(ctx context.Context) (string, error), *tokenCache) {
	if s.OAuth2Provider != "" {
		get, refused := oauth2Source(account, s)
		tc := &tokenCache{source: get, refused: refused}
		return tc.get, tc
	}
	src := passwordSource(account, s)
	if len(s.OAuth2TokenCommand) == 0 {
		return src, nil
	}
	tc := &tokenCache{source: src}
	return tc.get, tc
}

// retryRefusedToken runs op, and once more with a fresh token when the
// server refused the cached one.
func retryRefusedToken(tc *tokenCache, op func() error) error {
	err := op()
	if tc != nil && errors.Is(err, protocols.ErrAuthFailed) {
		tc.forget()
		err = op()
	}
	return err
}
