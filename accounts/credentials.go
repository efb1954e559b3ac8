package accounts

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strings"

	"github.com/zalando/go-keyring"
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
