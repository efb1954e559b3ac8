package mailcrypto

import (
	"bytes"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"mime"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"time"

	"github.com/emersion/go-message/textproto"
)

// Write says how [Engine.Protect] signs and encrypts a message.
type Write struct {
	Sign, Encrypt bool
	// SMIME writes S/MIME (RFC 8551) instead of PGP/MIME.
	SMIME bool
	// Recipients are the addresses named in the message (To, Cc);
	// Hidden are the Bcc addresses, encrypted to without being named
	// (OpenPGP: their key ids are not written).
	Recipients, Hidden []string
	// Self is the sender's address: the message is also encrypted to it,
	// so the copy in Sent can be read.
	Self string
	// PGPKey signs instead of Self's key (fingerprint, key id, address).
	PGPKey string
	// SMIMECert and SMIMEKey are the sender's PEM certificate and key,
	// or SMIMECert a PKCS#12 file without a passphrase; "" with gpgsm
	// installed means gpgsm's key for Self.
	SMIMECert, SMIMEKey string
	// Peers are OpenPGP keys from Autocrypt (binary, by lower case
	// address), used for recipients gpg has no valid key for.
	Peers map[string][]byte
	// ProtectHeaders writes the Subject (and the other header fields a
	// reader shows) into the encrypted part and "..." outside.
	ProtectHeaders bool
}

// Missing returns the recipients (and the sender) that lack a key or
// certificate to encrypt to, with the reason; nil when w.Encrypt can be
// done.
func (e *Engine) Missing(w Write) []MissingKey {
	all := append(append(append([]string(nil), w.Recipients...), w.Hidden...), w.Self)
	all = uniqueFold(all)
	if w.SMIME {
		return e.MissingSMIMECerts(all)
	}
	return e.MissingPGPKeys(all, w.Peers)
}

func uniqueFold(in []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, a := range in {
		if a == "" || seen[strings.ToLower(a)] {
			continue
		}
		seen[strings.ToLower(a)] = true
		out = append(out, a)
	}
	return out
}

// Protect signs and/or encrypts a whole message (CRLF line ends) as w
// says. Encryption is refused, naming them, when a recipient lacks a key
// (the error wraps [ErrNoKey]).
func (e *Engine) Protect(raw []byte, w Write) ([]byte, error) {
	if !w.Sign && !w.Encrypt {
		return raw, nil
	}
	if w.Encrypt {
		if miss := e.Missing(w); len(miss) > 0 {
			return nil, fmt.Errorf("%w for %s", ErrNoKey, JoinMissing(miss))
		}
	}
	if w.ProtectHeaders && w.Encrypt {
		var err error
		if raw, err = protectHeaders(raw); err != nil {
			return nil, err
		}
	}
	if w.SMIME {
		if w.Sign {
			signed, err := e.SignSMIME(raw, w.Self, w.SMIMECert, w.SMIMEKey)
			if err != nil || !w.Encrypt {
				return signed, err
			}
			raw = signed
		}
		return e.EncryptSMIME(raw, uniqueFold(append(append(append([]string(nil), w.Recipients...), w.Hidden...), w.Self)))
	}
	signer := w.PGPKey
	if signer == "" {
		signer = w.Self
	}
	if !w.Encrypt {
		return e.SignPGP(raw, signer)
	}
	return e.encryptPGP(raw, w, signer)
}

// encryptPGP is EncryptPGP with Autocrypt peer keys: a recipient gpg
// has no valid key for is encrypted to with --recipient-file.
func (e *Engine) encryptPGP(raw []byte, w Write, signer string) ([]byte, error) {
	named := w.Recipients
	hidden := w.Hidden
	var files, hiddenFiles []string
	if len(w.Peers) > 0 {
		dir, err := os.MkdirTemp("", "posta-peers-")
		if err != nil {
			return nil, err
		}
		defer os.RemoveAll(dir)
		split := func(list []string, out *[]string) []string {
			var keep []string
			missing := map[string]bool{}
			for _, m := range e.MissingPGPKeys(list, nil) {
				missing[strings.ToLower(m.Addr)] = true
			}
			for _, a := range list {
				key := w.Peers[strings.ToLower(a)]
				if missing[strings.ToLower(a)] && len(key) > 0 {
					p := filepath.Join(dir, fmt.Sprintf("peer%d.gpg", len(files)+len(hiddenFiles)))
					if os.WriteFile(p, key, 0o600) == nil {
						*out = append(*out, p)
						continue
					}
				}
				keep = append(keep, a)
			}
			return keep
		}
		named = split(named, &files)
		hidden = split(hidden, &hiddenFiles)
	}
	return e.encryptPGPFiles(raw, named, hidden, files, hiddenFiles, w.Self, w.Sign, signer)
}

