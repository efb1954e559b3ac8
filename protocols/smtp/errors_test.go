package smtp

import (
	"errors"
	"fmt"
	"testing"

	"github.com/emersion/go-smtp"

	"github.com/posta-mail/posta/protocols"
)

func TestPermanent(t *testing.T) {
	reply := func(code int) error { return &smtp.SMTPError{Code: code, Message: "reply"} }
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{"nil", nil, false},
		{"network", errors.New("dial tcp: connection refused"), false},
		{"unknown recipient", reply(550), true},
		{"wrapped 554", fmt.Errorf("send: %w", reply(554)), true},
		{"recipient error", &RecipientError{Addr: "x@y", Err: reply(550)}, true},
		{"joined", errors.Join(errors.New("other"), fmt.Errorf("rcpt: %w", reply(553))), true},
		{"temporary 451", reply(451), false},
		{"auth failed reply 535", reply(535), false},
		{"auth required 530", reply(530), false},
		{"ErrAuthFailed with a 5xx inside", fmt.Errorf("%w: %w", protocols.ErrAuthFailed, reply(550)), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := Permanent(tt.err); got != tt.want {
				t.Errorf("Permanent(%v) = %v, want %v", tt.err, got, tt.want)
			}
		})
	}
}
