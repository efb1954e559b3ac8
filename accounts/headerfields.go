package accounts

import (
	"github.com/posta-mail/posta/mail"
	"github.com/posta-mail/posta/message"
)

// decodeRawFields fills the index's decoded fields of h (Subject, From,
// To, Cc, Date, Message-ID, In-Reply-To, References, the attachment and
// security marks) from h.RawFields,
// the raw header fields the fetcher handed up, with posta's own header
// parser: the one the pager reads the whole message with, so that the
// index shows what the message shows (IMAP's ENVELOPE, the server's
// reading of the same fields, drops or mangles raw 8-bit text and leaves
// some encoded words encoded). The fetcher's values stay when there are
// no raw fields (the server sent none), and its date when the raw Date
// is missing or unreadable. RawFields is let go of.
func decodeRawFields(h *mail.Header) {
	raw := h.RawFields
	h.RawFields = nil
	if len(raw) == 0 {
		return
	}
	p := message.ParseHeaderBytes(raw)
	h.Subject, h.From, h.To, h.Cc = p.Subject, p.From, p.To, p.Cc
	h.MessageID, h.InReplyTo, h.References = p.MessageID, p.InReplyTo, p.References
	h.HasAttachment, h.Security = p.HasAttachment, p.Security
	if !p.Date.IsZero() {
		h.Date = p.Date // else ENVELOPE's, or the arrival time
	}
	*h = h.Bounded()
}
