package message

import (
	"strings"
	"testing"
	"time"

	"github.com/posta-mail/posta/mailcrypto"
)

// fakeCrypto signs off every signature whose signature part says "ok",
// and "decrypts" by taking the data as the plaintext entity.
type fakeCrypto struct{ calls int }

func (f *fakeCrypto) Verify(protocol string, signed, sig []byte) *mailcrypto.Signature {
	f.calls++
	state := mailcrypto.Bad
	if strings.TrimSpace(string(sig)) == "ok" && strings.Contains(string(signed), "\r\n") && !strings.Contains(strings.ReplaceAll(string(signed), "\r\n", ""), "\n") {
		state = mailcrypto.Good
	}
	return &mailcrypto.Signature{Protocol: "OpenPGP", State: state, Signer: "Sig \x1b[31m <s@example.org>", Emails: []string{"s@example.org"}}
}

func (f *fakeCrypto) Decrypt(protocol string, data []byte) ([]byte, *mailcrypto.Encryption, *mailcrypto.Signature) {
	f.calls++
	return data, &mailcrypto.Encryption{Protocol: "OpenPGP", Decrypted: true}, nil
}

func (f *fakeCrypto) Inline(block []byte) ([]byte, *mailcrypto.Signature, *mailcrypto.Encryption) {
	f.calls++
	return []byte("inline text\n"), &mailcrypto.Signature{Protocol: "OpenPGP", State: mailcrypto.Good, Emails: []string{"s@example.org"}}, nil
}

const fakeSigned = "Content-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\n\n" +
	"--s\nContent-Type: text/plain\n\nsigned text\n--s\nContent-Type: application/pgp-signature\n\nok\n--s--\n"

func TestRenderCryptoFake(t *testing.T) {
	tests := []struct {
		name, raw string
		covers    []string // Covers of each signature, in order
		fromOK    []bool
		body      string
		encrypted int
	}{
		{"signed message", "From: s@example.org\n" + fakeSigned, []string{"message"}, []bool{true}, "signed text", 0},
		{"signed by someone else", "From: \x1b[2Jm@example.org\n" + fakeSigned, []string{"message"}, []bool{false}, "signed text", 0},
		{"forwarded", "From: m@example.org\nContent-Type: multipart/mixed; boundary=o\n\n--o\nContent-Type: text/plain\n\nmine\n" +
			"--o\nContent-Type: message/rfc822\n\nFrom: s@example.org\n" + fakeSigned + "\n--o--\n", []string{"part"}, []bool{true}, "signed text", 0},
		{"encrypted then signed inside", "From: s@example.org\nContent-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n" +
			"--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n" +
			fakeSigned + "\n--e--\n", []string{"message"}, []bool{true}, "signed text", 1},
		{"inline whole", "From: s@example.org\n\n-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA256\n\nx\n-----BEGIN PGP SIGNATURE-----\n\nabc\n-----END PGP SIGNATURE-----\n",
			[]string{"message"}, []bool{true}, "inline text", 0},
		{"inline quoted", "From: s@example.org\n\nhe wrote:\n-----BEGIN PGP SIGNED MESSAGE-----\n\nx\n-----BEGIN PGP SIGNATURE-----\n-----END PGP SIGNATURE-----\n",
			[]string{"part"}, []bool{true}, "he wrote:\ninline text", 0},
		{"inline marker not at line start", "From: s@example.org\n\nsay -----BEGIN PGP MESSAGE----- and -----END PGP MESSAGE-----\n", nil, nil, "say", 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := Render(strings.NewReader(tt.raw), Options{Crypto: &fakeCrypto{}})
			if err != nil {
				t.Fatal(err)
			}
			if len(r.Signatures) != len(tt.covers) {
				t.Fatalf("Signatures = %+v, want %d", r.Signatures, len(tt.covers))
			}
			for i, s := range r.Signatures {
				if s.Covers != tt.covers[i] || s.FromOK != tt.fromOK[i] || strings.ContainsAny(s.From+s.Words(), "\x1b") {
					t.Errorf("signature %d = %+v", i, s)
				}
			}
			if len(r.Encryption) != tt.encrypted || !strings.Contains(r.Body, tt.body) {
				t.Errorf("Encryption = %+v, Body = %q", r.Encryption, r.Body)
			}
		})
	}
}

// TestRenderCryptoNested: encrypted parts inside encrypted parts stop at
// the nesting limit instead of recursing without end.
func TestRenderCryptoNested(t *testing.T) {
	entity := "Content-Type: text/plain\n\ncore\n"
	for i := 0; i < 40; i++ {
		entity = "Content-Type: multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=e\n\n" +
			"--e\nContent-Type: application/pgp-encrypted\n\nVersion: 1\n--e\nContent-Type: application/octet-stream\n\n" + entity + "\n--e--\n"
	}
	f := &fakeCrypto{}
	r, err := Render(strings.NewReader("From: a@example.org\n"+entity), Options{Crypto: f})
	if err != nil {
		t.Fatal(err)
	}
	if f.calls > maxCryptoOps || len(r.Warnings) == 0 {
		t.Errorf("calls = %d, warnings %v", f.calls, r.Warnings)
	}
}

