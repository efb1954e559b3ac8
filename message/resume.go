package message

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"strings"

	gomessage "github.com/emersion/go-message"

	"github.com/posta-mail/posta/mail"
)

// maxResumeBytes bounds the decoded content [DraftFromMessage] keeps.
const maxResumeBytes = 64 << 20

// DraftFromMessage turns a saved draft (as written by [Draft.BuildDraft],
// or by another client) back into a Draft: the address fields, subject,
// thread ids, the first inline text/plain part as body and every other
// part (HTML alternatives excepted) as an attachment with its data. It
// fails when raw is not a readable MIME message.
func DraftFromMessage(raw []byte) (Draft, error) {
	e, err := gomessage.Read(bytes.NewReader(raw))
	if err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
		return Draft{}, fmt.Errorf("message: resume draft: %w", err)
	}
	h := headerInfo(e.Header.Header)
	d := Draft{
		Subject:    h.Subject,
		To:         addressStrings(h.To),
		Cc:         addressStrings(h.Cc),
		Bcc:        addressStrings(addressList(e.Header.Get("Bcc"))),
		InReplyTo:  h.InReplyTo,
		References: h.References,
	}
	if len(h.From) > 0 {
		d.From = formatAddress(h.From[0])
	}
	_ = d.parseCryptoField(e.Header.Get(CryptoField)) // unknown words: none
	r := &resumer{d: &d, left: maxResumeBytes}
	if err := r.visit(e, 0); err != nil {
		return Draft{}, fmt.Errorf("message: resume draft: %w", err)
	}
	return d, nil
}

func addressStrings(list []mail.Address) []string {
	var out []string
	for _, a := range list {
		if a.Addr != "" {
			out = append(out, formatAddress(a))
		}
	}
	return out
}

type resumer struct {
	d       *Draft
	hasBody bool
	left    int64
}

func (r *resumer) visit(e *gomessage.Entity, depth int) error {
	if depth > maxDepth {
		return errors.New("nesting too deep")
	}
	if mr := e.MultipartReader(); mr != nil {
		for {
			p, err := mr.NextPart()
			if err == io.EOF {
				return nil
			}
			if err != nil && !gomessage.IsUnknownCharset(err) && !gomessage.IsUnknownEncoding(err) {
				return err
			}
			if err := r.visit(p, depth+1); err != nil {
				return err
			}
		}
	}
	t, params := parseParams(e.Header.Get("Content-Type"))
	if t == "" {
		t = "text/plain"
	}
	disp, dparams := parseParams(e.Header.Get("Content-Disposition"))
	name := dparams["filename"]
	if name == "" {
		name = params["name"]
	}
	data, err := io.ReadAll(io.LimitReader(e.Body, r.left+1))
	if err != nil {
		return err
	}
	if r.left -= int64(len(data)); r.left < 0 {
		return fmt.Errorf("draft larger than %d MB", maxResumeBytes>>20)
	}
	inlineText := disp != "attachment" && name == ""
	switch {
	case inlineText && t == "text/plain" && !r.hasBody:
		r.hasBody = true
		body := strings.ReplaceAll(string(data), "\r\n", "\n")
		if strings.EqualFold(params["format"], "flowed") {
			body = unflow(body, strings.EqualFold(params["delsp"], "yes"))
		}
		r.d.Body = body
	case inlineText && (t == "text/html" || t == "text/plain"):
		// an alternative of the body
	default:
		if name == "" {
			name = "part" + extensionFor(t)
		}
		r.d.Attachments = append(r.d.Attachments, DraftAttachment{
			Name: outgoingName(name), ContentType: t, Data: append([]byte{}, data...),
		})
	}
	return nil
}

// extractPart writes the decoded content of leaf index of raw to w.
func extractPart(raw []byte, index int, w io.Writer) (err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("message: internal error: %v", p)
		}
	}()
	wk := newWalker(0)
	wk.saveIndex = index
	found := false
	wk.save = func(_ *node, r io.Reader) error {
		found = true
		_, err := io.Copy(w, r)
		return err
	}
	wk.parseMessage(bytes.NewReader(raw), 0)
	if wk.saveErr != nil {
		return wk.saveErr
	}
	if !found {
		return ErrNoSuchPart
	}
	return nil
}
