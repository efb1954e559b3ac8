package mailcrypto

import (
	"bufio"
	"bytes"
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/emersion/go-message/textproto"
)

// contentFields are the header fields that describe the body: they move
// into the signed or encrypted entity, the others stay outside.
var contentFields = []string{"Content-Type", "Content-Transfer-Encoding", "Content-Disposition", "Content-Id", "Content-Description", "Content-Language"}

// split separates a whole message (CRLF line ends) into its outer header,
// without the content fields, and its MIME entity: the content fields and
// the body, made 7-bit clean so that no server changes a signed byte.
func split(raw []byte) (outer textproto.Header, entity []byte, err error) {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, err := textproto.ReadHeader(br)
	if err != nil {
		return outer, nil, fmt.Errorf("message header: %w", err)
	}
	body, err := io.ReadAll(br)
	if err != nil {
		return outer, nil, err
	}
	var inner textproto.Header
	if prot := h.Get(protectedMark); prot != "" {
		for _, f := range strings.Split(prot, "\x00") {
			if k, v, ok := strings.Cut(f, ": "); ok {
				inner.Add(k, v)
			}
		}
	}
	h.Del(protectedMark)
	for _, k := range contentFields {
		for _, v := range h.Values(k) {
			inner.Add(k, v)
		}
		h.Del(k)
	}
	if !inner.Has("Content-Type") {
		inner.Set("Content-Type", "text/plain; charset=utf-8")
	}
	cte := strings.ToLower(strings.TrimSpace(inner.Get("Content-Transfer-Encoding")))
	if (cte == "" || cte == "7bit" || cte == "8bit" || cte == "binary") && !sevenBitSafe(body) {
		inner.Set("Content-Transfer-Encoding", "base64")
		body = base64Lines(body)
	}
	var b bytes.Buffer
	if err := textproto.WriteHeader(&b, inner); err != nil {
		return outer, nil, err
	}
	b.Write(body)
	h.Set("MIME-Version", "1.0")
	return h, b.Bytes(), nil
}

// sevenBitSafe reports whether body survives any mail server unchanged:
// ASCII, lines under 900 bytes, no trailing white space, no "From " line.
func sevenBitSafe(body []byte) bool {
	for _, line := range bytes.Split(body, []byte("\r\n")) {
		if len(line) > 900 || bytes.HasPrefix(line, []byte("From ")) ||
			(len(line) > 0 && (line[len(line)-1] == ' ' || line[len(line)-1] == '\t')) {
			return false
		}
		for _, c := range line {
			if c >= 0x80 || c == '\r' || c == '\n' || c == 0 {
				return false
			}
		}
	}
	return true
}

func base64Lines(b []byte) []byte {
	enc := base64.StdEncoding.EncodeToString(b)
	var out bytes.Buffer
	for len(enc) > 76 {
		out.WriteString(enc[:76] + "\r\n")
		enc = enc[76:]
	}
	out.WriteString(enc + "\r\n")
	return out.Bytes()
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }

func boundary() string {
	var b [12]byte
	_, _ = rand.Read(b[:])
	return "posta-" + hex.EncodeToString(b[:])
}

// assemble writes the outer header with a new Content-Type and the body.
func assemble(outer textproto.Header, contentType string, body []byte) []byte {
	outer.Set("Content-Type", contentType)
	var b bytes.Buffer
	_ = textproto.WriteHeader(&b, outer)
	b.Write(body)
	return b.Bytes()
}

// micalgs maps gpg's hash algorithm numbers (SIG_CREATED) to micalg.
var micalgs = map[string]string{"2": "pgp-sha1", "8": "pgp-sha256", "9": "pgp-sha384", "10": "pgp-sha512", "11": "pgp-sha224"}

