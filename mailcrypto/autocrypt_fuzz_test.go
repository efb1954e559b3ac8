package mailcrypto

import (
	"bytes"
	"encoding/base64"
	"strings"
	"testing"

	"github.com/ProtonMail/go-crypto/openpgp"
	"github.com/ProtonMail/go-crypto/openpgp/packet"
)

// FuzzParseAutocrypt feeds ParseAutocrypt the Autocrypt: header values a
// stranger's message may carry, around a real one: it must not panic or
// hang on any of them, and a header it accepts must name an address and
// carry key data within the bound the peer store keeps. A value comes
// whole, or as attributes and the binary key data that goes to the
// OpenPGP parser (base64 here: mutated base64 seldom decodes).
func FuzzParseAutocrypt(f *testing.F) {
	e, err := openpgp.NewEntity("Alice", "", "Alice@Example.org", &packet.Config{Algorithm: packet.PubKeyAlgoEdDSA})
	if err != nil {
		f.Fatal(err)
	}
	var key bytes.Buffer
	if err := e.Serialize(&key); err != nil {
		f.Fatal(err)
	}
	field := AutocryptHeader("alice@example.org", key.Bytes(), true)
	value := strings.TrimSuffix(strings.TrimPrefix(field, "Autocrypt: "), "\r\n")
	if _, ok := ParseAutocrypt(value); !ok {
		f.Fatalf("ParseAutocrypt rejects our own header %q", value)
	}
	for _, seed := range []string{
		value,
		strings.Replace(value, "alice@", "mallory@", 1),
		"addr=a@b.example; keydata=AAAA",
		"addr=a@b.example; _extra=1; " + value[strings.Index(value, "keydata="):],
		"addr=a@b.example; critical=1; keydata=AAAA",
		"; ; addr=; keydata=",
		"addr=a@b.example; keydata=" + strings.Repeat("A", 4096),
	} {
		f.Add(seed, []byte(nil))
	}
	f.Add("addr=alice@example.org; prefer-encrypt=mutual", key.Bytes())
	f.Fuzz(func(t *testing.T, v string, keydata []byte) {
		if len(keydata) > 0 {
			v += "; keydata=" + base64.StdEncoding.EncodeToString(keydata)
		}
		a, ok := ParseAutocrypt(v)
		if !ok {
			return
		}
		if a.Addr == "" || a.Addr != strings.ToLower(a.Addr) {
			t.Fatalf("accepted %q with address %q", v, a.Addr)
		}
		if len(a.KeyData) == 0 || len(a.KeyData) > 64<<10 {
			t.Fatalf("accepted %q with %d bytes of key data", v, len(a.KeyData))
		}
		if a.PreferEncrypt != "" && a.PreferEncrypt != "mutual" {
			t.Fatalf("accepted %q with prefer-encrypt %q", v, a.PreferEncrypt)
		}
	})
}
