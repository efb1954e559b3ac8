package message

import (
	"bufio"
	"bytes"
	"os"
	"testing"
)

// TestDateStrictAgreesWithLenient: whatever the fast path of parseDate
// accepts, the lenient reading reads as the same instant in the same
// fixed zone; dates of the shared corpus and edge cases.
func TestDateStrictAgreesWithLenient(t *testing.T) {
	dates := []string{
		"Mon, 02 Mar 2026 09:59:41 +0100", "2 Mar 2026 09:59:41 -0000", "Tue, 29 Feb 2024 23:59:59 +1400",
		"Wed, 31 Apr 2024 10:00:00 +0000", "Mon, 1 Jan 1990 00:00:00 -0930", "Mon, 01 Jan 1990 00:00:60 +0000",
		"Mon, 1 Jan 1990 00:00:00 +2500", "Mon, 1 Jan 1990 00:00:00 +0099", "Fri, 13 Feb 2009 23:31:30 +0000",
		"Sun, 5 Jan 0099 12:00:00 +0000", "Xyz, 1 Jan 2000 00:00:00 +0000",
	}
	for _, f := range corpusFiles(t) {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := readHeader(bufio.NewReader(bytes.NewReader(b)), func(string) {})
		if d := h.Get("Date"); d != "" {
			dates = append(dates, stripComments(d))
		}
	}
	strict := 0
	for _, s := range dates {
		fast, ok := parseDateStrict(s)
		if !ok {
			continue
		}
		strict++
		slow, err := parseDateLenient(s)
		if err != nil {
			t.Errorf("%q: fast path read %v, lenient reading fails: %v", s, fast, err)
			continue
		}
		_, fo := fast.Zone()
		_, so := slow.Zone()
		if !fast.Equal(slow) || fo != so {
			t.Errorf("%q: fast path %v, lenient %v", s, fast, slow)
		}
	}
	if strict < 10 {
		t.Errorf("only %d of %d dates took the fast path", strict, len(dates))
	}
	if _, ok := parseDateStrict("Mon, 1 Jan 1990 00:00:00 +0099"); ok {
		t.Error("an offset with 99 minutes took the fast path")
	}

}
