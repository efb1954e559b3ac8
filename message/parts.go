package message

import "github.com/posta-mail/posta/sanitize"

// Part is one MIME entity of a rendered message, for tools that show the
// structure (`posta render --json`). Strings are sanitized.
type Part struct {
	Type        string  `json:"type"`
	Charset     string  `json:"charset,omitempty"`
	Disposition string  `json:"disposition,omitempty"`
	Filename    string  `json:"filename,omitempty"`
	Size        int64   `json:"size"`            // decoded bytes; for containers, the sum of the children
	Index       int     `json:"index,omitempty"` // leaf number, as in Attachment.Index; 0 for containers
	Children    []*Part `json:"children,omitempty"`
}

// partTree converts the walked tree. A message/rfc822 part has the
// enclosed message as its one child; a plain text part has the uuencoded
// files found in it as children.
func partTree(n *node, depth int) *Part {
	if n == nil || depth > 2*maxDepth+2 {
		return nil
	}
	p := &Part{
		Type:        sanitize.Line(n.mediaType),
		Charset:     sanitize.Line(n.params["charset"]),
		Disposition: sanitize.Line(n.disposition),
		Filename:    sanitize.Line(n.filename),
		Size:        n.size,
		Index:       n.number,
	}
	kids := n.children
	if len(n.extracted) > 0 {
		kids = append(append([]*node(nil), n.extracted...), n.children...)
	}
	if n.inner != nil {
		kids = []*node{n.inner}
	}
	if n.decrypted != nil {
		kids = append(kids, n.decrypted)
	}
	for _, c := range kids {
		if cp := partTree(c, depth+1); cp != nil {
			p.Children = append(p.Children, cp)
			if !n.isLeaf() {
				p.Size += cp.Size
			}
		}
	}
	return p
}
