package imap

import (
	"bufio"
	"bytes"
	"mime"
	netmail "net/mail"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mail"
)

// fieldsSection is BODY.PEEK[HEADER.FIELDS (...)] of the fields the index
// decodes (handed up raw in mail.Header.RawFields: ENVELOPE is the
// server's reading of them, which drops or mangles raw 8-bit text and
// leaves some encoded words encoded), with Content-Type for the charset
// of raw 8-bit text, and Content-Disposition, which with Content-Type
// tells whether a message carries attachments when BODYSTRUCTURE is not
// fetched.
var fieldsSection = &imap.FetchItemBodySection{
	Specifier: imap.PartSpecifierHeader,
	HeaderFields: []string{"Subject", "From", "To", "Cc", "Date", "Message-ID",
		"In-Reply-To", "References", "Content-Type", "Content-Disposition"},
	Peek: true,
}

// headerFetchOptions are the items a header sync asks for: the raw
// fields above and what the index shows beside them. Neither ENVELOPE nor
// BODYSTRUCTURE: the index decodes the raw fields with posta's own parser
// (the fallback decoding here is for callers without one), and
// Content-Type with Content-Disposition say whether a message carries
// attachments (attachedByType). Building both cost the server about as
// much as the rest of the answer, and decoding ENVELOPE a third of the
// client's time reading it (CPU profile of go run ./bench, 10,000
// messages).
var headerFetchOptions = &imap.FetchOptions{
	UID: true, Flags: true, InternalDate: true, RFC822Size: true,
	BodySection: []*imap.FetchItemBodySection{fieldsSection},
}

// HeaderFetchOptions returns a copy of the FETCH items a header sync asks
// for, for baselines that must fetch the same data (bench).
func HeaderFetchOptions() *imap.FetchOptions {
	o := *headerFetchOptions
	return &o
}

// plainFetchOptions is what isolate.go retries a broken answer with. It
// once left out BODYSTRUCTURE, the item some servers send broken; the
// header sync no longer asks for it, so they are the same.
var plainFetchOptions = headerFetchOptions

// fetchHeaders fetches the headers of uids with opts (headerFetchOptions
// or plainFetchOptions), streaming message by message, and returns them
// newest first.
//
// When the command fails, it returns the messages received in full
// before the failure with the error. go-imap hands a message over while
// it decodes it, so the message being received when the answer broke is
// cut short: it is left out, and its UID is returned as suspect. suspect
// is 0 if the answer broke between messages or before a message's UID.
func fetchHeaders(c *imapclient.Client, folder string, uids []imap.UID, opts *imap.FetchOptions, rawOnly bool) (headers []mail.Header, suspect imap.UID, err error) {
	return collectHeaders(c.Fetch(imap.UIDSetNum(uids...), opts), folder, uids, opts, rawOnly)
}

// collectHeaders reads the answer to fc, a fetch of uids with opts
// already sent, as fetchHeaders does.
func collectHeaders(fc *imapclient.FetchCommand, folder string, uids []imap.UID, opts *imap.FetchOptions, rawOnly bool) (headers []mail.Header, suspect imap.UID, err error) {
	defer fc.Close()
	want := requestedItems(opts)
	headers = make([]mail.Header, 0, len(uids))
	// Each message is converted as it comes; the last one is taken back
	// if the answer broke and it lacks an item (see below).
	var c collector
	var lastUID imap.UID
	var lastItems fetchItems
	for m := fc.Next(); m != nil; m = fc.Next() {
		items, cerr := c.collect(m)
		if cerr != nil {
			err = cerr
			if c.buf.UID != 0 {
				suspect = c.buf.UID
			}
			break
		}
		if c.buf.UID == 0 {
			continue // an unsolicited FETCH (flag update) without UID
		}
		headers = append(headers, headerOf(&c.buf, folder, rawOnly, c.flags(c.buf.Flags)))
		lastUID, lastItems = c.buf.UID, items
	}
	if cerr := fc.Close(); err == nil {
		err = cerr
	}
	if lastUID != 0 && err != nil && lastItems&want != want {
		// After a failure, only a message with every item asked for is
		// whole; one without is where the answer broke.
		headers[len(headers)-1] = mail.Header{}
		headers = headers[:len(headers)-1]
		if suspect == 0 {
			suspect = lastUID
		}
	}
	sortHeaders(headers)
	return headers, suspect, err
}

