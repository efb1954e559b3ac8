package mailcrypto

import (
	"bytes"
	"errors"
	"net/mail"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
)

// gpgRun runs gpg in batch mode with the status lines on stderr. It
// returns stdout, the status lines (without their "[GNUPG:] " prefix) and
// the other stderr lines.
func (e *Engine) gpgRun(stdin []byte, args ...string) (out []byte, status [][]string, human string, err error) {
	ctx, cancel := e.ctx()
	defer cancel()
	full := []string{"--batch", "--no-tty", "--status-fd", "2", "--no-auto-key-retrieve", "--with-colons"}
	if e.opts.GnupgHome != "" {
		full = append(full, "--homedir", e.opts.GnupgHome)
	}
	if e.opts.NoPinentry {
		full = append(full, "--pinentry-mode", "cancel")
	}
	cmd := exec.CommandContext(ctx, e.gpgPath(), append(full, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	stdout, stderr := &capped{max: maxDecrypted}, &capped{max: 1 << 20}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	if stdout.over {
		err = errTooLarge
	}
	var hum []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if rest, ok := strings.CutPrefix(line, "[GNUPG:] "); ok {
			status = append(status, strings.Fields(rest))
		} else if strings.TrimSpace(line) != "" {
			hum = append(hum, strings.TrimSpace(line))
		}
	}
	return stdout.Bytes(), status, strings.Join(hum, "; "), err
}

// gpgVerify checks a detached OpenPGP signature.
func (e *Engine) gpgVerify(signed, sig []byte) *Signature {
	dir, err := os.MkdirTemp("", "posta-verify-")
	if err != nil {
		return &Signature{Protocol: "OpenPGP", State: Error, Detail: clean(err.Error())}
	}
	defer os.RemoveAll(dir)
	sigFile := filepath.Join(dir, "signature.asc")
	if err := os.WriteFile(sigFile, sig, 0o600); err != nil {
		return &Signature{Protocol: "OpenPGP", State: Error, Detail: clean(err.Error())}
	}
	_, status, human, err := e.gpgRun(signed, "--verify", sigFile, "-")
	if s := e.gpgSignature(status); s != nil {
		return s
	}
	return &Signature{Protocol: "OpenPGP", State: Error, Detail: programFailure("gpg", err, human)}
}

// gpgDecrypt decrypts an OpenPGP message, or verifies a clear-signed
// one (inline), with gpg --decrypt.
func (e *Engine) gpgDecrypt(data []byte, inline bool) *decrypted {
	out, status, human, err := e.gpgRun(data, "--decrypt")
	if errors.Is(err, errTooLarge) {
		return &decrypted{enc: &Encryption{Protocol: "OpenPGP", Inline: inline, Detail: err.Error()}}
	}
	d := &decrypted{sig: e.gpgSignature(status)}
	if d.sig != nil {
		d.sig.Inline = inline
	}
	var encTo, noSec []string
	encrypted, ok, failed, locked := false, false, false, false
	for _, f := range status {
		switch f[0] {
		case "ENC_TO":
			encrypted = true
			if len(f) > 1 {
				encTo = append(encTo, f[1])
			}
		case "BEGIN_DECRYPTION", "DECRYPTION_INFO":
			encrypted = true
		case "DECRYPTION_OKAY":
			ok = true
		case "DECRYPTION_FAILED":
			failed = true
		case "ERROR":
			// pkdecrypt_failed with GPG_ERR_CANCELED (99) or
			// GPG_ERR_NO_PIN_ENTRY (85): the key wants its passphrase.
			if code, err := strconv.Atoi(field(f, 2)); err == nil && field(f, 1) == "pkdecrypt_failed" && (code&0xffff == 99 || code&0xffff == 85) {
				locked = true
			}
		case "NO_SECKEY":
			if len(f) > 1 {
				noSec = append(noSec, f[1])
			}
		}
	}
	if !encrypted && d.sig == nil && inline && bytes.Contains(data, []byte("-----BEGIN PGP SIGNED MESSAGE-----")) {
		// A clear-signed block gpg could not check at all.
		d.sig = &Signature{Protocol: "OpenPGP", State: Error, Inline: true, Detail: programFailure("gpg", err, human)}
		return d
	}
	if encrypted || (!ok && d.sig == nil) {
		enc := &Encryption{Protocol: "OpenPGP", Decrypted: ok && !failed, Inline: inline}
		for _, id := range encTo {
			enc.Recipients = append(enc.Recipients, e.gpgKeyName(id))
		}
		switch {
		case enc.Decrypted:
		case locked:
			enc.Detail = "your key needs its passphrase: unlock it in gpg-agent, or read the message with posta read"
		case len(noSec) > 0 && len(noSec) == len(encTo):
			enc.Detail = "none of its keys is in your keyring"
		default:
			enc.Detail = programFailure("gpg", err, human)
		}
		d.enc = enc
	}
	if (d.enc == nil || d.enc.Decrypted) && (d.sig != nil || d.enc != nil) {
		d.plain = out
	}
	return d
}

// gpgSignature reads the first signature's result from gpg's status
// lines; nil if there was no signature.
func (e *Engine) gpgSignature(status [][]string) *Signature {
	var s *Signature
	var primary string
	for _, f := range status {
		rest := func(i int) string {
			if len(f) > i {
				return unescapeStatus(strings.Join(f[i:], " "))
			}
			return ""
		}
		switch f[0] {
		case "NEWSIG":
			if s != nil {
				return e.finishSig(s, primary) // only the first signature
			}
			s = &Signature{Protocol: "OpenPGP"}
			continue
		}
		if s == nil {
			switch f[0] {
			case "GOODSIG", "BADSIG", "EXPSIG", "EXPKEYSIG", "REVKEYSIG", "ERRSIG":
				s = &Signature{Protocol: "OpenPGP"}
			default:
				continue
			}
		}
		switch f[0] {
		case "GOODSIG":
			s.State, s.Key, s.Signer = Good, field(f, 1), rest(2)
		case "EXPSIG":
			s.State, s.Key, s.Signer = ExpiredSig, field(f, 1), rest(2)
		case "EXPKEYSIG":
			s.State, s.Key, s.Signer = ExpiredKey, field(f, 1), rest(2)
		case "REVKEYSIG":
			s.State, s.Key, s.Signer = RevokedKey, field(f, 1), rest(2)
		case "BADSIG":
			s.State, s.Key, s.Signer = Bad, field(f, 1), rest(2)
		case "ERRSIG":
			s.Key = field(f, 1)
			if fpr := field(f, 7); fpr != "" && fpr != "-" {
				s.Key = fpr
			}
			if field(f, 6) == "9" {
				s.State = UnknownKey
			} else {
				s.State, s.Detail = Error, "gpg error code "+field(f, 6)
			}
		case "NO_PUBKEY":
			s.State = UnknownKey
		case "VALIDSIG":
			s.Key = field(f, 1)
			primary = field(f, 10)
		case "TRUST_UNDEFINED", "TRUST_NEVER", "TRUST_MARGINAL", "TRUST_FULLY", "TRUST_ULTIMATE":
			s.Trust = strings.ToLower(strings.TrimPrefix(f[0], "TRUST_"))
			if s.Trust == "fully" {
				s.Trust = "full"
			}
		}
	}
	if s == nil {
		return nil
	}
	return e.finishSig(s, primary)
}

// finishSig adds the key's addresses and cleans the strings.
func (e *Engine) finishSig(s *Signature, primary string) *Signature {
	if s.State == "" {
		s.State = Error
	}
	lookup := primary
	if lookup == "" {
		lookup = s.Key
	}
	if lookup != "" && s.State != UnknownKey {
		_, s.Emails = e.gpgKey(lookup)
	}
	if s.Signer != "" {
		if a, err := mail.ParseAddress(s.Signer); err == nil && len(s.Emails) == 0 {
			s.Emails = []string{strings.ToLower(a.Address)}
		}
	}
	s.Signer, s.Key, s.Detail = clean(s.Signer), clean(s.Key), clean(s.Detail)
	for i := range s.Emails {
		s.Emails[i] = clean(s.Emails[i])
	}
	return s
}

// gpgKey lists a public key: its first user id and the addresses of all
// its user ids.
func (e *Engine) gpgKey(id string) (name string, emails []string) {
	if !looksLikeKeyID(id) {
		return "", nil
	}
	out, _, _, err := e.gpgRun(nil, "--fixed-list-mode", "--list-keys", "0x"+strings.TrimPrefix(id, "0x"))
	if err != nil {
		return "", nil
	}
	for _, line := range strings.Split(string(out), "\n") {
		f := strings.Split(line, ":")
		if len(f) < 10 || f[0] != "uid" {
			continue
		}
		uid := unescapeColons(f[9])
		if name == "" {
			name = uid
		}
		if a, err := mail.ParseAddress(uid); err == nil {
			emails = append(emails, strings.ToLower(a.Address))
		} else if i, j := strings.LastIndex(uid, "<"), strings.LastIndex(uid, ">"); i >= 0 && j > i {
			emails = append(emails, strings.ToLower(uid[i+1:j]))
		}
	}
	return name, emails
}

// gpgKeyName names a key id for the "encrypted to" list.
func (e *Engine) gpgKeyName(id string) string {
	if name, _ := e.gpgKey(id); name != "" {
		return clean(name) + " (key " + clean(id) + ")"
	}
	return "key " + clean(id)
}

func looksLikeKeyID(id string) bool {
	id = strings.TrimPrefix(id, "0x")
	if len(id) < 8 || len(id) > 64 {
		return false
	}
	for _, r := range id {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

func field(f []string, i int) string {
	if len(f) > i {
		return f[i]
	}
	return ""
}

// unescapeStatus undoes the %XX escapes of status line arguments.
func unescapeStatus(s string) string { return unescapeHex(s, "%", 2) }

// unescapeColons undoes the \xHH escapes of --with-colons output.
func unescapeColons(s string) string { return unescapeHex(s, `\x`, 2) }

func unescapeHex(s, prefix string, width int) string {
	var b strings.Builder
	for {
		i := strings.Index(s, prefix)
		if i < 0 || i+len(prefix)+width > len(s) {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		v, err := strconv.ParseUint(s[i+len(prefix):i+len(prefix)+width], 16, 8)
		if err != nil {
			b.WriteString(prefix)
			s = s[i+len(prefix):]
			continue
		}
		b.WriteByte(byte(v))
		s = s[i+len(prefix)+width:]
	}
}

// errTooLarge: a program wrote more than maxDecrypted.
var errTooLarge = errors.New("the decrypted message is too large to show")

// capped keeps what is written to it up to max bytes and then fails, so a
// compressed message that decompresses without end stops the program.
// (Not an embedded bytes.Buffer: io.Copy would use its ReadFrom.)
type capped struct {
	buf  bytes.Buffer
	max  int
	over bool
}

func (c *capped) Write(p []byte) (int, error) {
	if c.buf.Len()+len(p) > c.max {
		c.over = true
		return 0, errTooLarge
	}
	return c.buf.Write(p)
}

func (c *capped) Bytes() []byte  { return c.buf.Bytes() }
func (c *capped) String() string { return c.buf.String() }

// programFailure words a failed run of a program.
func programFailure(prog string, err error, human string) string {
	if errors.Is(err, errTooLarge) {
		return err.Error()
	}
	var nf *exec.Error
	if errors.As(err, &nf) {
		return prog + " is not installed"
	}
	if human != "" {
		if len(human) > 300 {
			human = human[:300] + "…"
		}
		return clean(prog + ": " + human)
	}
	if err != nil {
		return clean(prog + ": " + err.Error())
	}
	return prog + " gave no result"
}
