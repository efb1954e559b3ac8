package message

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mailcrypto"
)

const (
	defaultMaxBody = 1 << 20 // decoded body text kept for display
	maxParts       = 10000   // MIME parts walked
	maxDepth       = 20      // multipart / message nesting
	fallbackBytes  = 64 << 10
)

// node is one MIME entity of the walked tree.
type node struct {
	header      gomessage.Header
	mediaType   string
	params      map[string]string
	disposition string
	filename    string
	number      int     // leaf number (1-based, depth first); 0 for containers
	children    []*node // multipart children
	inner       *node   // the enclosed message of message/rfc822
	text        []byte  // transfer-decoded content of text leaves, capped
	truncated   bool
	size        int64   // decoded bytes of a leaf
	shown       bool    // rendered as body text
	broken      bool    // a multipart whose parts could not be found, shown as text
	retried     bool    // a second Content-Type was tried
	extracted   []*node // uuencoded files taken out of a text leaf
	decrypted   *node   // the decrypted entity of an encrypted part (see crypto.go)
	sig         *mailcrypto.Signature
	enc         *mailcrypto.Encryption
	partial     bool // an inline signature or encryption covers only part of the text
}

func (n *node) isLeaf() bool { return n.number > 0 }

// walker parses a message into a tree of nodes, bounded by the limits.
type walker struct {
	parts    int
	leaves   int
	textLeft int64
	stopped  bool
	warnings []string
	seen     map[string]bool
	// saveIndex and save, when set, receive the decoded content of the
	// leaf with that number instead of it being kept or counted.
	saveIndex int
	save      func(n *node, r io.Reader) error
	saveErr   error
	crypto    Crypto // verifies and decrypts; nil leaves protected parts alone
	cryptoOps int    // verifications and decryptions so far
}

func newWalker(maxBody int64) *walker {
	if maxBody <= 0 {
		maxBody = defaultMaxBody
	}
	return &walker{textLeft: maxBody, seen: map[string]bool{}}
}

func (w *walker) warn(s string) {
	if len(s) > 200 {
		s = strings.ToValidUTF8(s[:200], "") + "…"
	}
	if !w.seen[s] && len(w.warnings) < 50 {
		w.seen[s] = true
		w.warnings = append(w.warnings, s)
	}
}

// parseMessage reads a whole message (header and body) from r.
func (w *walker) parseMessage(r io.Reader, depth int) *node {
	br := bufio.NewReaderSize(r, 32<<10)
	h, rest := readHeader(br, w.warn)
	return w.parseEntity(h, io.MultiReader(bytes.NewReader(rest), br), depth, "text/plain")
}

// parseEntity walks one entity; defaultType applies when it has no
// Content-Type. It returns nil once the part limit is hit.
func (w *walker) parseEntity(th textproto.Header, body io.Reader, depth int, defaultType string) *node {
	if w.stopped {
		return nil
	}
	w.parts++
	if w.parts > maxParts {
		w.stopped = true
		w.warn(fmt.Sprintf("more than %d parts, the rest is not shown", maxParts))
		return nil
	}
	n := &node{header: gomessage.Header{Header: th}}
	n.mediaType, n.params = parseParams(th.Get("Content-Type"))
	switch {
	case n.mediaType == "":
		n.mediaType = defaultType
	case !strings.Contains(n.mediaType, "/"):
		w.warn("malformed Content-Type, shown as text")
		n.mediaType = "text/plain"
	}
	var dispParams map[string]string
	n.disposition, dispParams = parseParams(th.Get("Content-Disposition"))
	n.filename = dispParams["filename"]
	if n.filename == "" {
		n.filename = n.params["name"]
	}
	if depth >= maxDepth && (strings.HasPrefix(n.mediaType, "multipart/") || isMessage(n.mediaType)) {
		w.warn(fmt.Sprintf("nesting deeper than %d, inner parts not shown", maxDepth))
		n.mediaType = "application/octet-stream"
	}
	switch {
	case w.crypto != nil && isProtected(n.mediaType):
		w.parseProtected(n, body, depth)
	case w.crypto != nil && (n.mediaType == "application/pkcs7-mime" || n.mediaType == "application/x-pkcs7-mime"):
		w.parseEnveloped(n, body, depth)
	case strings.HasPrefix(n.mediaType, "multipart/"):
		w.parseMultipart(n, body, depth)
	case isMessage(n.mediaType):
		decoded := transferDecoder(th.Get("Content-Transfer-Encoding"), body, w.warn)
		n.inner = w.parseMessage(decoded, depth+1)
		if n.inner == nil {
			return n
		}
	default:
		w.parseLeaf(n, body)
	}
	return n
}