// fetchItems is a set of FETCH data items, to tell a whole message from
// one cut short.
type fetchItems uint8

const (
	itemUID fetchItems = 1 << iota
	itemFlags
	itemInternalDate
	itemSize
	itemEnvelope
	itemBodyStructure
	itemSection
)

// requestedItems is the set of items opts asks for (the header section
// counts as one).
func requestedItems(opts *imap.FetchOptions) fetchItems {
	set := itemUID
	for _, it := range []struct {
		on   bool
		item fetchItems
	}{
		{opts.Flags, itemFlags}, {opts.InternalDate, itemInternalDate}, {opts.RFC822Size, itemSize},
		{opts.Envelope, itemEnvelope}, {opts.BodyStructure != nil, itemBodyStructure}, {len(opts.BodySection) > 0, itemSection},
	} {
		if it.on {
			set |= it.item
		}
	}
	return set
}

// sortHeaders sorts headers newest (highest UID) first. Servers answer
// in ascending UID order: headers in strictly ascending order are
// reversed, and ones already in strictly descending order left as they
// are (a sort moves mail.Header's 300 bytes many times over).
func sortHeaders(headers []mail.Header) {
	if strictlyOrdered(headers, 1) {
		return
	}
	if strictlyOrdered(headers, -1) {
		slices.Reverse(headers)
		return
	}
	slices.SortFunc(headers, func(a, b mail.Header) int {
		return cmpUIDDesc(a.UID, b.UID)
	})
}

// strictlyOrdered says whether each header's UID is below the one
// before it (dir 1) or above it (dir -1).
func strictlyOrdered(headers []mail.Header, dir int) bool {
	for i := 1; i < len(headers); i++ {
		if cmpUIDDesc(headers[i-1].UID, headers[i].UID)*dir >= 0 {
			return false
		}
	}
	return true
}

func cmpUIDDesc(a, b string) int {
	if len(a) != len(b) {
		return len(b) - len(a)
	}
	return strings.Compare(b, a)
}

// toHeader converts FETCH data into a mail.Header. Missing items leave
// fields empty; nothing here fails on odd server data.
func toHeader(buf *imapclient.FetchMessageBuffer, folder string, rawOnly bool) mail.Header {
	return headerOf(buf, folder, rawOnly, convertFlags(buf.Flags))
}

// headerOf is toHeader with the flags already converted.
func headerOf(buf *imapclient.FetchMessageBuffer, folder string, rawOnly bool, flags mail.Flags) mail.Header {
	h := mail.Header{
		UID:    formatUID(buf.UID),
		Folder: folder,
		Flags:  flags,
		Size:   buf.RFC822Size,
		Date:   buf.InternalDate,
	}
	fields := headerFields(buf)
	if len(bytes.TrimSpace(fields)) > 0 {
		h.RawFields = fields
	}
	if rawOnly && h.RawFields != nil && buf.Envelope == nil && buf.BodyStructure == nil {
		// The caller decodes every field from RawFields (subject,
		// addresses, ids, attachment and security marks): parsing them
		// here too was a sixth of a first sync's time.
		return h.Bounded()
	}
	threading := parseHeaderFields(fields)
	if env := buf.Envelope; env != nil {
		fromEnvelope(&h, env)
	} else if !rawOnly || h.RawFields == nil {
		fromFields(&h, threading)
	}
	h.References = msgIDs(threading.Get("References"))
	if h.InReplyTo == "" {
		if ids := msgIDs(threading.Get("In-Reply-To")); len(ids) > 0 {
			h.InReplyTo = ids[0]
		}
	}
	if buf.BodyStructure != nil {
		h.HasAttachment = hasAttachment(buf.BodyStructure)
	} else {
		h.HasAttachment = attachedByType(threading)
	}
	h.Security = mail.SecurityOf(threading.Get("Content-Type"))
	// A batch of headers waits in memory until it is stored: keep only
	// what the index keeps, not a hostile message's 8 MB subject.
	return h.Bounded()
}

