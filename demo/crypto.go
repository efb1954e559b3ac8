package demo

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/posta-mail/posta/mailcrypto"
)

// CryptoSetup is what [SetupCrypto] made: keys for the demo accounts and
// the configuration lines that use them.
type CryptoSetup struct {
	// Settings are TOML lines for each account's [[account]] table, by
	// account address.
	Settings map[string]string
	// Notes say what could not be made (gpg or openssl missing).
	Notes []string
	// Delivered are the messages delivered, by recipient address.
	Delivered map[string][][]byte
}

// SetupCrypto makes keys for the demo accounts under dir, never
// anywhere else: an OpenPGP key each in a GnuPG home of the demo's own
// (dir/g: short, for gpg-agent's socket), an S/MIME certificate each
// from a demo CA, and delivers a few signed and encrypted messages
// between them (good, tampered, S/MIME), so that the reader shows what
// it says about them. Nothing secret outlives dir.
func SetupCrypto(dir string, s *Servers, now time.Time) (*CryptoSetup, error) {
	out := &CryptoSetup{Settings: map[string]string{}, Delivered: map[string][][]byte{}}
	var alice, bob Account
	for _, a := range s.Accounts {
		if a.Kind == "imap" {
			alice = a
		} else {
			bob = a
		}
	}
	if alice.Address == "" || bob.Address == "" {
		return nil, errors.New("demo: no accounts to make keys for")
	}
	home := filepath.Join(dir, "g")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	certs := filepath.Join(dir, "certs")
	if err := os.MkdirAll(certs, 0o700); err != nil {
		return nil, err
	}
	display := func(a Account) string { return strings.ToUpper(a.Username[:1]) + a.Username[1:] }

	_, gpgErr := exec.LookPath("gpg")
	pgp := gpgErr == nil
	if pgp {
		for _, a := range []Account{alice, bob} {
			cmd := exec.Command("gpg", "--homedir", home, "--batch", "--no-tty", "--passphrase", "", "--pinentry-mode", "loopback",
				"--quick-gen-key", display(a)+" <"+a.Address+">", "future-default", "default", "never")
			if msg, err := cmd.CombinedOutput(); err != nil {
				return nil, fmt.Errorf("demo: gpg key for %s: %v: %s", a.Address, err, strings.TrimSpace(string(msg)))
			}
		}
	} else {
		out.Notes = append(out.Notes, "gpg is not installed: no OpenPGP keys or mail in the demo")
	}
	_, sslErr := exec.LookPath("openssl")
	smime := sslErr == nil
	var caFile string
	files := map[string][2]string{}
	if smime {
		var err error
		caFile, files, err = demoCerts(certs, now, alice, bob)
		if err != nil {
			return nil, err
		}
	} else {
		out.Notes = append(out.Notes, "openssl is not installed: no S/MIME in the demo")
	}
	for _, a := range []Account{alice, bob} {
		var b strings.Builder
		if pgp {
			fmt.Fprintf(&b, "gnupg_home = %q\npgp_sign = true\npgp_encrypt = \"when-possible\"\nautocrypt = true\n", home)
		}
		if smime {
			fmt.Fprintf(&b, "smime_cert = %q\nsmime_key = %q\nsmime_ca_file = %q\nsmime_certs = %q\n", files[a.Address][0], files[a.Address][1], caFile, certs)
		}
		out.Settings[a.Address] = b.String()
	}

	engine := func(a Account) *mailcrypto.Engine {
		return mailcrypto.New(&mailcrypto.Options{GnupgHome: home, SMIMECert: files[a.Address][0], SMIMEKey: files[a.Address][1], SMIMECertDir: certs, CAFile: caFile})
	}
	msg := func(from, to Account, subject, body string, ago time.Duration) []byte {
		return []byte(strings.ReplaceAll(fmt.Sprintf("From: %s <%s>\nTo: %s <%s>\nSubject: %s\nDate: %s\nMessage-ID: <crypto-%d@%s>\nMIME-Version: 1.0\nContent-Type: text/plain; charset=utf-8\n\n%s\n",
			display(from), from.Address, display(to), to.Address, subject, now.Add(-ago).Format(time.RFC1123Z), now.Add(-ago).UnixNano(), domain(from.Address), body), "\n", "\r\n"))
	}
	type mail struct {
		to  Account
		raw []byte
	}
	var mails []mail
	add := func(to Account, raw []byte, err error) error {
		if err != nil {
			return err
		}
		mails = append(mails, mail{to, raw})
		return nil
	}
	if pgp {
		eb := engine(bob)
		ac := mailcrypto.AutocryptHeader(bob.Address, eb.OwnKeyData(bob.Address), true)
		signed, err := eb.Protect(msg(bob, alice, "Signed (OpenPGP): the quarterly numbers", "The numbers are final: 42.\n\nThis message is signed with Bob's OpenPGP key; posta checks it with gpg.", 3*time.Minute), mailcrypto.Write{Sign: true, Self: bob.Address})
		if err := add(alice, signed, err); err != nil {
			return nil, err
		}
		sealed, err := eb.Protect(append([]byte(ac), msg(bob, alice, "Encrypted (OpenPGP): the door code", "The door code is 4711.\n\nEncrypted to Alice and to Bob, signed inside by Bob. The cache keeps it\nencrypted; posta decrypts it only while it is shown.", 2*time.Minute)...),
			mailcrypto.Write{Sign: true, Encrypt: true, Recipients: []string{alice.Address}, Self: bob.Address})
		if err := add(alice, sealed, err); err != nil {
			return nil, err
		}
		tampered, err := eb.Protect(msg(bob, alice, "Tampered (OpenPGP): signed, then changed", "Please pay the invoice to account 1234.", 4*time.Minute), mailcrypto.Write{Sign: true, Self: bob.Address})
		if err == nil {
			tampered = []byte(strings.Replace(string(tampered), "account 1234", "account 6666", 1))
		}
		if err := add(alice, tampered, err); err != nil {
			return nil, err
		}
		// Signed by a key the demo's keyring does not have: "unknown key".
		if stranger, err := strangerSigned(dir, msg(Account{Username: "carol", Address: "carol@elsewhere.example"}, alice, "Signed (OpenPGP) by a key you do not have", "Hello Alice, we have not met. This is signed with a key your keyring lacks.", 5*time.Minute)); err == nil {
			mails = append(mails, mail{alice, stranger})
		}
		ea := engine(alice)
		toBob, err := ea.Protect(append([]byte(mailcrypto.AutocryptHeader(alice.Address, ea.OwnKeyData(alice.Address), true)), msg(alice, bob, "Encrypted (OpenPGP): lunch plans", "Lunch at noon, the usual place. Encrypted to Bob and Alice.", 2*time.Minute)...),
			mailcrypto.Write{Sign: true, Encrypt: true, Recipients: []string{bob.Address}, Self: alice.Address})
		if err := add(bob, toBob, err); err != nil {
			return nil, err
		}
	}
	if smime {
		eb := engine(bob)
		signed, err := eb.Protect(msg(bob, alice, "Signed (S/MIME): the contract", "The contract is attached in spirit.\n\nSigned with Bob's S/MIME certificate from the demo CA.", 5*time.Minute),
			mailcrypto.Write{Sign: true, SMIME: true, Self: bob.Address, SMIMECert: files[bob.Address][0], SMIMEKey: files[bob.Address][1]})
		if err := add(alice, signed, err); err != nil {
			return nil, err
		}
		sealed, err := eb.Protect(msg(bob, alice, "Encrypted (S/MIME): the salary review", "Encrypted with S/MIME to Alice's certificate (and Bob's), signed inside.", 6*time.Minute),
			mailcrypto.Write{Sign: true, Encrypt: true, SMIME: true, Recipients: []string{alice.Address}, Self: bob.Address, SMIMECert: files[bob.Address][0], SMIMEKey: files[bob.Address][1]})
		if err := add(alice, sealed, err); err != nil {
			return nil, err
		}
	}
	for _, m := range mails {
		if err := s.Deliver(m.to.Address, m.raw); err != nil {
			return nil, err
		}
		out.Delivered[m.to.Address] = append(out.Delivered[m.to.Address], m.raw)
	}
	return out, nil
}