func isMessage(mediaType string) bool {
	return mediaType == "message/rfc822" || mediaType == "message/global"
}

func (w *walker) parseMultipart(n *node, body io.Reader, depth int) {
	boundary := n.params["boundary"]
	if boundary == "" {
		w.warn("multipart without boundary, shown as text")
		n.mediaType, n.broken = "text/plain", true
		w.parseLeaf(n, body)
		return
	}
	rec := &headRecorder{r: body}
	mr := newMultipartReader(rec, boundary)
	childType := "text/plain"
	if n.mediaType == "multipart/digest" {
		childType = "message/rfc822"
	}
	for {
		part, err := mr.NextPart()
		if errors.Is(err, errNoBoundary) {
			if alt := otherMultipart(n, rec); alt != "" && !n.retried {
				n.retried = true
				// A second Content-Type whose boundary is there.
				w.warn("multipart boundary not found, another Content-Type used")
				n.mediaType, n.params = parseParams(alt)
				w.parseMultipart(n, bytes.NewReader(rec.head), depth)
				return
			}
			w.warn("multipart boundary not found, shown as text")
			n.mediaType, n.broken = "text/plain", true
			w.parseLeaf(n, bytes.NewReader(rec.head))
			return
		}
		if err != nil {
			if len(n.children) == 0 && len(bytes.TrimSpace(mr.preamble)) > 0 {
				w.warn("multipart without parts, shown as text")
				n.mediaType, n.broken = "text/plain", true
				w.parseLeaf(n, bytes.NewReader(mr.preamble))
			}
			return
		}
		pbr := bufio.NewReaderSize(part, 4<<10)
		h, rest := readHeader(pbr, w.warn)
		child := w.parseEntity(h, io.MultiReader(bytes.NewReader(rest), pbr), depth+1, childType)
		if child == nil {
			return
		}
		n.children = append(n.children, child)
	}
}

// parseLeaf numbers a leaf and reads its decoded content: kept (capped) for
// text that may be displayed, streamed to w.save for the requested part,
// counted otherwise.
func (w *walker) parseLeaf(n *node, body io.Reader) {
	w.leaves++
	n.number = w.leaves
	decoded := transferDecoder(n.header.Get("Content-Transfer-Encoding"), body, w.warn)
	if uu, ok := decoded.(*uuReader); ok {
		uu.begin()
		if n.filename == "" {
			n.filename = uu.name
		}
	}
	counter := &countingReader{r: decoded}
	switch {
	case w.save != nil && n.number == w.saveIndex:
		w.saveErr = w.save(n, counter)
	case isDisplayText(n):
		limit := w.textLeft
		buf, _ := io.ReadAll(io.LimitReader(counter, limit))
		n.text = buf
		w.textLeft -= int64(len(buf))
		if extra, _ := io.Copy(io.Discard, counter); extra > 0 {
			n.truncated = true
		}
	}
	io.Copy(io.Discard, counter)
	n.size = counter.n
	if b64, ok := decoded.(*b64Reader); ok && isDisplayText(n) && !n.truncated && w.save == nil {
		w.keepTrailer(n, b64.trailer)
	}
	if n.mediaType == "text/plain" && len(n.text) > 0 && w.crypto != nil {
		w.inlinePGP(n)
	}
	if n.mediaType == "text/plain" && len(n.text) > 0 {
		w.extractUU(n)
	}
}

