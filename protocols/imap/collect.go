package imap

// Reading a header fetch's answer, message by message, with as little
// allocated per message as go-imap allows: the section bytes and the
// flags of a batch go into arenas, and one buffer serves every message.

import (
	"io"

	"github.com/emersion/go-imap/v2"
	"github.com/emersion/go-imap/v2/imapclient"

	"github.com/posta-mail/posta/mail"
)

// collector reads the FETCH data of the messages of one answer, one
// after the other, into buf, which each message reuses (toHeader keeps
// nothing of it but the header section's bytes).
type collector struct {
	buf imapclient.FetchMessageBuffer
	// arena holds the header sections read so far, one after the other:
	// a header fetch's sections are small, and reading each into a
	// buffer of its own (io.ReadAll's, grown as it fills) cost more
	// than go-imap's decoding of the rest of the message's data.
	arena []byte
	one   [1]byte // for the read that finds a literal's end
	// flagArena holds the converted flags of the messages so far, for
	// the same reason.
	flagArena []mail.Flag
}

// flags converts in as convertFlags does, into the flag arena.
func (c *collector) flags(in []imap.Flag) mail.Flags {
	if cap(c.flagArena)-len(c.flagArena) < len(in) {
		c.flagArena = make([]mail.Flag, 0, max(arenaFlags, len(in)))
	}
	n := len(c.flagArena)
	out := appendFlags(c.flagArena[n:n:n+len(in)], in)
	c.flagArena = c.flagArena[:n+len(out)]
	if out == nil {
		return mail.Flags{} // as convertFlags's
	}
	// An append to the message's flags must not reach the next one's.
	return out[:len(out):len(out)]
}

const (
	// arenaBytes is the size of a collector's arena.
	arenaBytes = 32 << 10
	// arenaLiteral is the largest literal read into the arena; larger
	// ones (or a literal whose size is unknown) are read as io.ReadAll
	// reads, into memory grown as the bytes come.
	arenaLiteral = 8 << 10
	// arenaFlags is how many flags a collector's flag arena holds.
	arenaFlags = 512
)

// collect reads one message's FETCH data into c.buf, as
// FetchMessageData.Collect does, and reports which items arrived.
func (c *collector) collect(m *imapclient.FetchMessageData) (fetchItems, error) {
	c.buf = imapclient.FetchMessageBuffer{SeqNum: m.SeqNum, BodySection: c.buf.BodySection[:0]}
	buf := &c.buf
	var items fetchItems
	for item := m.Next(); item != nil; item = m.Next() {
		switch item := item.(type) {
		case imapclient.FetchItemDataUID:
			buf.UID, items = item.UID, items|itemUID
		case imapclient.FetchItemDataFlags:
			buf.Flags, items = item.Flags, items|itemFlags
		case imapclient.FetchItemDataInternalDate:
			buf.InternalDate, items = item.Time, items|itemInternalDate
		case imapclient.FetchItemDataRFC822Size:
			buf.RFC822Size, items = item.Size, items|itemSize
		case imapclient.FetchItemDataEnvelope:
			buf.Envelope, items = item.Envelope, items|itemEnvelope
		case imapclient.FetchItemDataBodyStructure:
			buf.BodyStructure, items = item.BodyStructure, items|itemBodyStructure
		case imapclient.FetchItemDataBodySection:
			var b []byte
			if item.Literal != nil {
				var err error
				if b, err = c.readLiteral(item.Literal); err != nil {
					return items, err
				}
			}
			buf.BodySection = append(buf.BodySection, imapclient.FetchBodySectionBuffer{Section: item.Section, Bytes: b})
			items |= itemSection
		}
	}
	return items, nil
}

// readLiteral reads lit to its end as io.ReadAll does (its bytes, and
// no error at EOF, however few came), into the arena when its announced
// size is small.
func (c *collector) readLiteral(lit imap.LiteralReader) ([]byte, error) {
	size := lit.Size()
	if size <= 0 || size > arenaLiteral {
		return io.ReadAll(lit)
	}
	if int64(cap(c.arena)-len(c.arena)) < size {
		c.arena = make([]byte, 0, arenaBytes)
	}
	n := len(c.arena)
	// The literal's room ends at its size: a literal longer than it
	// said (it cannot be: go-imap reads no further) would be moved out
	// by append rather than overwrite the next one.
	b := c.arena[n : n : n+int(size)]
	c.arena = c.arena[:n+int(size)]
	for {
		var k int
		var err error
		if len(b) < cap(b) {
			k, err = lit.Read(b[len(b):cap(b)])
			b = b[:len(b)+k]
		} else {
			k, err = lit.Read(c.one[:])
			b = append(b, c.one[:k]...)
		}
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return b, err
		}
	}
}