// fromEnvelope fills h from an ENVELOPE (a server that sent one
// unasked).
func fromEnvelope(h *mail.Header, env *imap.Envelope) {
	h.Subject = env.Subject
	h.MessageID = trimMsgID(env.MessageID)
	h.From = convertAddrs(env.From)
	h.To = convertAddrs(env.To)
	h.Cc = convertAddrs(env.Cc)
	if !env.Date.IsZero() {
		h.Date = env.Date
	}
	if len(env.InReplyTo) > 0 {
		h.InReplyTo = trimMsgID(env.InReplyTo[0])
	}
}

// fieldDecoder decodes RFC 2047 words in any charset go-message knows.
var fieldDecoder = newWordDecoder()

// fromFields fills h's subject, addresses, date and Message-ID from the
// raw header fields, as well as the standard library reads them; the
// accounts layer decodes the same fields again with posta's own parser
// (the pager's), which has the last word. A missing or unreadable Date
// leaves the INTERNALDATE.
func fromFields(h *mail.Header, hdr textproto.Header) {
	if v := hdr.Get("Subject"); v != "" {
		if d, err := fieldDecoder.DecodeHeader(v); err == nil {
			v = d
		}
		h.Subject = v
	}
	if ids := msgIDs(hdr.Get("Message-Id")); len(ids) > 0 {
		h.MessageID = ids[0]
	}
	h.From = fieldAddrs(hdr.Get("From"))
	h.To = fieldAddrs(hdr.Get("To"))
	h.Cc = fieldAddrs(hdr.Get("Cc"))
	if d, err := netmail.ParseDate(hdr.Get("Date")); err == nil {
		h.Date = d
	}
}

// fieldAddrs parses an address list field; what cannot be parsed is
// left out.
func fieldAddrs(v string) []mail.Address {
	if strings.TrimSpace(v) == "" {
		return nil
	}
	p := netmail.AddressParser{WordDecoder: fieldDecoder}
	list, err := p.ParseList(v)
	if err != nil {
		return nil
	}
	out := make([]mail.Address, 0, len(list))
	for _, a := range list {
		out = append(out, mail.Address{Name: a.Name, Addr: a.Address})
	}
	return out
}

// headerFields returns the fields of fieldsSection in buf: the section
// the server named as it was asked, or else the one header section it
// sent (a server may list the field names in another order).
func headerFields(buf *imapclient.FetchMessageBuffer) []byte {
	// buf.FindBodySection(fieldsSection), without its case-insensitive
	// comparison of the ten field names first.
	for _, s := range buf.BodySection {
		if isFieldsSection(s.Section) {
			if s.Bytes != nil {
				return s.Bytes
			}
			break
		}
	}
	for _, s := range buf.BodySection {
		if s.Section != nil && s.Section.Specifier == imap.PartSpecifierHeader && len(s.Section.HeaderFields) > 0 {
			return s.Bytes
		}
	}
	return nil
}

// isFieldsSection says whether a section a server sent is fieldsSection,
// as go-imap's FetchMessageBuffer.FindBodySection tells: the same
// specifier and field names (in any case), no part, no fields left out,
// no partial range. Servers echo the names as they were asked or in
// upper case, which are compared first.
func isFieldsSection(s *imap.FetchItemBodySection) bool {
	want := fieldsSection
	if s == nil || s.Specifier != want.Specifier || len(s.Part) != 0 || len(s.HeaderFieldsNot) != 0 ||
		s.Partial != nil || len(s.HeaderFields) != len(want.HeaderFields) {
		return false
	}
	for i, name := range s.HeaderFields {
		if name != fieldsUpper[i] && name != want.HeaderFields[i] && !strings.EqualFold(name, want.HeaderFields[i]) {
			return false
		}
	}
	return true
}

