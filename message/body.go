package message

import (
	"strconv"
	"strings"

	htmlcharset "golang.org/x/net/html/charset"
)

// renderer turns a walked tree into body text.
type renderer struct {
	w     *walker
	links *[]string
}

func (rd *renderer) node(b *strings.Builder, n *node, depth int) {
	if n == nil || depth > 2*maxDepth+2 {
		return
	}
	switch {
	case n.decrypted != nil:
		rd.node(b, n.decrypted, depth+1)
	case n.inner != nil:
		rd.nested(b, n, depth)
	case n.mediaType == "multipart/alternative" && len(n.children) > 0:
		rd.node(b, bestAlternative(n.children), depth+1)
	case len(n.children) > 0:
		for _, c := range n.children {
			rd.node(b, c, depth+1)
		}
	case n.isLeaf() && isDisplayText(n):
		rd.leaf(b, n)
	}
}

// bestAlternative prefers text/plain, then HTML, then anything else, among
// the parts of a multipart/alternative. A multipart whose parts could not
// be found (shown as raw text) is taken only when nothing else is left, so
// it never beats a real part.
func bestAlternative(parts []*node) *node {
	for _, allowBroken := range []bool{false, true} {
		for _, want := range []func(*node) bool{
			func(n *node) bool { return n.mediaType == "text/plain" && len(strings.TrimSpace(string(n.text))) > 0 },
			func(n *node) bool { return n.mediaType == "text/html" },
			func(n *node) bool { return containsType(n, "text/plain") },
			func(n *node) bool { return containsType(n, "text/html") },
		} {
			for _, p := range parts {
				if (allowBroken || !p.broken) && want(p) {
					return p
				}
			}
		}
	}
	return parts[0]
}

func containsType(n *node, mediaType string) bool {
	if n.mediaType == mediaType && n.isLeaf() {
		return true
	}
	for _, c := range n.children {
		if containsType(c, mediaType) {
			return true
		}
	}
	return false
}

// leaf renders one text part.
func (rd *renderer) leaf(b *strings.Builder, n *node) {
	n.shown = true
	cs := n.params["charset"]
	if cs == "" && (n.mediaType == "text/html" || n.mediaType == "application/xhtml+xml") {
		cs = sniffHTMLCharset(n.text)
	}
	text := decodeCharset(n.text, cs, rd.w.warn)
	switch {
	case n.mediaType == "text/html" || n.mediaType == "application/xhtml+xml":
		text = htmlToText(text, rd.links)
	case strings.EqualFold(n.params["format"], "flowed"):
		text = unflow(text, strings.EqualFold(n.params["delsp"], "yes"))
	}
	text = strings.Trim(strings.ReplaceAll(text, "\r\n", "\n"), "\n")
	if text == "" {
		return
	}
	if b.Len() > 0 {
		b.WriteString("\n\n")
	}
	if n.filename != "" || n.disposition == "attachment" {
		b.WriteString("[attachment " + strconv.Itoa(n.number) + ": " + n.displayName() + "]\n")
	}
	b.WriteString(text)
	if n.truncated {
		b.WriteString("\n[truncated]")
		rd.w.warn("body text truncated at the size limit")
	}
}

// nested renders an enclosed message/rfc822 with an indented header block.
func (rd *renderer) nested(b *strings.Builder, n *node, depth int) {
	if b.Len() > 0 {
		b.WriteString("\n\n")
	}
	b.WriteString("[enclosed message]\n")
	for _, f := range displayHeaders(n.inner.header.Header) {
		b.WriteString("    " + f.Name + ": " + f.Value + "\n")
	}
	var inner strings.Builder
	rd.node(&inner, n.inner, depth+1)
	if inner.Len() > 0 {
		b.WriteString("\n")
		b.WriteString(inner.String())
	}
}

// sniffHTMLCharset finds the charset of an HTML part that has no charset
// parameter, in the order of the HTML5 encoding sniffing algorithm: a byte
// order mark, then <meta charset> or <meta http-equiv="Content-Type"> in
// the first 1024 bytes. It returns "" when neither names one, and the
// caller falls back to UTF-8 or Windows-1252.
func sniffHTMLCharset(b []byte) string {
	_, name, certain := htmlcharset.DetermineEncoding(b, "text/html")
	if certain || (name != "windows-1252" && name != "utf-8") {
		return name
	}
	// The prescan and the default give the same two names; look again
	// for a meta tag to tell them apart.
	head := b[:min(len(b), 1024)]
	lower := strings.ToLower(string(head))
	if strings.Contains(lower, "<meta") && strings.Contains(lower, "charset") && strings.Contains(lower, name) {
		return name
	}
	return ""
}
