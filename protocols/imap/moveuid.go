package imap

import (
	"context"
	"fmt"
	"strings"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
)

// maxPlaced bounds how many new UIDs MoveUIDs reads from a server's answer
// (a hostile server may claim 4294967295 of them).
const maxPlaced = 1000

// MoveUIDs moves messages to dest as Move does and returns the UID each
// moved message has in dest, keyed by its old UID. The UIDs come from the
// server's COPYUID (UIDPLUS, RFC 4315; IMAP4rev2); without it they are
// looked for right after the move among the messages dest gained
// (UIDNEXT before the move onwards), matched by Message-ID when more than
// one arrived. A message whose new UID cannot be told is left out of the
// map; the move itself still succeeded when err is nil.
func (f *Fetcher) MoveUIDs(ctx context.Context, folder string, uids []string, dest string) (map[string]string, error) {
	var placed map[string]string
	err := f.onUIDs(ctx, folder, uids, func(c *imapclient.Client, set imap.UIDSet) error {
		var err error
		placed, err = f.moveAndPlace(c, set, folder, dest, true)
		return err
	})
	if err != nil {
		return nil, err
	}
	return placed, nil
}

// moveAndPlace moves set from folder, selected read-write, to dest with
// MOVE, or COPY + \Deleted + EXPUNGE on servers without it. With place it
// also finds the new UIDs (see MoveUIDs).
func (f *Fetcher) moveAndPlace(c *imapclient.Client, set imap.UIDSet, folder, dest string, place bool) (map[string]string, error) {
	copyUID := !place || c.Caps().Has(imap.CapUIDPlus) || c.Caps().Has(imap.CapIMAP4rev2)
	// Without UIDPLUS: note where dest's new UIDs start and the
	// messages' Message-IDs, to find them there afterwards.
	var uidNext imap.UID
	var ids map[imap.UID]string
	if !copyUID {
		if st, err := c.Status(dest, &imap.StatusOptions{UIDNext: true}).Wait(); err == nil {
			uidNext = st.UIDNext
		}
		ids = messageIDs(c, set)
	}
	var src, dst imap.NumSet
	if c.Caps().Has(imap.CapMove) {
		data, err := c.Move(set, dest).Wait()
		if err != nil {
			return nil, notFound(err, fmt.Sprintf("move %s to %s", folder, dest))
		}
		if data != nil && data.UIDValidity != 0 {
			src, dst = data.SourceUIDs, data.DestUIDs
		}
	} else {
		data, err := c.Copy(set, dest).Wait()
		if err != nil {
			return nil, notFound(err, fmt.Sprintf("copy %s to %s", folder, dest))
		}
		if data != nil && data.UIDValidity != 0 {
			src, dst = data.SourceUIDs, data.DestUIDs
		}
		if err := expungeUIDs(c, set, folder); err != nil {
			return nil, err
		}
	}
	if !place {
		return nil, nil
	}
	if placed := pairUIDs(src, dst); placed != nil {
		return placed, nil
	}
	if uidNext == 0 {
		return nil, nil
	}
	return f.findMoved(c, set, ids, dest, uidNext), nil
}

// pairUIDs maps the source UIDs of a COPYUID answer to its destination
// UIDs, in order; nil when the answer is missing or malformed.
func pairUIDs(src, dst imap.NumSet) map[string]string {
	from := boundedUIDs(src)
	to := boundedUIDs(dst)
	if len(from) == 0 || len(from) != len(to) {
		return nil
	}
	out := make(map[string]string, len(from))
	for i, u := range from {
		out[formatUID(u)] = formatUID(to[i])
	}
	return out
}

// boundedUIDs lists the UIDs of a set of at most maxPlaced static UIDs,
// else nil.
func boundedUIDs(s imap.NumSet) []imap.UID {
	set, ok := s.(imap.UIDSet)
	if !ok {
		return nil
	}
	var out []imap.UID
	for _, r := range set {
		if r.Start == 0 || r.Stop == 0 || r.Stop < r.Start || int(r.Stop-r.Start) >= maxPlaced-len(out) {
			return nil
		}
		for u := r.Start; ; u++ {
			out = append(out, u)
			if u == r.Stop {
				break
			}
		}
	}
	return out
}

