package accounts

import (
	"strings"
	"testing"
)

func TestIdentityAndCryptoConfig(t *testing.T) {
	base := `
undo_send_delay = 5
[[account]]
name = "work"
address = "me@example.org"
signature_position = "above"
pgp_sign = true
pgp_encrypt = "when-possible"
autocrypt = true
[account.fetch]
kind = "imap"
host = "imap.example.org"
port = 993
[account.smtp]
host = "smtp.example.org"
port = 465
[[account.identity]]
address = "sales@example.org"
display_name = "Sales"
signature = "The sales team"
[account.identity.smtp]
host = "smtp2.example.org"
port = 587
security = "starttls"
`
	cfg, err := ParseConfig(base)
	if err != nil {
		t.Fatal(err)
	}
	a := cfg.Accounts[0]
	if !a.PGPSign || a.PGPEncrypt != "when-possible" || !a.Autocrypt || a.SignaturePosition != "above" {
		t.Errorf("crypto settings not read: %+v", a.CryptoConfig)
	}
	if len(a.Identities) != 1 || a.Identities[0].Address != "sales@example.org" || a.Identities[0].SMTP.Port != 587 {
		t.Errorf("identity not read: %+v", a.Identities)
	}
	if cfg.UndoSendDelay == nil || *cfg.UndoSendDelay != 5 {
		t.Errorf("undo_send_delay not read: %v", cfg.UndoSendDelay)
	}

	bad := strings.NewReplacer(`"when-possible"`, `"sometimes"`, `"above"`, `"middle"`,
		`address = "sales@example.org"`, `sent_folder = "x"`, "undo_send_delay = 5", "undo_send_delay = -1").Replace(base)
	_, err = ParseConfig(bad)
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, want := range []string{"pgp_encrypt", "signature_position", "identity.address", "undo_send_delay"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not name %s:\n%v", want, err)
		}
	}
}
