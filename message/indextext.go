package message

import (
	"bytes"
	"mime"
	"strings"
	"unicode/utf8"

	"github.com/posta-mail/posta/sanitize"
)

// IndexTextBytes is how much of a message's start IndexText is meant to
// be given: the body text of the search index comes from the first
// 256 KiB of a message, so that a big one (an attachment, mostly) costs
// no more to index than a page of text.
const IndexTextBytes = 256 << 10

// IndexText returns the body text of the message whose start is head
// (at most IndexTextBytes of it), for the search index: what BodyText
// returns for it. The common shapes of mail take a fast path that does
// what BodyText does to them (line endings, trimming, sanitize.Text)
// without parsing and rendering the message: one text/plain part in
// UTF-8 or ASCII, not transfer-encoded, alone or in a
// multipart/alternative or multipart/mixed whose other parts are not
// shown (HTML alternatives, attachments). Any other message goes through
// BodyText, with only the header fields that shape its body (Content-*,
// MIME-Version): the others (addresses, dates) would be parsed for
// nothing. A message whose header the fast path is not sure of goes
// through BodyText whole. The cache calls it for the Maildir files of
// POP3 mail when it indexes them for search, after the download.
func IndexText(head []byte) string {
	f, ok := scanHeader(head, true)
	if !ok {
		return fullBodyText(head)
	}
	if text, ok := fastBodyText(f); ok {
		return text
	}
	return fullBodyText(f.mime)
}

// fullBodyText is BodyText of msg, or "" when it fails.
func fullBodyText(msg []byte) string {
	text, err := BodyText(bytes.NewReader(msg))
	if err != nil {
		return ""
	}
	return text
}

// fastBodyText is IndexText's fast path; ok is false when it does not
// apply.
func fastBodyText(f scannedHeader) (text string, ok bool) {
	if f.dispositionSeen || !plainEncoding(f.encoding) {
		return "", false
	}
	mt, params, ok := fastMediaType(f.contentType)
	if !ok {
		return "", false
	}
	switch mt {
	case "text/plain":
		k, text := classifyPart(f)
		if k != partText {
			return "", false
		}
		return finishText(text)
	case "multipart/alternative", "multipart/mixed":
		return multipartText(mt, params["boundary"], f.body)
	}
	return "", false
}

// finishText does what message.Render does to the text of the parts it
// shows.
func finishText(s string) (string, bool) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.TrimRight(s, " \t\n") + "\n"
	if len(s) > 512<<10 {
		return "", false // Render would truncate it
	}
	if strings.TrimSpace(s) == "" {
		return "", true
	}
	return sanitize.Text(s), true
}

// fastMediaType parses a Content-Type value; an empty one is text/plain.
func fastMediaType(v string) (string, map[string]string, bool) {
	if v == "" {
		return "text/plain", nil, true
	}
	mt, params, err := mime.ParseMediaType(v)
	if err != nil || !strings.Contains(mt, "/") {
		return "", nil, false
	}
	return mt, params, true
}

func plainEncoding(cte string) bool {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit":
		return true
	}
	return false
}

// partKind says how message.Render shows a part.
type partKind int

const (
	partUnsure partKind = iota // the fast path does not know: BodyText decides
	partText                   // plain text, shown as it is
	partHTML                   // HTML (or other text Render converts), shown unless another alternative wins
	partHidden                 // not shown: an attachment that is not plain text
)

// classifyPart says how Render shows the part (or message) whose header is
// f, and for partText returns its text as Render's leaf has it.
func classifyPart(f scannedHeader) (partKind, string) {
	mt, params, ok := fastMediaType(f.contentType)
	if !ok {
		return partUnsure, ""
	}
	var disp string
	var dparams map[string]string
	if f.dispositionSeen {
		var err error
		if disp, dparams, err = mime.ParseMediaType(f.disposition); err != nil {
			return partUnsure, ""
		}
	}
	filename, named := dparams["filename"]
	if !named {
		filename, named = params["name"]
	}
	if named && filename == "" {
		return partUnsure, ""
	}
	attachment := named || disp == "attachment"
	switch {
	case strings.HasPrefix(mt, "multipart/") || strings.HasPrefix(mt, "message/") || mt == "application/xhtml+xml":
		return partUnsure, ""
	case mt == "text/plain":
		if attachment || f.dispositionSeen || !plainEncoding(f.encoding) {
			return partUnsure, ""
		}
		ascii := true
		for k, v := range params {
			switch {
			case k == "charset" && (strings.EqualFold(v, "utf-8") || strings.EqualFold(v, "utf8")):
				ascii = false
			case k == "charset" && strings.EqualFold(v, "us-ascii"):
			default:
				return partUnsure, "" // another charset, format=flowed...
			}
		}
		if ascii && !isASCII(f.body) || !utf8.Valid(f.body) {
			return partUnsure, ""
		}
		return partText, strings.Trim(strings.ReplaceAll(string(f.body), "\r\n", "\n"), "\n")
	case mt == "text/html" || mt == "text/enriched" || mt == "text/rfc822-headers":
		if disp == "attachment" {
			return partHidden, ""
		}
		return partHTML, ""
	case strings.HasPrefix(mt, "text/"):
		if attachment {
			return partHidden, ""
		}
		return partUnsure, ""
	}
	return partHidden, ""
}

