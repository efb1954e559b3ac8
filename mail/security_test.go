package mail

import (
	"mime"
	"strings"
	"testing"
)

func TestSecurityOf(t *testing.T) {
	for _, c := range []struct {
		ct   string
		want Security
	}{
		{`multipart/signed; protocol="application/pgp-signature"; micalg=pgp-sha256; boundary=x`, Signed},
		{`Multipart/Encrypted; protocol="application/pgp-encrypted"; boundary=x`, Encrypted},
		{`application/pkcs7-mime; smime-type=enveloped-data; name=smime.p7m`, Encrypted},
		{`application/pkcs7-mime; smime-type=signed-data; name=smime.p7m`, Signed},
		{`application/x-pkcs7-mime; name="smime.p7m"`, Encrypted},
		{`multipart/signed; boundary="unterminated`, Signed},
		{`multipart/mixed; boundary=x`, 0},
		{`text/plain`, 0},
		{``, 0},
	} {
		if got := SecurityOf(c.ct); got != c.want {
			t.Errorf("SecurityOf(%q) = %v, want %v", c.ct, got, c.want)
		}
	}
	if !(Signed | Encrypted).Has(Signed) || Security(0).Has(Encrypted) {
		t.Error("Has is wrong")
	}
}

// securityOfParsed is SecurityOf as it was, parsing every Content-Type
// with its parameters: the reference of FuzzSecurityOf.
func securityOfParsed(contentType string) Security {
	typ, params, err := mime.ParseMediaType(contentType)
	if err != nil {
		typ = strings.ToLower(strings.TrimSpace(strings.Split(contentType, ";")[0]))
	}
	return SecurityOfType(typ, params["smime-type"], params["name"])
}

// FuzzSecurityOf: SecurityOf, which parses the parameters of S/MIME's
// types only, reads every value as parsing them all did.
func FuzzSecurityOf(f *testing.F) {
	for _, s := range []string{
		"text/plain; charset=utf-8", "multipart/signed; protocol=\"application/pgp-signature\"; micalg=pgp-sha256; boundary=x",
		"Multipart/Encrypted; boundary=\"a;b\"", "application/pkcs7-mime; smime-type=signed-data; name=smime.p7m",
		"application/x-pkcs7-mime; name=\"smime.p7s\"", "APPLICATION/PKCS7-MIME; smime-type=\"enveloped-data\"",
		"application/pkcs7-mime; smime-type=signed-data; smime-type=x", " application/pkcs7-mime ;", "multipart/signed;;;=",
		"application/pkcs7-mime; name*=utf-8''smime.p7s", "\u00a0multipart/signed\u00a0; a=b", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, ct string) {
		if got, want := SecurityOf(ct), securityOfParsed(ct); got != want {
			t.Fatalf("SecurityOf(%q) = %v, parsing every parameter gives %v", ct, got, want)
		}
	})
}
