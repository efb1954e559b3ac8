package message

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mailcrypto"
	"github.com/posta-mail/posta/sanitize"
)

// Crypto verifies and decrypts the signed and encrypted parts of a message
// while it is rendered; *mailcrypto.Engine implements it. [Render]
// without one (indexing, sync) leaves them as they are, so decrypted text
// never reaches the cache or the search index.
type Crypto interface {
	// Verify checks a detached signature over the canonical (CRLF) bytes
	// of the signed part; protocol is the multipart/signed's parameter.
	Verify(protocol string, signed, sig []byte) *mailcrypto.Signature
	// Decrypt decrypts the data of a multipart/encrypted or of an
	// application/pkcs7-mime part. plain is nil when it failed.
	Decrypt(protocol string, data []byte) (plain []byte, enc *mailcrypto.Encryption, sig *mailcrypto.Signature)
	// Inline verifies or decrypts an ASCII armored OpenPGP block found
	// in a text part. text is nil when there is nothing to show instead.
	Inline(block []byte) (text []byte, sig *mailcrypto.Signature, enc *mailcrypto.Encryption)
}

// maxProtected bounds the signed or encrypted entity read into memory.
const maxProtected = 32 << 20

// maxCryptoOps bounds the verifications and decryptions of one message,
// each of which runs a program: a hostile message with thousands of
// signed parts costs no more than a few.
const maxCryptoOps = 16

// cryptoAllowed counts one verification or decryption, and reports
// whether it may run.
func (w *walker) cryptoAllowed() bool {
	if w.cryptoOps >= maxCryptoOps {
		w.warn(fmt.Sprintf("more than %d signed or encrypted parts: the rest are not checked", maxCryptoOps))
		return false
	}
	w.cryptoOps++
	return true
}

// isProtected reports whether a multipart is signed or encrypted.
func isProtected(mediaType string) bool {
	return mediaType == "multipart/signed" || mediaType == "multipart/encrypted"
}

// parseProtected walks a multipart/signed or multipart/encrypted as any
// multipart, then verifies or decrypts it with w.crypto.
func (w *walker) parseProtected(n *node, body io.Reader, depth int) {
	buf, _ := io.ReadAll(io.LimitReader(body, maxProtected+1))
	if len(buf) > maxProtected {
		w.warn("signed or encrypted part too large to check")
		w.parseMultipart(n, io.MultiReader(bytes.NewReader(buf), body), depth)
		return
	}
	w.parseMultipart(n, bytes.NewReader(buf), depth)
	if !isProtected(n.mediaType) || n.broken || len(n.children) < 2 || !w.cryptoAllowed() {
		return
	}
	var raw [][]byte
	mr := newMultipartReader(bytes.NewReader(buf), n.params["boundary"])
	for len(raw) < 2 {
		part, err := mr.NextPart()
		if err != nil {
			return
		}
		b, _ := io.ReadAll(part)
		raw = append(raw, b)
	}
	protocol := strings.ToLower(n.params["protocol"])
	switch n.mediaType {
	case "multipart/signed":
		n.sig = w.crypto.Verify(protocol, canonicalCRLF(raw[0]), w.partBody(raw[1]))
	case "multipart/encrypted":
		plain, enc, sig := w.crypto.Decrypt(protocol, w.partBody(raw[1]))
		n.enc, n.sig = enc, sig
		if plain != nil {
			n.decrypted = w.parseMessage(bytes.NewReader(plain), depth+1)
		}
	}
}

// parseEnveloped decrypts an S/MIME application/pkcs7-mime part (or
// verifies and unwraps an opaque signed-data), walked first as the leaf
// it is.
func (w *walker) parseEnveloped(n *node, body io.Reader, depth int) {
	buf, _ := io.ReadAll(io.LimitReader(body, maxProtected+1))
	w.parseLeaf(n, io.MultiReader(bytes.NewReader(buf), body))
	protocol := "application/pkcs7-mime"
	switch st := strings.ToLower(n.params["smime-type"]); {
	case len(buf) > maxProtected:
		return
	case st == "signed-data":
		protocol = mailcrypto.SignedData
	case st != "" && st != "enveloped-data" && st != "authenveloped-data":
		return
	}
	if !w.cryptoAllowed() {
		return
	}
	data, _ := io.ReadAll(transferDecoder(n.header.Get("Content-Transfer-Encoding"), bytes.NewReader(buf), w.warn))
	plain, enc, sig := w.crypto.Decrypt(protocol, data)
	n.enc, n.sig = enc, sig
	if plain != nil {
		n.decrypted = w.parseMessage(bytes.NewReader(plain), depth+1)
	}
}

// partBody returns the transfer-decoded body of a raw MIME part.
func (w *walker) partBody(raw []byte) []byte {
	br := bufio.NewReader(bytes.NewReader(raw))
	h, rest := readHeader(br, func(string) {})
	b, _ := io.ReadAll(transferDecoder(h.Get("Content-Transfer-Encoding"), io.MultiReader(bytes.NewReader(rest), br), w.warn))
	return b
}

