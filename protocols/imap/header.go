package imap

import (
	"bufio"
	"bytes"
	"slices"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"
	"github.com/emersion/go-message/textproto"

	"github.com/posta-mail/posta/mail"
)

// threadingSection is BODY.PEEK[HEADER.FIELDS (References In-Reply-To)].
var threadingSection = &imap.FetchItemBodySection{
	Specifier:    imap.PartSpecifierHeader,
	HeaderFields: []string{"References", "In-Reply-To"},
	Peek:         true,
}

var headerFetchOptions = &imap.FetchOptions{
	UID: true, Flags: true, InternalDate: true, RFC822Size: true, Envelope: true,
	BodyStructure: &imap.FetchItemBodyStructure{Extended: true},
	BodySection:   []*imap.FetchItemBodySection{threadingSection},
}

// fetchHeaders fetches the headers of uids, streaming message by message,
// and returns them newest first with the total message size.
func fetchHeaders(c *imapclient.Client, folder string, uids []imap.UID) ([]mail.Header, int64, error) {
	fc := c.Fetch(imap.UIDSetNum(uids...), headerFetchOptions)
	defer fc.Close()
	headers := make([]mail.Header, 0, len(uids))
	var size int64
	for m := fc.Next(); m != nil; m = fc.Next() {
		buf, err := m.Collect()
		if err != nil {
			return nil, 0, err
		}
		if buf.UID == 0 {
			continue // an unsolicited FETCH (flag update) without UID
		}
		h := toHeader(buf, folder)
		size += h.Size
		headers = append(headers, h)
	}
	if err := fc.Close(); err != nil {
		return nil, 0, err
	}
	slices.SortFunc(headers, func(a, b mail.Header) int {
		return cmpUIDDesc(a.UID, b.UID)
	})
	return headers, size, nil
}

func cmpUIDDesc(a, b string) int {
	if len(a) != len(b) {
		return len(b) - len(a)
	}
	return strings.Compare(b, a)
}

// toHeader converts FETCH data into a mail.Header. Missing items leave
// fields empty; nothing here fails on odd server data.
func toHeader(buf *imapclient.FetchMessageBuffer, folder string) mail.Header {
	h := mail.Header{
		UID:    formatUID(buf.UID),
		Folder: folder,
		Flags:  convertFlags(buf.Flags),
		Size:   buf.RFC822Size,
		Date:   buf.InternalDate,
	}
	if env := buf.Envelope; env != nil {
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
	threading := parseHeaderFields(buf.FindBodySection(threadingSection))
	h.References = msgIDs(threading.Get("References"))
	if h.InReplyTo == "" {
		if ids := msgIDs(threading.Get("In-Reply-To")); len(ids) > 0 {
			h.InReplyTo = ids[0]
		}
	}
	h.HasAttachment = hasAttachment(buf.BodyStructure)
	return h
}

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
	out := mail.Flags{}
	for _, f := range in {
		flag := mail.Flag(f)
		for _, sys := range systemFlags {
			if strings.EqualFold(string(f), string(sys)) {
				flag = sys
			}
		}
		if strings.EqualFold(string(flag), `\Recent`) || out.Has(flag) {
			continue
		}
		out = append(out, flag)
	}
	return out
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