// TestRenderCryptoBounded: a message with many signed parts runs the
// engine a bounded number of times.
func TestRenderCryptoBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("From: a@example.org\nContent-Type: multipart/mixed; boundary=o\n\n")
	_, signed, _ := strings.Cut(fakeSigned, "\n\n")
	for i := 0; i < 500; i++ {
		b.WriteString("--o\nContent-Type: multipart/signed; protocol=\"application/pgp-signature\"; boundary=s\n\n" + signed + "\n")
	}
	b.WriteString("--o--\n")
	f := &fakeCrypto{}
	r, err := Render(strings.NewReader(b.String()), Options{Crypto: f})
	if err != nil {
		t.Fatal(err)
	}
	if f.calls != maxCryptoOps || len(r.Signatures) != maxCryptoOps || !strings.Contains(strings.Join(r.Warnings, "\n"), "not checked") {
		t.Errorf("calls = %d, signatures %d, warnings %v", f.calls, len(r.Signatures), r.Warnings)
	}
}

func FuzzRenderCrypto(f *testing.F) {
	f.Add([]byte("From: s@example.org\n" + fakeSigned))
	f.Add([]byte("From: s@example.org\n\n-----BEGIN PGP MESSAGE-----\nx\n-----END PGP MESSAGE-----\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		if _, err := Render(strings.NewReader(string(raw)), Options{Crypto: &fakeCrypto{}}); err != nil {
			return
		}
	})
}

func TestEditorSignEncrypt(t *testing.T) {
	d, err := ParseEditorText("From: a@example.org\nTo: b@example.org\nSubject: s\n\nbody\n")
	if err != nil || d.Sign || d.Encrypt || strings.Contains(d.EditorText(), "Sign:") {
		t.Fatalf("plain draft: %+v, %v", d, err)
	}
	d, err = ParseEditorText("From: a@example.org\nTo: b@example.org\nSign: yes\nEncrypt: no\n\nbody\n")
	if err != nil || !d.Sign || d.Encrypt {
		t.Fatalf("Sign: yes: %+v, %v", d, err)
	}
	if _, err := ParseEditorText("To: b@example.org\nEncrypt: maybe\n\nbody\n"); err == nil {
		t.Error("Encrypt: maybe is accepted")
	}
	d, err = ParseEditorText("From: a@example.org\nTo: b@example.org\nX-Posta-Crypto: sign, encrypt, smime\n\nbody\n")
	if err != nil || !d.Sign || !d.Encrypt || !d.SMIME {
		t.Fatalf("X-Posta-Crypto: %+v, %v", d, err)
	}
	if !strings.Contains(d.EditorText(), "\nX-Posta-Crypto: sign, encrypt, smime\n") {
		t.Errorf("EditorText =\n%s", d.EditorText())
	}
	raw, err := d.Build(time.Now())
	if err != nil || strings.Contains(strings.ToLower(string(raw)), "x-posta-crypto") {
		t.Fatalf("the line is sent: %v\n%s", err, raw)
	}
	d, err = ParseEditorText("To: b@example.org\nX-Posta-Crypto: none\n\nbody\n")
	if err != nil || d.Sign || d.Encrypt || d.SMIME || strings.Contains(d.EditorText(), "X-Posta-Crypto") {
		t.Fatalf("none: %+v, %v", d, err)
	}
	if _, err := ParseEditorText("To: b@example.org\nX-Posta-Crypto: sing\n\nbody\n"); err == nil || !strings.Contains(err.Error(), "sing") {
		t.Errorf("a misspelt word is accepted: %v", err)
	}
}

// TestDraftKeepsCrypto: a draft saved in Drafts keeps its X-Posta-Crypto
// line, resuming it gives it back, and the message sent has none.
func TestDraftKeepsCrypto(t *testing.T) {
	d := Draft{From: "a@example.org", To: []string{"b@example.org"}, Subject: "s", Body: "b\n", Sign: true, Encrypt: true}
	saved, err := d.BuildDraft(time.Now())
	if err != nil || !strings.Contains(string(saved), "X-Posta-Crypto: sign, encrypt\r\n") {
		t.Fatalf("BuildDraft: %v\n%s", err, saved)
	}
	back, err := DraftFromMessage(saved)
	if err != nil || !back.Sign || !back.Encrypt || back.SMIME {
		t.Fatalf("resumed: %+v, %v", back, err)
	}
	sent, err := back.Build(time.Now())
	if err != nil || strings.Contains(strings.ToLower(string(sent)), "x-posta-crypto") {
		t.Fatalf("sent: %v\n%s", err, sent)
	}
}
