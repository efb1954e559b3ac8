package cache

import (
	"strconv"
	"strings"
	"testing"
)

// FuzzComputeThreads threads messages whose ids, references and subjects
// strangers wrote: duplicate and missing ids, messages naming themselves
// or each other as parents, subjects of only "Re:". Whatever they say,
// each message must be listed exactly once, in one thread, at a sound
// depth: a message the threaded view drops is as good as lost to the
// reader.
//
// An input is one message a line: "id|ref ref …|subject".
func FuzzComputeThreads(f *testing.F) {
	for _, seed := range []string{
		"a||Hello\nb|a|Re: Hello\nc|a b|Re: Hello",
		"a|a|self\nb|b a|Re: self",
		"a|b|loop\nb|a|Re: loop",
		"a|c b|x\nb|a c|Re: x\nc|b a|Re: Re: x",
		"|a|Re: orphan\n|a|Re: orphan\nx||orphan",
		"a||Re: \nb||Fwd: Re: \nc|zz|",
		"d||same\nd||same\nd|d|Re: same",
		"p|q r s|Re: Re: deep\nq|r|Re: deep\nr||deep\ns|q|deep",
	} {
		f.Add(seed)
	}
	f.Fuzz(func(t *testing.T, in string) {
		lines := strings.Split(in, "\n")
		if len(lines) > 64 {
			lines = lines[:64]
		}
		var msgs []*threadMsg
		for i, line := range lines {
			id, rest, _ := strings.Cut(line, "|")
			refs, subject, _ := strings.Cut(rest, "|")
			m := &threadMsg{rowID: int64(i + 1), messageID: normalizeID(id), subject: subject, date: int64(len(lines) - i)}
			for _, r := range strings.Fields(refs) {
				if r = normalizeID(r); r != "" {
					m.refs = append(m.refs, r)
				}
			}
			msgs = append(msgs, m)
		}
		threads := computeThreads(msgs)
		listed := map[int64]int{}
		for _, th := range threads {
			if len(th.rows) == 0 {
				t.Fatalf("an empty thread for %q", in)
			}
			for i, row := range th.rows {
				listed[row.msg.rowID]++
				if row.order != int64(i) {
					t.Fatalf("row %d of a thread has order %d (%q)", i, row.order, in)
				}
				if i == 0 && row.depth != 0 || row.depth < 0 || i > 0 && row.depth > th.rows[i-1].depth+1 {
					t.Fatalf("row %d of a thread has depth %d after %d (%q)", i, row.depth, th.rows[max(i-1, 0)].depth, in)
				}
			}
		}
		for _, m := range msgs {
			if n := listed[m.rowID]; n != 1 {
				t.Fatalf("message %s (line %q) listed %d times for %q", strconv.FormatInt(m.rowID, 10), lines[m.rowID-1], n, in)
			}
		}
	})
}
