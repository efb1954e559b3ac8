package message

import (
	"bufio"
	"bytes"
	"net/http"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"
)

// parseHeaderRef is ParseHeader as it was before ParseHeaderBytes and
// indexSpans.info: readBlock, scanIndexFields, then
// (*indexFields).info of the unfolded strings.
func parseHeaderRef(raw []byte) (block []byte, f indexFields) {
	sc := new(headerScratch)
	block, _ = sc.readBlock(bufio.NewReader(bytes.NewReader(raw)), func(string) {})
	return bytes.Clone(block), scanIndexFields(block)
}

// checkHeaderBytes fails t when ParseHeaderBytes or ParseHeader reads raw
// otherwise than the reference path, or scanCanonical takes a block
// that readBlock would change or reads it otherwise than scan.
func checkHeaderBytes(t *testing.T, raw []byte) {
	t.Helper()
	block, f := parseHeaderRef(raw)
	want := f.info()
	if got := ParseHeaderBytes(raw); !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseHeaderBytes(%q) =\n%#v, want\n%#v", raw, got, want)
	}
	if got, err := ParseHeader(bytes.NewReader(raw)); err != nil || !reflect.DeepEqual(got, want) {
		t.Fatalf("ParseHeader(%q) =\n%#v, %v, want\n%#v", raw, got, err, want)
	}
	var fast, slow, direct indexSpans
	if fast.scanCanonical(raw) {
		slow.scan(block)
		direct.scan(raw)
		if !sameSpans(&fast, &slow) || !sameSpans(&fast, &direct) {
			t.Fatalf("scanCanonical(%q) =\n%+v, scan of readBlock's block gives\n%+v, of raw\n%+v", raw, fast, slow, direct)
		}
	}
}

// sameSpans reports whether a and b hold the same values.
func sameSpans(a, b *indexSpans) bool {
	same := func(x, y []byte) bool { return (x == nil) == (y == nil) && bytes.Equal(x, y) }
	for i := range a.slot {
		if !same(a.slot[i], b.slot[i]) {
			return false
		}
	}
	if a.nFrom != b.nFrom {
		return false
	}
	for i := range a.nFrom {
		if !same(a.fromAt(i), b.fromAt(i)) {
			return false
		}
	}
	return true
}

var headerBytesCases = []string{
	"", "\r\n", "\r\n\r\n", "Subject: x", "Subject: x\r\n", "Subject: x\r\n\r\nbody", "Subject: x\n\n",
	" Subject: x\r\n\r\n", "Subject: a\r\n b\r\n\t c \r\n\r\n", "Subject: a\r\n \r\n b\r\n\r\n",
	"From x@y Mon Jan 1 00:00:00 2024\r\nSubject: mbox\r\n\r\n", "From : x@y\r\n\r\n", "\xef\xbb\xbfSubject: bom\r\n\r\n",
	"Subject: a\r\r\n\r\n", "Subject: a\rb\r\n\r\n", "junk\r\nSubject: after junk\r\n\r\n",
	"Subject: a\r\njunk\r\nTo: b@c\r\n\r\n", "Subject: a\r\n\xc2\xa0\r\nTo: b@c\r\n\r\n",
	"Subject: =?UTF-8?B?UmU6IENhZsOpIG1lZXRpbmc=?=\r\n\r\n", "Subject: caf\xe9\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n",
	"Subject: \xf0\xd2\r\nFrom: \xf0\xd2 <a@b>\r\nContent-Type: text/plain; charset=koi8-r\r\n\r\n",
	"Subject: tab\there\r\nMessage-ID: <a b@c>\r\nIn-Reply-To: <>\r\nReferences: <a@b> (c) <d@e>\r\n\r\n",
	"Message-ID: a@b\r\nIn-Reply-To: <x@y> <z@w>\r\nReferences: <a@b>\r\n <c@d>\r\n\r\n",
	"Message-ID: <<a@b>\r\nIn-Reply-To: (c) <x@y>\r\n\r\n", "Message-ID: <a@b\r\n\r\n",
	"Date: Mon, 02 Mar 2026 09:59:41 +0100\r\n\r\n", "Date: 2 Mar 2026 9:59:41 -0930\r\n\r\n",
	"Date: Wed, 15 Jan 92 16:24:40 EST\r\n\r\n", "Date: Mon, 31 Apr 2026 09:59:41 +0100\r\n\r\n",
	"Content-Type: multipart/signed; protocol=\"application/pgp-signature\"\r\n\r\n",
	"Content-Type: Multipart/Encrypted\r\n\r\n", "Content-Type: application/pkcs7-mime; smime-type=signed-data\r\n\r\n",
	"Content-Type: application/x-pkcs7-mime; name=smime.p7m\r\n\r\n", "Content-Type: multipart/mixed; boundary=x\r\n\r\n",
	"Content-Type: \"multipart/mixed\"\r\n\r\n", "Content-Type: text plain\r\n\r\n", "Content-Type: ; charset=x\r\n\r\n",
	"Content-Type: application/pdf\r\nContent-Disposition: inline\r\n\r\n", "Content-Disposition: attachment\r\n\r\n",
	"Content-Type: multipart/alternative\r\nContent-Disposition: attachment; filename=a\r\n\r\n",
	"Content-Type: multipart/signed\r\n\tprotocol=x\r\n\r\n", "Content-Type: text/plain; charset*=utf-8''x\r\n\r\n",
	"From: a@b\r\nFrom: c@d, e@f\r\nfrom:\r\nFROM: \"Q\" <g@h>\r\n\r\n", "From: \r\nFrom: x@y\r\n\r\n",
	"To: Pete(A \\) c) <pete(x)@silly.test(y)>, group: a@b;\r\nCc: =?ISO-8859-1?Q?Chlo=E9?= Dubois <chloe@example.fr>\r\n\r\n",
	"Reply-To: <a@b>\r\nTo: a@b,\r\n\r\n c@d\r\n\r\n",
}