// canonicalCRLF ends every line with CRLF, as signed MIME entities are
// (RFC 3156 section 5); a message stored with bare LFs verifies too.
func canonicalCRLF(b []byte) []byte {
	var out bytes.Buffer
	out.Grow(len(b) + len(b)/40)
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		if i < 0 {
			out.Write(b)
			break
		}
		line := bytes.TrimSuffix(b[:i], []byte("\r"))
		out.Write(line)
		out.WriteString("\r\n")
		b = b[i+1:]
	}
	return out.Bytes()
}

// inlinePGP verifies or decrypts the first armored OpenPGP block of a
// text leaf and puts its text in place of the block.
func (w *walker) inlinePGP(n *node) {
	start, end := armoredBlock(n.text)
	if start < 0 || !w.cryptoAllowed() {
		return
	}
	text, sig, enc := w.crypto.Inline(n.text[start:end])
	n.sig, n.enc = sig, enc
	before, after := n.text[:start], n.text[end:]
	n.partial = len(bytes.TrimSpace(before)) > 0 || len(bytes.TrimSpace(after)) > 0
	if len(bytes.TrimSpace(text)) == 0 {
		return // nothing checked to show: the block stays as it is
	}
	out := append(append(append([]byte(nil), before...), text...), after...)
	n.text = out
}

// armoredBlock finds a clear-signed or encrypted armored block that starts
// and ends at line starts; start is -1 if there is none.
func armoredBlock(text []byte) (start, end int) {
	for _, m := range []struct{ begin, end string }{
		{"-----BEGIN PGP SIGNED MESSAGE-----", "-----END PGP SIGNATURE-----"},
		{"-----BEGIN PGP MESSAGE-----", "-----END PGP MESSAGE-----"},
	} {
		s := lineIndex(text, m.begin, 0)
		if s < 0 {
			continue
		}
		e := lineIndex(text, m.end, s)
		if e < 0 {
			continue
		}
		e += len(m.end)
		if nl := bytes.IndexByte(text[e:], '\n'); nl >= 0 {
			e += nl + 1
		} else {
			e = len(text)
		}
		return s, e
	}
	return -1, -1
}

// lineIndex finds marker at the start of a line, at or after from.
func lineIndex(text []byte, marker string, from int) int {
	for from <= len(text) {
		i := bytes.Index(text[from:], []byte(marker))
		if i < 0 {
			return -1
		}
		i += from
		if i == 0 || text[i-1] == '\n' {
			return i
		}
		from = i + 1
	}
	return -1
}

// collectSecurity lists the signatures and encryptions of the tree, saying
// for each signature whether it covers the whole message (whole: n is
// what the reader sees as the message) and whether its signer is the From
// of the message it signs.
func collectSecurity(n *node, from string, whole bool, res *Rendered, depth int) {
	if n == nil || depth > 2*maxDepth+2 {
		return
	}
	covers := "message"
	if !whole || n.partial {
		covers = "part"
	}
	if n.enc != nil {
		e := *n.enc
		e.Covers = covers
		res.Encryption = append(res.Encryption, e)
	}
	if n.sig != nil {
		s := *n.sig
		s.Covers, s.From = covers, sanitize.Line(from)
		for _, a := range s.Emails {
			s.FromOK = s.FromOK || (from != "" && strings.EqualFold(a, from))
		}
		if covers == "part" {
			s.Parts = leafNumbers(n, nil)
		}
		res.Signatures = append(res.Signatures, s)
	}
	switch {
	case n.decrypted != nil:
		collectSecurity(n.decrypted, from, whole, res, depth+1)
	case n.inner != nil:
		collectSecurity(n.inner, fromAddress(n.inner.header.Header), false, res, depth+1)
	case n.mediaType == "multipart/signed" && len(n.children) > 0:
		collectSecurity(n.children[0], from, whole, res, depth+1)
	default:
		for _, c := range n.children {
			collectSecurity(c, from, false, res, depth+1)
		}
	}
}

// leafNumbers lists the leaves under n.
func leafNumbers(n *node, out []int) []int {
	if n == nil {
		return out
	}
	if n.isLeaf() {
		out = append(out, n.number)
	}
	for _, c := range n.extracted {
		out = leafNumbers(c, out)
	}
	for _, c := range n.children {
		out = leafNumbers(c, out)
	}
	out = leafNumbers(n.decrypted, out)
	return leafNumbers(n.inner, out)
}

// fromAddress is the first From address of a header, lower case.
func fromAddress(th textproto.Header) string {
	list := addressList(rawFieldReader(th)("From"))
	if len(list) == 0 {
		return ""
	}
	return strings.ToLower(list[0].Addr)
}

// SecurityLines says in words what was signed and encrypted, one line each,
// for the block shown above the body.
func (r *Rendered) SecurityLines() []string {
	var out []string
	for i := range r.Encryption {
		out = append(out, r.Encryption[i].Words())
	}
	for i := range r.Signatures {
		out = append(out, r.Signatures[i].Words())
	}
	if len(out) > 20 {
		out = append(out[:20], fmt.Sprintf("… and %d more", len(out)-20))
	}
	return out
}
