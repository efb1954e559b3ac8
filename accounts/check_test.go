package accounts

import (
	"errors"
	"strings"
	"testing"

	"github.com/posta-mail/posta/protocols"
)

func TestRedactRemovesSecretAndKeepsCause(t *testing.T) {
	err := redact(errors.Join(errors.New("server said: bad pass hunter2"), protocols.ErrAuthFailed), func() string { return "hunter2" })
	if strings.Contains(err.Error(), "hunter2") || !strings.Contains(err.Error(), "[password]") {
		t.Errorf("redact() = %q, want the secret replaced", err)
	}
	if !errors.Is(err, protocols.ErrAuthFailed) {
		t.Errorf("redact() lost the wrapped error: %v", err)
	}
	if redact(nil, func() string { return "x" }) != nil {
		t.Error("redact(nil) != nil")
	}
}

func TestKeyLines(t *testing.T) {
	text := `top = 1
[[account]]
name = "a"
"quoted.key" = 2
fetch.host = "x"
sig = '''
name = "not a key"
'''
[account.smtp]
host = "y"
[[account]]
name = "b"
smtp = { host = "z" }
`
	k := newKeyLines(text)
	for path, want := range map[string]int{
		"top": 1, "account[0]": 2, "account[0].name": 3, "account[0].quoted.key": 4,
		"account[0].fetch.host": 5, "account[0].smtp.host": 10, "account[1].name": 12,
		"account[1].smtp.host": 13, "account[1].fetch.port": 11, "missing": 0,
	} {
		if got := k.line(path); got != want {
			t.Errorf("line(%q) = %d, want %d", path, got, want)
		}
	}
}