func TestParseHeaderBytes(t *testing.T) {
	for _, raw := range headerBytesCases {
		checkHeaderBytes(t, []byte(raw))
	}
	checkHeaderBytes(t, []byte(typicalHeader))
	long := bytes.Repeat([]byte("x"), maxFieldBytes)
	for _, raw := range [][]byte{
		append(append([]byte("Subject: "), long...), "\r\n\r\n"...),
		append(append([]byte("Subject: a\r\n "), long[:maxFieldBytes-len("Subject: a\r\n ")]...), "\r\nTo: a@b\r\n\r\n"...),
		append(append([]byte("Subject: a\r\n "), long[:maxFieldBytes-len("Subject: a\r\n ")+1]...), "\r\nTo: a@b\r\n\r\n"...),
		bytes.Repeat([]byte("Subject: "+string(long[:1000])+"\r\n"), maxHeaderBytes/1000),
	} {
		checkHeaderBytes(t, raw)
	}
}

// TestParseHeaderBytesCorpus checks ParseHeaderBytes against the
// reference path over the header of every message of the shared corpus
// (as it is, and with its lines ended by CRLF, as IMAP sends them).
func TestParseHeaderBytesCorpus(t *testing.T) {
	canonical := 0
	for _, path := range corpusFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkHeaderBytes(t, raw)
		head := headerBlock(raw)
		crlf := bytes.ReplaceAll(bytes.ReplaceAll(head, []byte("\r\n"), []byte("\n")), []byte("\n"), []byte("\r\n"))
		checkHeaderBytes(t, crlf)
		var sp indexSpans
		if sp.scanCanonical(crlf) {
			canonical++
		}
	}
	if canonical == 0 {
		t.Error("no header of the corpus took scanCanonical")
	}
}

func FuzzParseHeaderBytes(f *testing.F) {
	fuzzSeeds(f)
	for _, raw := range headerBytesCases {
		f.Add([]byte(raw))
	}
	f.Add([]byte(typicalHeader))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkHeaderBytes(t, raw)
	})
}

// checkDateFast fails t when parseDateFast takes s and reads it
// otherwise than parseDate.
func checkDateFast(t *testing.T, s string) bool {
	t.Helper()
	got, ok := parseDateFast([]byte(s))
	if !ok {
		return false
	}
	want, err := parseDate(s)
	if err != nil {
		t.Fatalf("parseDateFast(%q) = %v, parseDate fails: %v", s, got, err)
	}
	gn, go_ := got.Zone()
	wn, wo := want.Zone()
	if !got.Equal(want) || gn != wn || go_ != wo || !reflect.DeepEqual(got, want) {
		t.Fatalf("parseDateFast(%q) = %v, parseDate gives %v", s, got, want)
	}
	return true
}