// maxFastParts bounds the parts of a multipart the fast path takes.
const maxFastParts = 16

// multipartText is the fast path of a multipart/alternative or
// multipart/mixed of simple parts, as Render shows it: the first
// non-blank plain text alternative, or the plain text parts of a mixed
// one, each trimmed and separated by a blank line.
func multipartText(mt, boundary string, body []byte) (string, bool) {
	parts, ok := splitParts(body, boundary)
	if !ok || len(parts) == 0 || len(parts) > maxFastParts {
		return "", false
	}
	var b strings.Builder
	chosen := false
	for _, raw := range parts {
		f, ok := scanHeader(raw, false)
		if !ok {
			return "", false
		}
		k, text := classifyPart(f)
		switch {
		case k == partUnsure:
			return "", false
		case mt == "multipart/alternative":
			if k == partText && !chosen && strings.TrimSpace(string(f.body)) != "" {
				b.WriteString(text)
				chosen = true
			}
		case k == partHTML:
			return "", false // shown in a mixed one: converted by Render
		case k == partText && text != "":
			if b.Len() > 0 {
				b.WriteString("\n\n")
			}
			b.WriteString(text)
		}
	}
	if mt == "multipart/alternative" && !chosen {
		return "", false // the HTML would be shown
	}
	return finishText(b.String())
}

// splitParts splits a multipart body at its boundary lines, as message's
// multipart reader does: the line break before a boundary line belongs to
// it, the preamble and the epilogue are dropped. ok is false for what the
// fast path leaves to that reader: no boundary, no close boundary, a very
// long line.
func splitParts(body []byte, boundary string) (parts [][]byte, ok bool) {
	if boundary == "" {
		return nil, false
	}
	dash := []byte("--" + boundary)
	start := -1  // where the current part began; -1 in the preamble
	prevEnd := 0 // end of the previous line without its line break
	for pos := 0; pos < len(body); {
		i := bytes.IndexByte(body[pos:], '\n')
		if i < 0 {
			i = len(body) - pos - 1 // the last line, without a line break
		}
		line := body[pos : pos+i+1]
		if len(line) >= 8<<10 {
			return nil, false
		}
		next := pos + i + 1
		if bytes.HasPrefix(line, dash) {
			switch rest := bytes.TrimRight(line[len(dash):], " \t\r\n"); {
			case len(rest) == 0 || bytes.Equal(rest, []byte("--")):
				if start >= 0 {
					parts = append(parts, body[start:max(start, prevEnd)])
				}
				if len(rest) > 0 { // the close boundary
					return parts, start >= 0
				}
				start, prevEnd, pos = next, next, next
				continue
			}
		}
		prevEnd = pos + i
		if i > 0 && body[pos+i-1] == '\r' {
			prevEnd--
		}
		pos = next
	}
	return nil, false
}

// scannedHeader holds what scanHeader found.
type scannedHeader struct {
	contentType     string
	encoding        string // Content-Transfer-Encoding
	disposition     string
	dispositionSeen bool
	body            []byte // after the blank line
	// mime is the message with only the header fields that shape its
	// body: Content-* and MIME-Version.
	mime []byte
}

// scanHeader reads the header at the start of msg, and with keepMIME
// makes f.mime. ok is false for anything unusual, which message's parser
// may read in its own lenient ways: a header without its blank line, a
// line that is not a field or holds only white space, a very long line.
// A repeated Content-Type, Content-Transfer-Encoding or
// Content-Disposition makes its value "?", which no fast path takes.
func scanHeader(msg []byte, keepMIME bool) (f scannedHeader, ok bool) {
	var keep bool
	var field *string // the field whose value continuation lines extend
	var seenType, seenEnc bool
	var mimeHead []byte
	if keepMIME {
		mimeHead = make([]byte, 0, 256)
	}
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
			if keepMIME {
				f.mime = append(append(mimeHead, "\r\n"...), rest...)
			}
			return f, true
		}
		if len(bytes.TrimLeft(line, " \t")) == 0 {
			return f, false
		}
		if line[0] == ' ' || line[0] == '\t' {
			if first {
				return f, false // a header that starts folded
			}
			if keep && keepMIME {
				mimeHead = append(mimeHead, raw...)
			}
			if field != nil && *field != "?" {
				*field += " " + string(bytes.TrimSpace(line))
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
		keep = len(name) > 8 && bytes.EqualFold(name[:8], []byte("Content-")) || bytes.EqualFold(name, []byte("MIME-Version"))
		if keep && keepMIME {
			mimeHead = append(mimeHead, raw...)
		}
		field = nil
		switch {
		case bytes.EqualFold(name, []byte("Content-Type")):
			field = setOnce(&f.contentType, &seenType, value)
		case bytes.EqualFold(name, []byte("Content-Transfer-Encoding")):
			field = setOnce(&f.encoding, &seenEnc, value)
		case bytes.EqualFold(name, []byte("Content-Disposition")):
			field = setOnce(&f.disposition, &f.dispositionSeen, value)
		}
	}
}

// setOnce sets *v to value the first time, and to "?" if the field comes
// again; it returns v.
func setOnce(v *string, seen *bool, value string) *string {
	if *seen {
		*v = "?"
	} else {
		*v, *seen = value, true
	}
	return v
}

func isASCII(b []byte) bool {
	for _, c := range b {
		if c >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
