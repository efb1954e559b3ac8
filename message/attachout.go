package message

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"os"
	"path/filepath"
	"strings"
	"unicode/utf8"

	gomessage "github.com/emersion/go-message"
	"github.com/emersion/go-message/textproto"
)

// maxAttachName bounds an outgoing file name, so that its RFC 2231
// encoding stays well inside the 998-byte line limit.
const maxAttachName = 180

// loadAttachments resolves names, content types and the content of files
// given by path.
func loadAttachments(in []DraftAttachment) ([]DraftAttachment, error) {
	out := make([]DraftAttachment, 0, len(in))
	for _, a := range in {
		if a.Data == nil {
			if a.Path == "" {
				return nil, fmt.Errorf("message: attachment %q has neither data nor a path", a.Name)
			}
			data, err := os.ReadFile(a.Path)
			if err != nil {
				return nil, fmt.Errorf("message: attach %s: %w", a.Path, err)
			}
			a.Data = data
		}
		if a.Name == "" {
			a.Name = filepath.Base(a.Path)
		}
		a.Name = outgoingName(a.Name)
		if a.ContentType == "" {
			a.ContentType, _, _ = mime.ParseMediaType(guessType(a.Name))
		}
		t, params, err := mime.ParseMediaType(a.ContentType)
		if err != nil || !strings.Contains(t, "/") {
			return nil, fmt.Errorf("message: attachment %q: bad content type %q", a.Name, a.ContentType)
		}
		delete(params, "name")
		a.ContentType = mime.FormatMediaType(t, params)
		out = append(out, a)
	}
	return out, nil
}

// outgoingName keeps the base name of name without control characters,
// cut to maxAttachName bytes.
func outgoingName(name string) string {
	name = strings.ReplaceAll(name, "\\", "/")
	name = name[strings.LastIndexByte(name, '/')+1:]
	name = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || (r >= 0x80 && r < 0xa0) || r == utf8.RuneError {
			return -1
		}
		return r
	}, name)
	name = cutName(name, maxAttachName)
	if strings.Trim(name, ". ") == "" {
		name = "attachment"
	}
	return name
}

func guessType(name string) string {
	if t := mime.TypeByExtension(strings.ToLower(filepath.Ext(name))); t != "" {
		return t
	}
	return "application/octet-stream"
}

// writeMixed writes a multipart/mixed message: the text, then the
// attachments. It writes the parts itself (with go-message's textproto),
// as go-message's entity writer refuses text parts in charsets other
// than UTF-8, which a forwarded attachment may have.
func writeMixed(buf *bytes.Buffer, h gomessage.Header, body string, atts []DraftAttachment) error {
	mw := textproto.NewMultipartWriter(buf)
	h.SetContentType("multipart/mixed", map[string]string{"boundary": mw.Boundary()})
	if err := textproto.WriteHeader(buf, h.Header); err != nil {
		return err
	}
	var th gomessage.Header
	setTextPart(&th, body)
	th.SetContentDisposition("inline", nil)
	pw, err := mw.CreatePart(th.Header)
	if err != nil {
		return err
	}
	text := crlfText(body)
	if th.Get("Content-Transfer-Encoding") == "quoted-printable" {
		qw := quotedprintable.NewWriter(pw)
		if _, err := io.WriteString(qw, text); err != nil {
			return err
		}
		err = qw.Close()
	} else {
		_, err = io.WriteString(pw, text)
	}
	if err != nil {
		return err
	}
	for _, a := range atts {
		if err := writeAttachment(mw, a); err != nil {
			return err
		}
	}
	return mw.Close()
}

// writeAttachment writes one attachment part: base64, except a 7-bit
// clean message/rfc822 (RFC 2046 allows only identity encodings there).
func writeAttachment(mw *textproto.MultipartWriter, a DraftAttachment) error {
	var ah gomessage.Header
	t, params, _ := mime.ParseMediaType(a.ContentType)
	params["name"] = a.Name // RFC 2047 in Content-Type, for old readers
	ah.SetContentType(t, params)
	ah.Set("Content-Disposition", "attachment; "+rfc2231Param("filename", a.Name))
	data := a.Data
	base64Body := !(isMessage(t) && isSevenBit(data))
	if base64Body {
		ah.Set("Content-Transfer-Encoding", "base64")
	} else {
		ah.Set("Content-Transfer-Encoding", "7bit")
		data = []byte(crlfText(string(data)))
	}
	pw, err := mw.CreatePart(ah.Header)
	if err != nil {
		return err
	}
	if !base64Body {
		_, err = pw.Write(data)
		return err
	}
	enc := base64.StdEncoding.EncodeToString(data)
	for len(enc) > 0 {
		n := min(76, len(enc))
		line := enc[:n]
		if enc = enc[n:]; len(enc) > 0 {
			line += "\r\n"
		}
		if _, err := io.WriteString(pw, line); err != nil {
			return err
		}
	}
	return nil
}

// rfc2231Param formats key=value as a MIME parameter: plain when value is
// short ASCII, else RFC 2231 percent-encoded UTF-8, split into numbered
// continuations of at most 50 encoded characters so that the field folds.
func rfc2231Param(key, value string) string {
	plain := len(value) <= 60
	for _, c := range []byte(value) {
		if c < 0x20 || c >= 0x7f {
			plain = false
		}
	}
	if plain {
		return strings.TrimPrefix(mime.FormatMediaType("x/x", map[string]string{key: value}), "x/x; ")
	}
	var chunks []string
	var cur strings.Builder
	for _, c := range []byte(value) {
		piece := string(c)
		if !isAttrChar(c) {
			piece = fmt.Sprintf("%%%02X", c)
		}
		if cur.Len()+len(piece) > 50 {
			chunks = append(chunks, cur.String())
			cur.Reset()
		}
		cur.WriteString(piece)
	}
	chunks = append(chunks, cur.String())
	if len(chunks) == 1 {
		return key + "*=utf-8''" + chunks[0]
	}
	parts := make([]string, len(chunks))
	for i, c := range chunks {
		if i == 0 {
			c = "utf-8''" + c
		}
		parts[i] = fmt.Sprintf("%s*%d*=%s", key, i, c)
	}
	return strings.Join(parts, "; ")
}

// isAttrChar reports whether c may appear unencoded in an RFC 2231 value.
func isAttrChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("!#$&+-.^_`|~", c) >= 0
}

// isSevenBit reports whether b is ASCII without NUL or bare CR and with
// lines of at most 998 bytes.
func isSevenBit(b []byte) bool {
	lineLen := 0
	for i, c := range b {
		switch {
		case c == '\n':
			lineLen = 0
			continue
		case c >= 0x80 || c == 0:
			return false
		case c == '\r' && (i+1 == len(b) || b[i+1] != '\n'):
			return false
		}
		lineLen++
		if lineLen > 998 {
			return false
		}
	}
	return true
}