var dateFastCases = []string{
	"Mon, 02 Mar 2026 09:59:41 +0100", "2 Mar 2026 09:59:41 -0000", "Tue, 29 Feb 2024 23:59:59 +1400",
	"Wed, 31 Apr 2024 10:00:00 +0000", "Mon, 1 Jan 1990 00:00:00 -0930", "Mon, 01 Jan 1990 00:00:60 +0000",
	"Mon, 1 Jan 1990 00:00:00 +2500", "Mon, 1 Jan 1990 00:00:00 +0099", "Fri, 13 Feb 2009 23:31:30 +0000",
	"Sun, 5 Jan 0099 12:00:00 +0000", "Xyz, 1 Jan 2000 00:00:00 +0000", "Thu, 29 Feb 2001 1:02:03 +0530",
	"Sat, 0 Jan 2000 00:00:00 +0000", "Sat, 1 jan 2000 00:00:00 +0000", "Sat,  1 Jan 2000 00:00:00 +0000",
	"Sat, 1 Jan 2000 00:00:00.5 +0000", "Sat, 1 Jan 2000 24:00:00 +0000", "Sat, 1 Jan 2000 00:00:00 +2400",
	"Sat, 1 Jan 2000 00:00:00 +0000 (UTC)", "1 Jan 20000 00:00:00 +0000", "001 Jan 2000 00:00:00 +0000",
}

func TestDateFast(t *testing.T) {
	fast := 0
	for _, s := range dateFastCases {
		if checkDateFast(t, s) {
			fast++
		}
	}
	for _, path := range corpusFiles(t) {
		b, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		h, _ := readHeader(bufio.NewReader(bytes.NewReader(b)), func(string) {})
		if d := h.Get("Date"); d != "" && checkDateFast(t, d) {
			fast++
		}
	}
	if fast < 10 {
		t.Errorf("only %d dates took the fast path", fast)
	}
}

func FuzzDateFast(f *testing.F) {
	for _, s := range dateFastCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		checkDateFast(t, s)
	})
}

// TestParseHeaderBytesKeepsNothing: what ParseHeaderBytes returns holds
// none of the bytes it read, nor of the scratch buffers it uses again.
func TestParseHeaderBytesKeepsNothing(t *testing.T) {
	raw := []byte(typicalHeader)
	h := ParseHeaderBytes(raw)
	want := ParseHeaderBytes(bytes.Clone(raw))
	for i := range raw {
		raw[i] = 'x'
	}
	for range 3 {
		ParseHeaderBytes([]byte("From: \"zzzz zzzzzzz\" <zzzzz@zzzzzzz.zz>\r\nTo: zzzz@zzzz.zz, =?utf-8?q?zzzz_zzzzzzzzzzzzzzzzzz?= <zzzz@zzzzz.zz>\r\n" +
			"Cc: =?ISO-8859-1?Q?zzzzzzzzzzzzzzz?= zzz <zzzzz@zzzzzz.zz>\r\nSubject: =?utf-8?q?zzzzzzzzzzzzz?=\r\n zzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzzz\r\n\r\n"))
	}
	if !reflect.DeepEqual(h, want) {
		t.Fatalf("after its input changed, ParseHeaderBytes gave\n%#v, want\n%#v", h, want)
	}
	if h.Date.Location().String() != "" || h.Date.Sub(time.Date(2026, 3, 2, 8, 59, 41, 0, time.UTC)) != 0 {
		t.Errorf("Date = %v", h.Date)
	}
}

func TestIndexFieldOf(t *testing.T) {
	for i, name := range indexField {
		for _, key := range []string{name, strings.ToUpper(name), http.CanonicalHeaderKey(name)} {
			if got := indexFieldOf([]byte(key)); got != i {
				t.Errorf("indexFieldOf(%q) = %d, want %d", key, got, i)
			}
		}
	}
	for _, key := range []string{"", "t", "from", "From", "tO-", "bcc", "dates", "message-ie", "referencer", "content-typ",
		"content-dispositio", "reply_to", "in-reply-tp", "x-subject", "subjec", "content-type\x00"} {
		if got := indexFieldOf([]byte(key)); got != -1 {
			t.Errorf("indexFieldOf(%q) = %d, want -1", key, got)
		}
	}
}
