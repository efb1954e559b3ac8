package ui

import (
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
)

// Issue 18: a lookalike domain is shown in punycode wherever an address
// is shown, and a friendly name does not hide it in the index.
func TestIndexRowShowsLookalikeSender(t *testing.T) {
	now := time.Date(2026, 1, 2, 12, 0, 0, 0, time.UTC)
	m := accounts.Message{}
	m.From = []mail.Address{{Name: "PayPal", Addr: "service@p\u0430ypal.com"}}
	m.Subject = "Your account"
	row := formatRow(m, 120, now)
	if !strings.Contains(row, "service@xn--pypal") || strings.Contains(row, "PayPal") {
		t.Errorf("formatRow() = %q, want the address in punycode instead of the name", row)
	}
	m.From = []mail.Address{{Name: "Ivan", Addr: "ivan@\u043f\u0440\u0438\u043c\u0435\u0440.\u0440\u0444"}}
	if row := formatRow(m, 120, now); !strings.Contains(row, "Ivan") {
		t.Errorf("formatRow() = %q, want the name of a sender in one script", row)
	}
}

func TestReviewShowsLookalikeRecipient(t *testing.T) {
	got := displayAddresses([]string{"PayPal <service@p\u0430ypal.com>", "not an address"})
	if got[0] != "PayPal <service@xn--pypal-4ve.com>" || got[1] != "not an address" {
		t.Errorf("displayAddresses() = %q", got)
	}
	if n := notifySender(mail.Address{Name: "PayPal", Addr: "service@p\u0430ypal.com"}); n != "PayPal <service@xn--pypal-4ve.com>" {
		t.Errorf("notifySender() = %q", n)
	}
}
