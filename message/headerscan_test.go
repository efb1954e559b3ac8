package message

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"testing"

	"github.com/emersion/go-message/textproto"
)

// scanIndexFields reads the index's fields from a header block as
// readBlock returns it, as textproto.ReadHeader and then indexFieldsOf
// would: indexSpans.scan with each value unfolded (unfold), the
// reference the fast paths are held to. TestScanIndexFieldsCorpus and
// FuzzScanIndexFields check it against go-message.
func scanIndexFields(raw []byte) indexFields {
	var sp indexSpans
	sp.scan(raw)
	var f indexFields
	for i := range indexField {
		if sp.slot[i] != nil {
			*f.slot(i) = unfold(sp.slot[i])
		}
	}
	for i := range sp.nFrom {
		f.from = append(f.from, unfold(sp.fromAt(i)))
	}
	return f
}

// unfold is go-message's trimAroundNewlines: each line of v, its CR and
// the spaces and tabs around it cut, the non-empty ones joined by one
// space.
func unfold(v []byte) string {
	if nl := bytes.IndexByte(v, '\n'); nl < 0 || nl == len(v)-1 {
		if nl >= 0 {
			v = v[:nl]
		}
		if len(v) > 0 && v[len(v)-1] == '\r' {
			v = v[:len(v)-1]
		}
		return string(trimWSP(v))
	}
	return string(appendUnfolded(nil, v))
}

// checkScan fails t when scanIndexFields reads the header block at the
// start of raw otherwise than go-message's ReadHeader and indexFieldsOf,
// or ParseHeader gives another header than headerInfo of readHeader.
func checkScan(t *testing.T, raw []byte) {
	t.Helper()
	sc := new(headerScratch)
	block, _ := sc.readBlock(bufio.NewReader(bytes.NewReader(raw)), func(string) {})
	th, _ := textproto.ReadHeader(bufio.NewReader(bytes.NewReader(block)))
	want := indexFieldsOf(th)
	if got := scanIndexFields(block); !reflect.DeepEqual(got, want) {
		t.Fatalf("scanIndexFields(%q) =\n%#v, ReadHeader gives\n%#v", block, got, want)
	}
	th, _ = readHeader(bufio.NewReader(bytes.NewReader(raw)), func(string) {})
	h, err := ParseHeader(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if old := headerInfo(th); !reflect.DeepEqual(h, old) {
		t.Fatalf("ParseHeader(%q) =\n%#v, headerInfo(readHeader) =\n%#v", raw, h, old)
	}
}

// TestScanIndexFieldsCorpus checks scanIndexFields and ParseHeader
// against go-message's header reader over every message of the shared
// corpus, and over the rest of each after every blank line (the headers
// of its parts and attached messages, and bodies read as headers).
func TestScanIndexFieldsCorpus(t *testing.T) {
	n := 0
	for _, path := range corpusFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		checkScan(t, raw)
		n++
		for i := 0; i < len(raw); {
			j := bytes.Index(raw[i:], []byte("\n\n"))
			k := bytes.Index(raw[i:], []byte("\n\r\n"))
			switch {
			case j < 0 && k < 0:
				i = len(raw)
				continue
			case j < 0 || (k >= 0 && k < j):
				i += k + 3
			default:
				i += j + 2
			}
			checkScan(t, raw[i:])
			n++
		}
	}
	t.Logf("%d header blocks", n)
}

func TestScanIndexFields(t *testing.T) {
	for _, raw := range []string{
		"", "\r\n", " Subject: x\r\n\r\n", "Subject: x", "Subject: a\r\n b\r\n\t c \r\n\r\n",
		"subject: a\r\nSUBJECT: b\r\nFrom: x@y\r\nfrom: z@w\r\nFROM:\r\n\r\n",
		"Subject:\r\nSubject: second\r\n\r\n", "Subject : spaced\r\n\r\n", "Sub ject: x\r\n\r\n",
		"X: a\r\nno colon here\r\nSubject: after\r\n\r\n", "Subject: a\r\r\n\r\n", "Subject: a\rb\r\n\r\n",
		"Message-ID: <a@b>\r\nmessage-id: <c@d>\r\n\r\n", "Content-Type: text/plain; charset=koi8-r\r\nSubject: \xf0\xd2\r\n\r\n",
		"To: a@b,\r\n\r\n c@d\r\n\r\n", ":\r\nSubject: x\r\n\r\n", "Subject: x\n\nbody",
		"Content-Disposition: attachment\r\nContent-Type: application/pdf\r\n\r\n",
		"Subject: " + string(bytes.Repeat([]byte("x"), maxFieldBytes+10)) + "\r\n\r\n",
		string(bytes.Repeat([]byte("k"), maxFieldBytes+10)) + ": v\r\nSubject: x\r\n\r\n",
		"Subject: " + string(bytes.Repeat([]byte("x"), maxFieldBytes-1)) + "\r\r\n\r\n",
	} {
		checkScan(t, []byte(raw))
	}
}

func FuzzScanIndexFields(f *testing.F) {
	fuzzSeeds(f)
	f.Add([]byte("Subject: a\r\n b\r\nFrom: x@y\r\nfrom: z@w\r\n\r\n"))
	f.Fuzz(func(t *testing.T, raw []byte) {
		checkScan(t, raw)
	})
}

// checkContentType fails t when contentTypeCharset reads v otherwise
// than parseParams.
func checkContentType(t *testing.T, v string) {
	t.Helper()
	typ, params := parseParams(v)
	if gt, gc := contentTypeCharset(v); gt != typ || gc != params["charset"] {
		t.Fatalf("contentTypeCharset(%q) = %q, %q; parseParams gives %q, %q", v, gt, gc, typ, params["charset"])
	}
}

var contentTypeCases = []string{
	"", " ", ";", "text/plain", "TEXT/Plain ; CharSet=UTF-8", "text/plain; charset=\"iso-8859-1\"; format=flowed",
	"text/plain; format=flowed; charset=utf-8; charset=koi8-r", "text/plain; charset", "text/plain; charset=",
	"text/plain; charset*=utf-8''%E2%82%AC", "text/plain; charset=us-ascii; charset*0=koi8; charset*1=-r",
	"text/plain; charset=\"a;b\"", "text/plain; charset='big5'", "text/plain; charset==?utf-8?q?x?=",
	"text/plain; charſet=utf-8", "text/plain; CHARSET = \"koi8-r\" ", "multipart/mixed; boundary=\"=-=-=\"",
	"text/plain; name=\"a\\\"b\"; charset=windows-1251", "text plain; charset=x", "; charset=x",
}

func TestContentTypeCharset(t *testing.T) {
	for _, v := range contentTypeCases {
		checkContentType(t, v)
	}
	for _, path := range corpusFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range fieldLines(raw) {
			checkContentType(t, v)
		}
	}
}

func FuzzContentTypeCharset(f *testing.F) {
	for _, v := range contentTypeCases {
		f.Add(v)
	}
	f.Fuzz(checkContentType)
}