// messageIDs returns the Message-ID of each message of set (those that
// have one), or nil if the server will not say.
func messageIDs(c *imapclient.Client, set imap.UIDSet) map[imap.UID]string {
	section := &imap.FetchItemBodySection{Specifier: imap.PartSpecifierHeader, HeaderFields: []string{"Message-ID"}, Peek: true}
	// Read message by message, keeping only Message-IDs of a sane size:
	// each answer may be as large as a response may be (see wire.go).
	fc := c.Fetch(set, &imap.FetchOptions{UID: true, BodySection: []*imap.FetchItemBodySection{section}})
	out := map[imap.UID]string{}
	for m := fc.Next(); m != nil; m = fc.Next() {
		buf, err := m.Collect()
		if err != nil {
			fc.Close()
			return nil
		}
		if id := headerValue(buf.FindBodySection(section), "Message-Id"); id != "" && len(id) <= mail.MaxIDBytes {
			out[buf.UID] = id
		}
	}
	if err := fc.Close(); err != nil {
		return nil
	}
	return out
}

// headerValue returns the unfolded value of the first field called name
// in a raw header block.
func headerValue(raw []byte, name string) string {
	lines := strings.Split(strings.ReplaceAll(string(raw), "\r\n", "\n"), "\n")
	for i, line := range lines {
		k, v, ok := strings.Cut(line, ":")
		if !ok || !strings.EqualFold(strings.TrimSpace(k), name) {
			continue
		}
		for _, more := range lines[i+1:] {
			if more == "" || (more[0] != ' ' && more[0] != '\t') {
				break
			}
			v += " " + strings.TrimSpace(more)
		}
		return strings.TrimSpace(v)
	}
	return ""
}

// findMoved looks for the moved messages among the UIDs dest gained from
// uidNext on: one message moved and one arrived needs no more; otherwise
// each is matched by Message-ID. It leaves dest selected read-only.
func (f *Fetcher) findMoved(c *imapclient.Client, set imap.UIDSet, ids map[imap.UID]string, dest string, uidNext imap.UID) map[string]string {
	if err := f.selectFolder(c, dest, true); err != nil {
		return nil
	}
	fresh := imap.UIDSet{imap.UIDRange{Start: uidNext, Stop: 0}}
	data, err := c.UIDSearch(&imap.SearchCriteria{UID: []imap.UIDSet{fresh}}, nil).Wait()
	if err != nil {
		return nil
	}
	var arrived []imap.UID
	if all, ok := data.All.(imap.UIDSet); ok {
		for _, u := range boundedUIDs(all) {
			if u >= uidNext { // uidNext:* also matches the highest UID when nothing is new
				arrived = append(arrived, u)
			}
		}
	}
	moved := boundedUIDs(set) // not set.Nums(): it never ends on UID 4294967295
	if len(moved) == 1 && len(arrived) == 1 {
		return map[string]string{formatUID(moved[0]): formatUID(arrived[0])}
	}
	if len(arrived) == 0 || len(ids) == 0 {
		return nil
	}
	out := map[string]string{}
	for _, old := range moved {
		id := ids[old]
		if id == "" {
			continue
		}
		found, err := c.UIDSearch(&imap.SearchCriteria{
			UID:    []imap.UIDSet{fresh},
			Header: []imap.SearchCriteriaHeaderField{{Key: "Message-ID", Value: id}},
		}, nil).Wait()
		if err != nil {
			continue
		}
		if all, ok := found.All.(imap.UIDSet); ok {
			if us := boundedUIDs(all); len(us) == 1 && us[0] >= uidNext {
				out[formatUID(old)] = formatUID(us[0])
			}
		}
	}
	return out
}
