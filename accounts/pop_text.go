package accounts

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/posta-mail/posta/message"
	"github.com/posta-mail/posta/sanitize"
)

// popBodyText returns the body text of the message whose start is head,
// for the search index: what message.BodyText returns for it. A plain
// message (one text/plain part in UTF-8 or ASCII, not transfer-encoded)
// takes a fast path that does what BodyText does to such a message
// (line endings, trimming, sanitize.Text) without parsing and rendering
// the message. Any other message goes through BodyText, with only the
// header fields that shape its body (Content-*, MIME-Version): the
// others (addresses, dates) would be parsed for nothing. A message whose
// header the fast path is not sure of goes through BodyText whole.
func popBodyText(head []byte) string {
	f, ok := scanHeader(head)
	if !ok {
		return bodyText(head)
	}
	if text, ok := plainBodyText(f); ok {
		return text
	}
	return bodyText(f.mime)
}

func bodyText(msg []byte) string {
	text, err := message.BodyText(bytes.NewReader(msg))
	if err != nil {
		return ""
	}
	return text
}

// plainBodyText is popBodyText's fast path; ok is false when it does not
// apply.
func plainBodyText(f scannedHeader) (text string, ok bool) {
	if f.disposition {
		return "", false
	}
	switch strings.ToLower(strings.TrimSpace(f.encoding)) {
	case "", "7bit", "8bit":
	default:
		return "", false
	}
	ascii := true
	if f.contentType != "" {
		mt, params, err := mime.ParseMediaType(f.contentType)
		if err != nil || mt != "text/plain" || len(params) > 1 {
			return "", false
		}
		for k, v := range params {
			if k != "charset" {
				return "", false
			}
			switch strings.ToLower(v) {
			case "utf-8", "utf8":
				ascii = false
			case "us-ascii":
			default:
				return "", false
			}
		}
	}
	body := f.body
	if ascii && !isASCII(body) || !utf8.Valid(body) || len(body) > 512<<10 {
		return "", false
	}
	// As message.Render does for one text/plain leaf and its body.
	s := strings.Trim(strings.ReplaceAll(string(body), "\r\n", "\n"), "\n")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimRight(s, " \t\n") + "\n"
	if strings.TrimSpace(s) == "" {
		return "", true
	}
	return sanitize.Text(s), true
}

// scannedHeader holds what scanHeader found.
type scannedHeader struct {
	contentType string
	encoding    string // Content-Transfer-Encoding
	disposition bool   // a Content-Disposition field is present
	body        []byte // after the blank line
	// mime is the message with only the header fields that shape its
	// body: Content-* and MIME-Version.
	mime []byte
}

// scanHeader reads the header at the start of msg. ok is false for
// anything unusual, which message's parser may read in its own lenient
// ways: a header without its blank line, a line that is not a field or
// holds only white space, one of the fields that decide the fast path
// folded or repeated, a very long line.
func scanHeader(msg []byte) (f scannedHeader, ok bool) {
	var seenType, seenEnc, keep bool
	mimeHead := make([]byte, 0, 256)
	rest := msg
	for first := true; ; first = false {
		i := bytes.IndexByte(rest, '\n')
		if i < 0 || i > 64<<10 {
			return f, false // no end of header in sight, or a long line
		}
		raw := rest[:i+1]
		line := bytes.TrimSuffix(rest[:i], []byte("\r"))
		rest = rest[i+1:]
		if len(line) == 0 {
			f.body = rest
			f.mime = append(append(mimeHead, "\r\n"...), rest...)
			return f, true
		}
		if len(bytes.TrimLeft(line, " \t")) == 0 {
			return f, false
		}
		if line[0] == ' ' || line[0] == '\t' {
			if first {
				return f, false // a header that starts folded
			}
			if keep {
				mimeHead = append(mimeHead, raw...)
			}
			continue // the continuation of the field before
		}
		colon := bytes.IndexByte(line, ':')
		if colon <= 0 {
			return f, false
		}
		name := line[:colon]
		for _, c := range name {
			if c <= ' ' || c > '~' {
				return f, false
			}
		}
		value := string(bytes.TrimSpace(line[colon+1:]))
		folded := len(rest) > 0 && (rest[0] == ' ' || rest[0] == '\t')
		keep = len(name) > 8 && bytes.EqualFold(name[:8], []byte("Content-")) || bytes.EqualFold(name, []byte("MIME-Version"))
		if keep {
			mimeHead = append(mimeHead, raw...)
		}
		switch {
		case bytes.EqualFold(name, []byte("Content-Type")):
			if seenType || folded {
				seenType, f.contentType = true, "?" // not the fast path
				continue
			}
			seenType, f.contentType = true, value
		case bytes.EqualFold(name, []byte("Content-Transfer-Encoding")):
			if seenEnc || folded {
				seenEnc, f.encoding = true, "?"
				continue
			}
			seenEnc, f.encoding = true, value
		case bytes.EqualFold(name, []byte("Content-Disposition")):
			f.disposition = true
		}
	}
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}

// POPIndexText returns the body text a POP3 download indexes for search
// from msg, which it reads at most popHeadBytes of: popBodyText, for the
// benchmark's breakdown of a download.
func POPIndexText(msg []byte) string {
	return popBodyText(msg[:min(len(msg), popHeadBytes)])
}
