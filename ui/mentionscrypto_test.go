package ui

import (
	"bytes"
	"strings"
	"testing"
)

// TestMentionsCrypto agrees with a lower-cased whole-message search,
// markers across window edges included.
func TestMentionsCrypto(t *testing.T) {
	pad := strings.Repeat("x", 64<<10-5)
	cases := []string{
		"", "Content-Type: text/plain\r\n\r\nhello",
		"Content-Type: Multipart/Signed; protocol=x",
		pad + "MULTIPART/ENCRYPTED",
		pad + "-----BEGIN PGP MESSAGE-----",
		strings.Repeat(pad, 3) + "application/PKCS7-MIME",
		strings.Repeat(pad, 2) + "multipart/signe",
	}
	for _, c := range cases {
		want := false
		for _, m := range cryptoMarkers {
			want = want || bytes.Contains(bytes.ToLower([]byte(c)), []byte(m))
		}
		if got := mentionsCrypto([]byte(c)); got != want {
			t.Errorf("mentionsCrypto(%d bytes ending %q) = %v, want %v", len(c), c[max(0, len(c)-30):], got, want)
		}
	}
}