func domain(addr string) string {
	_, d, _ := strings.Cut(addr, "@")
	return d
}

// demoCerts makes a demo CA and an S/MIME certificate and key for each
// account, as PEM files in dir; files maps an address to its
// certificate and key paths.
func demoCerts(dir string, now time.Time, accounts ...Account) (caFile string, files map[string][2]string, err error) {
	caKey, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		return "", nil, err
	}
	caTpl := &x509.Certificate{
		SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "posta demo S/MIME CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageCRLSign, BasicConstraintsValid: true, IsCA: true,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTpl, caTpl, &caKey.PublicKey, caKey)
	if err != nil {
		return "", nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	caFile = filepath.Join(dir, "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER}), 0o600); err != nil {
		return "", nil, err
	}
	files = map[string][2]string{}
	for i, a := range accounts {
		k, err := rsa.GenerateKey(rand.Reader, 2048)
		if err != nil {
			return "", nil, err
		}
		tpl := &x509.Certificate{
			SerialNumber: big.NewInt(int64(i + 2)), Subject: pkix.Name{CommonName: a.Username, Organization: []string{"posta demo"}},
			EmailAddresses: []string{a.Address},
			NotBefore:      now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage:    x509.KeyUsageDigitalSignature | x509.KeyUsageKeyEncipherment,
			ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageEmailProtection},
		}
		der, err := x509.CreateCertificate(rand.Reader, tpl, ca, &k.PublicKey, caKey)
		if err != nil {
			return "", nil, err
		}
		kd, err := x509.MarshalPKCS8PrivateKey(k)
		if err != nil {
			return "", nil, err
		}
		cert := filepath.Join(dir, a.Username+".pem")
		key := filepath.Join(filepath.Dir(dir), a.Username+"-smime.key") // not among the certificates
		if err := os.WriteFile(cert, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
			return "", nil, err
		}
		if err := os.WriteFile(key, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: kd}), 0o600); err != nil {
			return "", nil, err
		}
		files[a.Address] = [2]string{cert, key}
	}
	return caFile, files, nil
}

// StopCrypto ends the gpg-agent the demo's GnuPG home started.
func StopCrypto(dir string) {
	_ = exec.Command("gpgconf", "--homedir", filepath.Join(dir, "g"), "--kill", "all").Run()
}

// strangerSigned signs raw with a key made for its From address in a
// GnuPG home of its own, removed at once: nobody's keyring has it.
func strangerSigned(dir string, raw []byte) ([]byte, error) {
	home := filepath.Join(dir, "s")
	if err := os.MkdirAll(home, 0o700); err != nil {
		return nil, err
	}
	defer os.RemoveAll(home)
	defer exec.Command("gpgconf", "--homedir", home, "--kill", "all").Run()
	if out, err := exec.Command("gpg", "--homedir", home, "--batch", "--no-tty", "--passphrase", "", "--pinentry-mode", "loopback",
		"--quick-gen-key", "Carol <carol@elsewhere.example>", "future-default", "default", "never").CombinedOutput(); err != nil {
		return nil, fmt.Errorf("gpg: %v: %s", err, out)
	}
	return mailcrypto.New(&mailcrypto.Options{GnupgHome: home}).Protect(raw, mailcrypto.Write{Sign: true, Self: "carol@elsewhere.example"})
}