// keepTrailer adds the plain text found after the base64 data of a text
// part (a mailing-list footer) to its text, after a blank line, when the
// part's charset keeps ASCII as it is.
func (w *walker) keepTrailer(n *node, trailer []byte) {
	trailer = bytes.TrimSpace(trailer)
	cs := strings.ToLower(n.params["charset"])
	if len(trailer) == 0 || strings.HasPrefix(cs, "utf-16") || strings.HasPrefix(cs, "utf-32") || int64(len(trailer)) > w.textLeft {
		return
	}
	n.text = append(append(bytes.TrimRight(n.text, "\r\n"), "\n\n"...), trailer...)
	w.textLeft -= int64(len(trailer))
}

// extractUU turns the uuencoded files in the text of n into leaves of
// their own, numbered after n.
func (w *walker) extractUU(n *node) {
	text, blocks := extractUU(n.text)
	if len(blocks) == 0 {
		return
	}
	n.text = text
	for _, b := range blocks {
		w.leaves++
		f := &node{
			mediaType:   typeByName(b.name),
			params:      map[string]string{},
			disposition: "attachment",
			filename:    b.name,
			number:      w.leaves,
			size:        int64(len(b.data)),
		}
		if w.save != nil && f.number == w.saveIndex {
			w.saveErr = w.save(f, bytes.NewReader(b.data))
		}
		n.extracted = append(n.extracted, f)
	}
}

// isDisplayText reports whether a leaf is text meant to be read inline.
// Plain text is, even when it is an attachment (it is then listed as one
// too); other text types are when they are neither attachments nor named.
func isDisplayText(n *node) bool {
	switch n.mediaType {
	case "text/plain":
		return true
	case "text/html", "application/xhtml+xml", "text/enriched", "text/rfc822-headers",
		"message/delivery-status", "message/disposition-notification", "message/feedback-report":
		return n.disposition != "attachment"
	}
	return strings.HasPrefix(n.mediaType, "text/") && n.filename == "" && n.disposition != "attachment"
}

// isAttachment reports whether a leaf is listed as an attachment: it is
// named or marked as one, or it is not text that can be shown.
func isAttachment(n *node) bool {
	return n.filename != "" || n.disposition == "attachment" || (!n.shown && !isDisplayText(n))
}

// displayName is the name an attachment is listed and saved under, before
// sanitizing.
func (n *node) displayName() string {
	if n.filename != "" {
		return n.filename
	}
	name := fmt.Sprintf("part-%d", n.number)
	if ext := extensionFor(n.mediaType); ext != "" {
		name += ext
	}
	return name
}

func extensionFor(mediaType string) string {
	switch mediaType {
	case "text/plain":
		return ".txt"
	case "text/html":
		return ".html"
	case "message/rfc822":
		return ".eml"
	}
	if _, sub, ok := strings.Cut(mediaType, "/"); ok && len(sub) <= 8 && path.Base(sub) == sub && !strings.ContainsAny(sub, ".+-") {
		return "." + sub
	}
	return ".bin"
}

// otherMultipart returns a further Content-Type field of n that is a
// multipart whose boundary appears in the recorded body, when all of the
// body was recorded; "" otherwise.
func otherMultipart(n *node, rec *headRecorder) string {
	if rec.total > int64(len(rec.head)) {
		return ""
	}
	boundary := n.params["boundary"]
	for _, v := range n.header.Values("Content-Type") {
		t, params := parseParams(v)
		b := params["boundary"]
		if strings.HasPrefix(t, "multipart/") && b != "" && b != boundary &&
			bytes.Contains(rec.head, []byte("--"+b)) {
			return v
		}
	}
	return ""
}

// headRecorder keeps the first bytes read through it, so a multipart body
// whose boundary never appears can still be shown as text.
type headRecorder struct {
	r     io.Reader
	head  []byte
	total int64
}

func (h *headRecorder) Read(p []byte) (int, error) {
	n, err := h.r.Read(p)
	h.total += int64(n)
	if room := fallbackBytes - len(h.head); room > 0 {
		h.head = append(h.head, p[:min(n, room)]...)
	}
	return n, err
}

type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}
