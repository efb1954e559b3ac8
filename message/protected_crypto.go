package message

import (
	"strings"

	"github.com/posta-mail/posta/sanitize"
)

// applyProtectedHeaders shows the Subject an encrypted message carries
// inside (Protected Headers, "protected-headers=v1", as posta writes with
// protected_headers = true) instead of the "..." outside. Only a part
// that was decrypted counts: a Subject merely claimed by a signed part
// of clear mail is not taken.
func applyProtectedHeaders(root *node, res *Rendered) {
	n, decrypted := root, false
	for i := 0; n != nil && i < 8; i++ {
		switch {
		case n.decrypted != nil:
			n, decrypted = n.decrypted, true
			continue
		case n.mediaType == "multipart/signed" && len(n.children) > 0 && n.sig != nil:
			n = n.children[0]
			continue
		}
		break
	}
	if n == nil || !decrypted || n.params["protected-headers"] == "" {
		return
	}
	inner := rawFieldConverter(n.header.Header)(n.header.Get("Subject"))
	if inner == "" {
		return
	}
	subject := sanitize.Line(strings.Join(strings.Fields(decodeText(inner)), " "))
	for i, f := range res.Headers {
		if f.Name == "Subject" {
			if f.Value != subject {
				res.Headers[i].Value = subject
				res.Headers[i].Note = "the subject from inside the encrypted message"
			}
			return
		}
	}
	res.Headers = append(res.Headers, Field{Name: "Subject", Value: subject, Note: "the subject from inside the encrypted message"})
}