// protectHeaders copies the header fields a reader shows into the
// message's own entity (Protected Headers, "v1") and hides the Subject
// outside as "...".
func protectHeaders(raw []byte) ([]byte, error) {
	head, body, ok := bytes.Cut(raw, []byte("\r\n\r\n"))
	if !ok {
		return nil, errors.New("message header: no end")
	}
	h, err := textproto.ReadHeader(bufioReader(append(head, "\r\n\r\n"...)))
	if err != nil {
		return nil, fmt.Errorf("message header: %w", err)
	}
	ct := h.Get("Content-Type")
	if ct == "" {
		ct = "text/plain; charset=utf-8"
	}
	typ, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return nil, fmt.Errorf("Content-Type: %w", err)
	}
	params["protected-headers"] = "v1"
	h.Set("Content-Type", mime.FormatMediaType(typ, params))
	// The visible fields go into the entity; split keeps only the
	// content fields inside, so they are written there as content
	// fields' neighbours by marking them for the inner header.
	var inner []string
	for _, k := range []string{"Subject", "From", "To", "Cc", "Reply-To", "Date", "Message-Id"} {
		for _, v := range h.Values(k) {
			inner = append(inner, k+": "+v)
		}
	}
	if h.Has("Subject") {
		h.Set("Subject", "...")
	}
	h.Set(protectedMark, strings.Join(inner, "\x00"))
	var b bytes.Buffer
	if err := textproto.WriteHeader(&b, h); err != nil {
		return nil, err
	}
	b.Write(body)
	return b.Bytes(), nil
}

// protectedMark carries the protected fields from protectHeaders to
// split, which writes them into the entity; it never leaves the package.
const protectedMark = "X-Posta-Protected-Internal"

// SignSMIME turns a whole message into an S/MIME multipart/signed,
// signed with the PEM certificate and key (or a PKCS#12 file in cert),
// or, when neither is given, by gpgsm with self's certificate.
func (e *Engine) SignSMIME(raw []byte, self, cert, key string) ([]byte, error) {
	outer, entity, err := split(raw)
	if err != nil {
		return nil, err
	}
	var sig []byte
	if cert == "" {
		sig, err = e.gpgsmSign(entity, self)
	} else {
		sig, err = e.opensslSign(entity, cert, key)
	}
	if err != nil {
		return nil, err
	}
	return multipartSigned(outer, "This is an S/MIME signed message (RFC 8551)", entity,
		"Content-Type: application/pkcs7-signature; name=\"smime.p7s\"\r\n"+
			"Content-Transfer-Encoding: base64\r\n"+
			"Content-Disposition: attachment; filename=\"smime.p7s\"\r\n"+
			"Content-Description: S/MIME digital signature\r\n",
		base64Lines(sig), `protocol="application/pkcs7-signature"; micalg=sha-256`), nil
}

// smimeFiles gives the PEM certificate and key files for openssl: the
// given ones, or both taken out of a PKCS#12 file into dir.
func (e *Engine) smimeFiles(dir, cert, key string) (string, string, error) {
	low := strings.ToLower(cert)
	if !strings.HasSuffix(low, ".p12") && !strings.HasSuffix(low, ".pfx") {
		if key == "" {
			key = cert // one PEM file holding both
		}
		return cert, key, nil
	}
	out, human, err := e.opensslRun(dir, "pkcs12", "-in", cert, "-nodes", "-passin", "pass:")
	if err != nil {
		return "", "", fmt.Errorf("PKCS#12 file %s (posta reads those without a passphrase): %s", clean(cert), programFailure("openssl", err, reason(human)))
	}
	p := filepath.Join(dir, "self.pem")
	if err := os.WriteFile(p, out, 0o600); err != nil {
		return "", "", err
	}
	return p, p, nil
}

func (e *Engine) opensslSign(entity []byte, cert, key string) ([]byte, error) {
	dir, err := os.MkdirTemp("", "posta-smime-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	if cert, key, err = e.smimeFiles(dir, cert, key); err != nil {
		return nil, err
	}
	out, human, err := e.opensslStdin(dir, entity, "cms", "-sign", "-binary", "-md", "sha256", "-outform", "DER",
		"-signer", cert, "-inkey", key)
	if err != nil {
		return nil, fmt.Errorf("S/MIME sign: %s", programFailure("openssl", err, reason(human)))
	}
	return out, nil
}

// gpgsmRun runs gpgsm in batch mode, status lines on stderr.
func (e *Engine) gpgsmRun(stdin []byte, args ...string) ([]byte, string, error) {
	ctx, cancel := e.ctx()
	defer cancel()
	full := []string{"--batch", "--no-tty", "--status-fd", "2"}
	if e.opts.GnupgHome != "" {
		full = append(full, "--homedir", e.opts.GnupgHome)
	}
	if e.opts.NoPinentry {
		full = append(full, "--pinentry-mode", "cancel")
	}
	cmd := exec.CommandContext(ctx, "gpgsm", append(full, args...)...)
	cmd.Stdin = bytes.NewReader(stdin)
	stdout, stderr := &capped{max: maxDecrypted}, &capped{max: 1 << 20}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err := cmd.Run()
	var hum []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" && !strings.HasPrefix(line, "[GNUPG:]") {
			hum = append(hum, line)
		}
	}
	return stdout.Bytes(), strings.Join(hum, "; "), err
}