// fieldsUpper are fieldsSection's field names in upper case.
var fieldsUpper = func() []string {
	up := make([]string, len(fieldsSection.HeaderFields))
	for i, name := range fieldsSection.HeaderFields {
		up[i] = strings.ToUpper(name)
	}
	return up
}()

func parseHeaderFields(raw []byte) textproto.Header {
	if len(raw) == 0 {
		return textproto.Header{}
	}
	hdr, err := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		return textproto.Header{}
	}
	return hdr
}

// msgIDs extracts the <...> message IDs from a header value, without the
// angle brackets. Anything between IDs (comments, junk) is ignored.
func msgIDs(v string) []string {
	var ids []string
	for {
		open := strings.IndexByte(v, '<')
		if open < 0 {
			return ids
		}
		close := strings.IndexByte(v[open:], '>')
		if close < 0 {
			return ids
		}
		if id := strings.TrimSpace(v[open+1 : open+close]); id != "" {
			ids = append(ids, id)
		}
		v = v[open+close+1:]
	}
}

func trimMsgID(id string) string {
	return strings.TrimSuffix(strings.TrimPrefix(strings.TrimSpace(id), "<"), ">")
}

func convertAddrs(in []imap.Address) []mail.Address {
	var out []mail.Address
	for i := range in {
		addr := in[i].Addr()
		if addr == "" {
			continue // group markers
		}
		out = append(out, mail.Address{Name: in[i].Name, Addr: addr})
	}
	return out
}

var systemFlags = []mail.Flag{mail.FlagSeen, mail.FlagAnswered, mail.FlagFlagged, mail.FlagDeleted, mail.FlagDraft}

// convertFlags maps IMAP flags to mail flags, spelling system flags
// canonically and dropping \Recent.
func convertFlags(in []imap.Flag) mail.Flags {
	return appendFlags(make(mail.Flags, 0, len(in)), in)
}

// appendFlags appends in to out as convertFlags converts them.
func appendFlags(out mail.Flags, in []imap.Flag) mail.Flags {
	for _, f := range in {
		flag := mail.Flag(f)
		for _, sys := range systemFlags {
			if string(f) == string(sys) || strings.EqualFold(string(f), string(sys)) {
				flag = sys
				break // they differ in more than case
			}
		}
		if strings.EqualFold(string(flag), `\Recent`) || out.Has(flag) {
			continue
		}
		out = append(out, flag)
	}
	return out
}

// attachedByType guesses from the top-level Content-Type and
// Content-Disposition fields whether a message carries attachments, for
// messages fetched without BODYSTRUCTURE: multipart/mixed, an attachment
// disposition, or a body that is neither text nor multipart.
func attachedByType(hdr textproto.Header) bool {
	disp, _, _ := mime.ParseMediaType(hdr.Get("Content-Disposition"))
	if disp == "attachment" {
		return true
	}
	raw := hdr.Get("Content-Type")
	if strings.TrimSpace(raw) == "" {
		return false
	}
	typ, _, err := mime.ParseMediaType(raw)
	if err != nil {
		// mime.ParseMediaType fails on a bad parameter; the type is before it.
		typ = strings.ToLower(strings.TrimSpace(strings.Split(raw, ";")[0]))
	}
	switch {
	case typ == "multipart/mixed":
		return true
	case typ == "" || strings.HasPrefix(typ, "text/") || strings.HasPrefix(typ, "multipart/"):
		return false
	}
	return true
}

// hasAttachment reports whether any part is an attachment: a disposition
// of "attachment" or a file name.
func hasAttachment(bs imap.BodyStructure) bool {
	if bs == nil {
		return false
	}
	found := false
	bs.Walk(func(_ []int, part imap.BodyStructure) bool {
		if found {
			return false
		}
		if d := part.Disposition(); d != nil && strings.EqualFold(d.Value, "attachment") {
			found = true
		}
		if single, ok := part.(*imap.BodyStructureSinglePart); ok && single.Filename() != "" {
			found = true
		}
		return !found
	})
	return found
}