// SignPGP turns a whole message (CRLF line ends) into a PGP/MIME
// multipart/signed (RFC 3156) signed with gpg by the key of signer (an
// address or key id; the agent may ask for its passphrase).
func (e *Engine) SignPGP(raw []byte, signer string) ([]byte, error) {
	outer, entity, err := split(raw)
	if err != nil {
		return nil, err
	}
	sig, micalg, err := e.detachSign(entity, signer)
	if err != nil {
		return nil, err
	}
	return multipartSigned(outer, "This is an OpenPGP/MIME signed message (RFC 4880 and 3156)", entity,
		"Content-Type: application/pgp-signature; name=\"signature.asc\"\r\n"+
			"Content-Description: OpenPGP digital signature\r\n"+
			"Content-Disposition: attachment; filename=\"signature.asc\"\r\n",
		bytes.ReplaceAll(bytes.ReplaceAll(sig, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")),
		fmt.Sprintf("micalg=%s; protocol=\"application/pgp-signature\"", micalg)), nil
}

// multipartSigned puts entity and its detached signature (the part's
// header lines, then sig) in a multipart/signed body (RFC 1847) under
// outer; params are the Content-Type's parameters before the boundary.
func multipartSigned(outer textproto.Header, preamble string, entity []byte, sigHeader string, sig []byte, params string) []byte {
	bd := boundary()
	var body bytes.Buffer
	body.WriteString(preamble + "\r\n")
	body.WriteString("--" + bd + "\r\n")
	body.Write(entity)
	body.WriteString("\r\n--" + bd + "\r\n")
	body.WriteString(sigHeader + "\r\n")
	body.Write(sig)
	body.WriteString("\r\n--" + bd + "--\r\n")
	return assemble(outer, "multipart/signed; "+params+"; boundary=\""+bd+"\"", body.Bytes())
}

// detachSign signs entity with gpg, or with the built-in keyring when
// gpg is not installed; micalg names the hash.
func (e *Engine) detachSign(entity []byte, signer string) (sig []byte, micalg string, err error) {
	if e.useBuiltin() {
		return e.builtinSign(entity, signer)
	}
	sig, status, human, err := e.gpgRun(entity, "--armor", "--detach-sign", "--local-user", signer)
	for _, f := range status {
		if f[0] == "SIG_CREATED" {
			micalg = micalgs[field(f, 3)]
		}
	}
	if err != nil || micalg == "" {
		return nil, "", fmt.Errorf("sign as %s: %s", clean(signer), programFailure("gpg", err, human))
	}
	return sig, micalg, nil
}

// ErrNoKey is returned by EncryptPGP when some recipients have no usable
// key; the error names them.
var ErrNoKey = errors.New("no usable OpenPGP key")

// EncryptPGP turns a whole message (CRLF line ends) into a PGP/MIME
// multipart/encrypted for recipients, hidden recipients (Bcc: their key
// ids are not written in the message) and self (so the sender can read
// its copy in Sent), signed inside by self's key when sign is set. It
// produces nothing when a recipient has no usable key, naming every such
// recipient.
func (e *Engine) EncryptPGP(raw []byte, recipients, hidden []string, self string, sign bool) ([]byte, error) {
	return e.encryptPGPFiles(raw, recipients, hidden, nil, nil, self, sign, self)
}

// encryptPGPFiles is EncryptPGP with recipients also given as key files
// (named and hidden), signed by signer.
func (e *Engine) encryptPGPFiles(raw []byte, recipients, hidden, files, hiddenFiles []string, self string, sign bool, signer string) ([]byte, error) {
	outer, entity, err := split(raw)
	if err != nil {
		return nil, err
	}
	out, err := e.encryptEntity(entity, recipients, hidden, files, hiddenFiles, self, sign, signer)
	if err != nil {
		return nil, err
	}
	bd := boundary()
	var body bytes.Buffer
	body.WriteString("This is an OpenPGP/MIME encrypted message (RFC 4880 and 3156)\r\n")
	body.WriteString("--" + bd + "\r\n")
	body.WriteString("Content-Type: application/pgp-encrypted\r\nContent-Description: PGP/MIME version identification\r\n\r\nVersion: 1\r\n\r\n")
	body.WriteString("--" + bd + "\r\n")
	body.WriteString("Content-Type: application/octet-stream; name=\"encrypted.asc\"\r\n")
	body.WriteString("Content-Description: OpenPGP encrypted message\r\n")
	body.WriteString("Content-Disposition: inline; filename=\"encrypted.asc\"\r\n\r\n")
	body.Write(bytes.ReplaceAll(bytes.ReplaceAll(out, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n")))
	body.WriteString("\r\n--" + bd + "--\r\n")
	ct := fmt.Sprintf("multipart/encrypted; protocol=\"application/pgp-encrypted\"; boundary=\"%s\"", bd)
	return assemble(outer, ct, body.Bytes()), nil
}

// encryptEntity encrypts entity with gpg, or with the built-in keyring
// when gpg is not installed.
func (e *Engine) encryptEntity(entity []byte, recipients, hidden, files, hiddenFiles []string, self string, sign bool, signer string) ([]byte, error) {
	if e.useBuiltin() {
		if len(hiddenFiles) > 0 {
			hidden = append(hidden, "Bcc")
		}
		var keys [][]byte
		for _, f := range files {
			data, err := os.ReadFile(f)
			if err != nil {
				return nil, err
			}
			keys = append(keys, data)
		}
		return e.builtinEncrypt(entity, append(append([]string(nil), recipients...), self), hidden, keys, sign, signer)
	}
	// Keys come from the keyring (and the files) only: never from the
	// network while sending.
	args := []string{"--armor", "--encrypt", "--auto-key-locate", "local"}
	for _, r := range append(append([]string(nil), recipients...), self) {
		args = append(args, "--recipient", r)
	}
	for _, r := range hidden {
		args = append(args, "--hidden-recipient", r)
	}
	for _, f := range files {
		args = append(args, "--recipient-file", f)
	}
	for _, f := range hiddenFiles {
		args = append(args, "--hidden-recipient-file", f)
	}
	if sign {
		args = append(args, "--sign", "--local-user", signer)
	}
	out, status, human, err := e.gpgRun(entity, args...)
	var missing []string
	for _, f := range status {
		if f[0] == "INV_RECP" || f[0] == "INV_SGNR" {
			missing = append(missing, unescapeStatus(strings.Join(f[2:], " ")))
		}
	}
	if len(missing) > 0 {
		return nil, fmt.Errorf("%w for %s", ErrNoKey, clean(strings.Join(missing, ", ")))
	}
	if err != nil {
		return nil, fmt.Errorf("encrypt: %s", programFailure("gpg", err, human))
	}
	return out, nil
}
