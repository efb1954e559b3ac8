package mail

import "testing"

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