func (e *Engine) gpgsmSign(entity []byte, self string) ([]byte, error) {
	if _, err := exec.LookPath("gpgsm"); err != nil {
		return nil, errors.New("S/MIME sign: no smime_cert configured and gpgsm is not installed")
	}
	out, human, err := e.gpgsmRun(entity, "--include-certs", "-1", "--local-user", self, "--detach-sign")
	if err != nil || len(out) == 0 {
		return nil, fmt.Errorf("S/MIME sign as %s: %s", clean(self), programFailure("gpgsm", err, human))
	}
	return out, nil
}

// EncryptSMIME turns a whole message into an S/MIME enveloped-data
// (application/pkcs7-mime) for the certificates of recipients (the
// sender's among them).
func (e *Engine) EncryptSMIME(raw []byte, recipients []string) ([]byte, error) {
	outer, entity, err := split(raw)
	if err != nil {
		return nil, err
	}
	dir, err := os.MkdirTemp("", "posta-smime-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(dir)
	args := []string{"cms", "-encrypt", "-binary", "-aes-256-cbc", "-outform", "DER"}
	var missing []MissingKey
	for i, r := range recipients {
		cert, why := e.smimeCertFor(r)
		if cert == nil {
			missing = append(missing, MissingKey{Addr: clean(r), Reason: why})
			continue
		}
		p := filepath.Join(dir, fmt.Sprintf("r%d.pem", i))
		if err := os.WriteFile(p, cert, 0o600); err != nil {
			return nil, err
		}
		args = append(args, p)
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w for %s", ErrNoKey, JoinMissing(missing))
	}
	out, human, err := e.opensslStdin(dir, entity, args...)
	if err != nil {
		return nil, fmt.Errorf("S/MIME encrypt: %s", programFailure("openssl", err, reason(human)))
	}
	outer.Set("Content-Transfer-Encoding", "base64")
	outer.Set("Content-Disposition", "attachment; filename=\"smime.p7m\"")
	return assemble(outer, "application/pkcs7-mime; smime-type=enveloped-data; name=\"smime.p7m\"", base64Lines(out)), nil
}

// MissingSMIMECerts returns the addresses without a certificate to
// encrypt to.
func (e *Engine) MissingSMIMECerts(addrs []string) []MissingKey {
	var out []MissingKey
	for _, a := range addrs {
		if cert, why := e.smimeCertFor(a); cert == nil {
			out = append(out, MissingKey{Addr: clean(a), Reason: why})
		}
	}
	return out
}

// smimeCertFor finds a PEM certificate naming addr that is valid now:
// the sender's own (Options.SMIMECert), one in Options.SMIMECertDir, or
// gpgsm's.
func (e *Engine) smimeCertFor(addr string) ([]byte, string) {
	addr = strings.ToLower(addr)
	why := "no certificate"
	try := func(data []byte) []byte {
		for rest := data; ; {
			var blk *pem.Block
			blk, rest = pem.Decode(rest)
			if blk == nil {
				return nil
			}
			if blk.Type != "CERTIFICATE" {
				continue
			}
			c, err := x509.ParseCertificate(blk.Bytes)
			if err != nil || !certNames(c, addr) {
				continue
			}
			now := time.Now()
			if now.After(c.NotAfter) || now.Before(c.NotBefore) {
				why = "certificate expired"
				continue
			}
			return pem.EncodeToMemory(blk)
		}
	}
	if e.opts.SMIMECert != "" {
		if data, err := e.ownCertPEM(); err == nil {
			if c := try(data); c != nil {
				return c, ""
			}
		}
	}
	if e.opts.SMIMECertDir != "" {
		entries, _ := os.ReadDir(e.opts.SMIMECertDir)
		for _, ent := range entries {
			if data, err := os.ReadFile(filepath.Join(e.opts.SMIMECertDir, ent.Name())); err == nil {
				if c := try(data); c != nil {
					return c, ""
				}
			}
		}
	}
	if _, err := exec.LookPath("gpgsm"); err == nil {
		if out, _, err := e.gpgsmRun(nil, "--armor", "--export", "--", addr); err == nil {
			if c := try(out); c != nil {
				return c, ""
			}
		}
	}
	return nil, why
}

func certNames(c *x509.Certificate, addr string) bool {
	for _, a := range c.EmailAddresses {
		if strings.ToLower(a) == addr {
			return true
		}
	}
	for _, n := range c.Subject.Names {
		if n.Type.String() == "1.2.840.113549.1.9.1" { // emailAddress
			if s, ok := n.Value.(string); ok && strings.ToLower(s) == addr {
				return true
			}
		}
	}
	return false
}

// ownCertPEM reads Options.SMIMECert: a PEM file, or the certificates of
// a PKCS#12 file without a passphrase.
func (e *Engine) ownCertPEM() ([]byte, error) {
	low := strings.ToLower(e.opts.SMIMECert)
	if !strings.HasSuffix(low, ".p12") && !strings.HasSuffix(low, ".pfx") {
		return os.ReadFile(e.opts.SMIMECert)
	}
	out, human, err := e.opensslRun("", "pkcs12", "-in", e.opts.SMIMECert, "-nokeys", "-passin", "pass:")
	if err != nil {
		return nil, errors.New(programFailure("openssl", err, reason(human)))
	}
	return out, nil
}
