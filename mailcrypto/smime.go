package mailcrypto

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
)

// opensslRun runs openssl with args in dir and returns stdout and stderr.
func (e *Engine) opensslRun(dir string, args ...string) (out []byte, human string, err error) {
	return e.opensslStdin(dir, nil, args...)
}

// opensslStdin is opensslRun with stdin.
func (e *Engine) opensslStdin(dir string, stdin []byte, args ...string) (out []byte, human string, err error) {
	ctx, cancel := e.ctx()
	defer cancel()
	cmd := exec.CommandContext(ctx, e.opensslPath(), args...)
	cmd.Dir = dir
	cmd.Stdin = bytes.NewReader(stdin)
	stdout, stderr := &capped{max: maxDecrypted}, &capped{max: 1 << 20}
	cmd.Stdout, cmd.Stderr = stdout, stderr
	err = cmd.Run()
	if stdout.over {
		err = errTooLarge
	}
	var hum []string
	for _, line := range strings.Split(stderr.String(), "\n") {
		if line = strings.TrimSpace(line); line != "" {
			hum = append(hum, line)
		}
	}
	return stdout.Bytes(), strings.Join(hum, "; "), err
}

// smimeVerify checks a detached S/MIME (CMS) signature in DER form over
// signed. The chain is checked against the system roots and
// Options.CAFile; a signature that is intact but whose certificate does
// not chain to them is Good with Trust "unverified".
func (e *Engine) smimeVerify(signed, sig []byte) *Signature {
	files := map[string][]byte{"sig.der": sig}
	// The signed content may come from a decrypted message: it goes
	// through a pipe, not a file, where the system has /dev/stdin.
	content := "/dev/stdin"
	if runtime.GOOS == "windows" {
		content = "content"
		files[content] = signed
	}
	s, _ := e.smimeCheck(files, signed, "-in", "sig.der", "-binary", "-content", content, "-out", os.DevNull)
	return s
}

// smimeOpaque verifies an opaque S/MIME signed-data (DER) and returns the
// MIME entity it carries; content is nil when the signature is bad.
func (e *Engine) smimeOpaque(data []byte) *decrypted {
	s, content := e.smimeCheck(nil, data, "-binary") // data on stdin: it carries the content
	d := &decrypted{sig: s}
	if s.State != Bad && s.State != Error {
		d.plain = content
	}
	return d
}

// smimeCheck runs openssl cms -verify with the files in a temp dir, stdin
// and the extra args, first against the trusted roots, then,
// when that fails, without checking the chain, to tell an intact
// signature from an untrusted certificate from a broken signature.
func (e *Engine) smimeCheck(files map[string][]byte, stdin []byte, extra ...string) (*Signature, []byte) {
	s := &Signature{Protocol: "S/MIME"}
	dir, err := os.MkdirTemp("", "posta-smime-")
	if err != nil {
		s.State, s.Detail = Error, clean(err.Error())
		return s, nil
	}
	defer os.RemoveAll(dir)
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o600); err != nil {
			s.State, s.Detail = Error, clean(err.Error())
			return s, nil
		}
	}
	args := append([]string{"cms", "-verify", "-inform", "DER", "-signer", "signer.pem", "-purpose", "any"}, extra...)
	if e.opts.CAFile != "" {
		args = append(args, "-CAfile", e.opts.CAFile)
	}
	out, human, err := e.opensslStdin(dir, stdin, args...)
	switch {
	case err == nil:
		s.State, s.Trust = Good, "verified"
	default:
		var nf *exec.Error
		if errors.As(err, &nf) {
			s.State, s.Detail = Error, "openssl is not installed"
			return s, nil
		}
		// Intact but not trusted, or not intact at all?
		var err2 error
		out, _, err2 = e.opensslStdin(dir, stdin, append(args, "-noverify")...)
		if err2 != nil {
			s.State, s.Detail = Bad, reason(human)
			out = nil
			break
		}
		s.State, s.Trust = Good, "unverified"
		if strings.Contains(human, "certificate has expired") {
			s.State = ExpiredKey
		} else if strings.Contains(human, "certificate revoked") {
			s.State = RevokedKey
		} else {
			s.Detail = "certificate not trusted: " + reason(human)
		}
	}
	e.smimeSigner(dir, s)
	s.Detail = clean(s.Detail)
	return s, out
}

// smimeSigner fills in the signer's subject, fingerprint and addresses
// from the signer.pem that openssl wrote.
func (e *Engine) smimeSigner(dir string, s *Signature) {
	if _, err := os.Stat(filepath.Join(dir, "signer.pem")); err != nil {
		return
	}
	out, _, err := e.opensslRun(dir, "x509", "-in", "signer.pem", "-noout", "-subject", "-nameopt", "RFC2253", "-fingerprint", "-sha256", "-email")
	if err != nil {
		return
	}
	for _, line := range strings.Split(string(out), "\n") {
		line = strings.TrimSpace(line)
		switch {
		case strings.HasPrefix(line, "subject="):
			s.Signer = clean(strings.TrimPrefix(line, "subject="))
		case strings.Contains(line, "Fingerprint="):
			_, fp, _ := strings.Cut(line, "=")
			s.Key = clean(strings.ReplaceAll(fp, ":", ""))
		case strings.Contains(line, "@"):
			s.Emails = append(s.Emails, clean(strings.ToLower(line)))
		}
	}
}

// smimeDecrypt decrypts an S/MIME enveloped-data (DER) with the key and
// certificate of Options.SMIMEKey and SMIMECert.
func (e *Engine) smimeDecrypt(data []byte) *decrypted {
	enc := &Encryption{Protocol: "S/MIME"}
	d := &decrypted{enc: enc}
	if e.opts.SMIMECert == "" {
		enc.Detail = "no S/MIME key configured"
		return d
	}
	dir, err := os.MkdirTemp("", "posta-smime-")
	if err != nil {
		enc.Detail = clean(err.Error())
		return d
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "in.der"), data, 0o600); err != nil {
		enc.Detail = clean(err.Error())
		return d
	}
	cert, key, err := e.smimeFiles(dir, e.opts.SMIMECert, e.opts.SMIMEKey) // PEM, or a PKCS#12 file
	if err != nil {
		enc.Detail = clean(err.Error())
		return d
	}
	if out, _, err := e.opensslRun(dir, "x509", "-in", cert, "-noout", "-subject", "-nameopt", "RFC2253"); err == nil {
		enc.Recipients = []string{clean(strings.TrimPrefix(strings.TrimSpace(string(out)), "subject="))}
	}
	out, human, err := e.opensslRun(dir, "cms", "-decrypt", "-binary", "-inform", "DER", "-in", "in.der",
		"-recip", cert, "-inkey", key)
	if err != nil {
		enc.Detail = clean(programFailure("openssl", err, reason(human)))
		return d
	}
	enc.Decrypted, d.plain = true, out
	return d
}

// reason keeps the useful part of openssl's error lines.
func reason(human string) string {
	for _, part := range strings.Split(human, "; ") {
		if i := strings.Index(part, "Verify error:"); i >= 0 {
			return strings.TrimSpace(part[i+len("Verify error:"):])
		}
	}
	for _, part := range strings.Split(human, "; ") {
		if f := strings.Split(part, ":"); len(f) > 1 && strings.Contains(part, "error:") {
			return strings.TrimSpace(f[len(f)-1])
		}
	}
	if len(human) > 200 {
		human = human[:200] + "…"
	}
	return human
}
