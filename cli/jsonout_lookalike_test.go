package cli

import (
	"strings"
	"testing"

	"github.com/posta-mail/posta/accounts"
	"github.com/posta-mail/posta/mail"
)

// Issue 18: list and search --json keep "from" exact and add the sender
// as posta shows it, with a warning for a lookalike address.
func TestJSONShowsLookalikeSender(t *testing.T) {
	var m accounts.Message
	m.From = []mail.Address{{Name: "PayPal", Addr: "service@p\u0430ypal.com"}}
	m.To = []mail.Address{{Addr: "me@example.org"}}
	row := toJSON(m)
	if row.From != "PayPal <service@p\u0430ypal.com>" {
		t.Errorf("from = %q, want the exact address", row.From)
	}
	if row.FromDisplay != "PayPal <service@xn--pypal-4ve.com>" {
		t.Errorf("from_display = %q, want the domain in punycode", row.FromDisplay)
	}
	if len(row.AddressWarnings) != 1 || !strings.Contains(row.AddressWarnings[0], "Latin and Cyrillic") {
		t.Errorf("address_warnings = %q, want one naming the scripts", row.AddressWarnings)
	}
	m.From = []mail.Address{{Name: "Ann", Addr: "ann@example.org"}}
	if row := toJSON(m); row.FromDisplay != "Ann <ann@example.org>" || row.AddressWarnings != nil {
		t.Errorf("toJSON() = %+v, want a plain display and no warning", row)
	}
}
