package imap

import (
	"io"
	"slices"
	"strings"
	"testing"

	"github.com/emersion/go-imap/v2"

	"github.com/posta-mail/posta/mail"
)

// literal is an imap.LiteralReader of s that says it is size bytes long.
type literal struct {
	io.Reader
	size int64
}

func (l literal) Size() int64 { return l.size }

// TestReadLiteral: the collector reads a literal as io.ReadAll does
// (what came, and no error at EOF, even when fewer bytes came than
// announced) and keeps each one apart: appending to one never writes
// into the next.
func TestReadLiteral(t *testing.T) {
	var c collector
	tests := []struct {
		data string
		size int64
	}{
		{"Subject: one\r\n\r\n", 16},
		{"Subject: cut", 40}, // the connection broke within it
		{"", 0},              // empty
		{"Subject: two\r\n\r\n", 16},
		{strings.Repeat("x", arenaLiteral+1), arenaLiteral + 1}, // not in the arena
		{"Subject: three\r\n\r\n", 18},
	}
	var got [][]byte
	for _, tt := range tests {
		b, err := c.readLiteral(literal{io.LimitReader(strings.NewReader(tt.data), tt.size), tt.size})
		want, _ := io.ReadAll(io.LimitReader(strings.NewReader(tt.data), tt.size))
		if err != nil || string(b) != string(want) {
			t.Fatalf("readLiteral(%q) = %q, %v; want %q", tt.data, b, err, want)
		}
		got = append(got, b)
	}
	for i := range got {
		_ = append(got[i], "APPENDED"...)
	}
	for i, tt := range tests {
		if string(got[i]) != tt.data {
			t.Errorf("literal %d = %q after appends to the others, want %q", i, got[i], tt.data)
		}
	}
}

// TestCollectorFlags: the flags converted into the collector's arena are
// convertFlags's, and appending to one message's never changes the next.
func TestCollectorFlags(t *testing.T) {
	var c collector
	ins := [][]imap.Flag{
		{`\SEEN`, `\Recent`, "$Label", `\seen`},
		nil,
		{`\Answered`, `\Flagged`},
		{`\Recent`},
	}
	var got []mail.Flags
	for _, in := range ins {
		f := c.flags(in)
		if want := convertFlags(in); !slices.Equal(f, want) || f == nil {
			t.Fatalf("flags(%v) = %#v, want %#v", in, f, want)
		}
		got = append(got, f)
	}
	want := slices.Clone(got)
	for i := range got {
		want[i] = slices.Clone(got[i])
		_ = append(got[i], "$x")
	}
	for i := range got {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("flags %d = %v after appends to the others, want %v", i, got[i], want[i])
		}
	}
}

// TestSortHeaders: newest first, whatever the order given, duplicates
// included.
func TestSortHeaders(t *testing.T) {
	for _, uids := range [][]string{
		{"1", "2", "3", "10", "11"},
		{"11", "10", "3", "2", "1"},
		{"3", "11", "1", "10", "2"},
		{"2", "2", "1", "10"},
		{"7"},
		{},
	} {
		hs := make([]mail.Header, len(uids))
		for i, uid := range uids {
			hs[i].UID = uid
		}
		sortHeaders(hs)
		for i := 1; i < len(hs); i++ {
			if cmpUIDDesc(hs[i-1].UID, hs[i].UID) > 0 {
				t.Errorf("sortHeaders(%v): %s before %s", uids, hs[i-1].UID, hs[i].UID)
			}
		}
	}
}
