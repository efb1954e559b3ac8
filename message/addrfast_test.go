package message

import (
	"bufio"
	"bytes"
	"os"
	"reflect"
	"strings"
	"testing"
)

// addressCases are address fields that the fast path must either read
// as the slow path does or leave to it.
var addressCases = []string{
	"", " ", ",", ", ,", "a@b", " a@b ", "a@b,", ",a@b", "a@b,,c@d", "a@b , c@d",
	"<a@b>", "< a@b >", "<a@b", "a@b>", "<>", "<a>", "<@b>", "<a@>", "<<a@b>>",
	"Name <a@b>", "Name<a@b>", "Name  <a@b>", "Name\t<a@b>", "First  Last <a@b>",
	"First\tLast <a@b>", "John Q. Public <jqp@example.org>", ".Dot. <a@b>", "Name a@b",
	"a@b <c@d>", "a@b.c <c@d>", "Name <a@b> Other <c@d>", "Name <a@b>, Other <c@d>",
	`"Quoted Name" <a@b>`, `"Quoted, Comma" <a@b>`, `"O'Neil, Sam" <sam@example.ie>`,
	`"Esc \"aped\" quote" <a@b>`, `"back\\slash" <a@b>`, `"\a\b" <a@b>`, `"unclosed <a@b>`,
	`"" <a@b>`, `"" "" <a@b>`, `"a"b <c@d>`, `a"b" <c@d>`, `"a" "b" <c@d>`, `"a\" <b@c>`,
	`"tab	in" <a@b>`, `"a@b" <c@d>`, `"a"@b`, `"a b"@c`, `a\b@c`, `"<x@y>" <a@b>`,
	"John Doe <jdoe@machine.example>, Mary Smith <mary@x.test>",
	"Pete(A wonderful \\) chap) <pete(his account)@silly.test(his host)>",
	"jdoe@example.org (John Doe)", "(comment) a@b", `"x (y)" <z@example.org>`,
	"A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;",
	"undisclosed-recipients:;", "Group: ;", "a@b; c@d", "a@b:c",
	"a@[192.0.2.1]", "Name <a@[192.0.2.1]>", "<@node.test:mary@example.net>",
	"a..b@c", ".a@b", "a.@b", "a@b.", "a@.b", "a@b..c", "Name <a.@b>", "Name <a@b.>",
	"a@ b", "a @b", "a@b@c", "a@b c@d", "Stefanie Schwabe stefanie.schwabe@wanadoo.fr",
	"josé@example.org", "Ren\xe9 <r@example.org>", "<jos\xc3\xa9@example.org>", "Zoë <z@xn--bcher-kva.example>",
	"用户@例子.广告", "a@b\u00a0", "a@b\xa0", "\u00a0a@b", "a@b\u0085",
	"=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>",
	"=?ISO-8859-1?Q?Chlo=E9?= Dubois <chloe@example.fr>",
	"=?UTF-8?B?SsO2cmc=?= =?UTF-8?B?IE3DvGxsZXI=?= <a@b>",
	"=?UTF-8?Q?a?= b =?UTF-8?Q?c?= <a@b>", "=?UTF-8?Q?a?==?UTF-8?Q?b?= <a@b>",
	"=?x-nonsense?q?Ann?= <a@example.org>, =?utf-8?q?Andr=C3=A9?= <b@example.org>",
	"=?utf-8?q??= <a@b>", "=?utf-8?q??= x <a@b>", "=?utf-8?b?////?= <a@b>", "=?utf-8?b?!!?= <a@b>",
	"=?utf-8?x?abc?= <a@b>", "=?utf-8?q?a=?= <a@b>", "=?utf-8?q?a?b?= <a@b>", "=? <a@b>",
	`"=?UTF-8?Q?Quoted_Word?=" <a@b>`, "=?iso-8859-2*sl?Q?Doma=e8e?= <x@y>",
	"=?utf-8?q?=1B=5B31m?= <a@b>", "=?utf-8?q?=C2=9B?= <a@b>", "=?utf-8?q?=FF?= <a@b>",
	"=?us-ascii?q?=FF?= <a@b>", "=?iso-8859-1?q?=FF?= <a@b>", "=?koi8-r?q?=F0=D2=C9?= <a@b>",
	"x=?utf-8?q?a?= <a@b>", "=?utf-8?q?a?=x <a@b>",
	"a\x00b@c", "Name\x01 <a@b>", "a@b\x7f", "Name <a@b>\r\n", "Name\r\n <a@b>", "a@b,\r\n c@d",
	"Mary Smith <@node.test:mary@example.net>, , =?utf-8?q?Bj=C3=B6rn?= <<bjorn@example.net>",
	"Bob Dunite <bob@extern> Bobby Dunite <bobby@extern>", "garbage", "!!!", "@", "<", ">", `"`, `\`,
	"a@b, garbage", "Name <a@b>,", "Name <a@b>,,,", " , , a@b , , ", "a!#$%&'*+-/=?^_`{|}~@b",
	"x@y.z, \"A, B\" <ab@c.d>, C D <cd@e.f>",
}

func TestAddressFastMatchesSlow(t *testing.T) {
	for _, in := range addressCases {
		checkAddressFast(t, in)
	}
}

// checkAddressFast fails t when the fast path takes in and reads it
// otherwise than the slow path; it reports whether the fast path took it.
func checkAddressFast(t *testing.T, in string) bool {
	t.Helper()
	fast, ok := addressListFast(in)
	if !ok {
		return false
	}
	if slow := addressListSlow(in); !reflect.DeepEqual(fast, slow) {
		t.Errorf("addressListFast(%q) = %#v, addressListSlow = %#v", in, fast, slow)
	}
	if got := addressList(in); !reflect.DeepEqual(got, fast) {
		t.Errorf("addressList(%q) = %#v, want the fast path's %#v", in, got, fast)
	}
	return true
}

// TestAddressFastCorpus runs both paths over the value of every field
// of the shared corpus, the headers of attached messages and parts
// included, as read and as the charset of the message's Content-Type
// converts it; the address fields among them are most of what the fast
// path takes.
func TestAddressFastCorpus(t *testing.T) {
	values, taken := 0, 0
	for _, path := range corpusFiles(t) {
		raw, err := os.ReadFile(path)
		if err != nil {
			t.Fatal(err)
		}
		th, _ := readHeader(bufio.NewReader(bytes.NewReader(raw)), func(string) {})
		conv := rawFieldConverter(th)
		fields := th.Fields()
		for fields.Next() {
			for _, v := range []string{fields.Value(), conv(fields.Value())} {
				values++
				if checkAddressFast(t, v) {
					taken++
				}
			}
		}
		for _, v := range fieldLines(raw) {
			values++
			if checkAddressFast(t, v) {
				taken++
			}
		}
	}
	t.Logf("fast path took %d of %d field values", taken, values)
}

// fieldLines returns the value of every line of raw that looks like a
// field, anywhere in raw, unfolded as go-message unfolds it.
func fieldLines(raw []byte) []string {
	var out []string
	lines := strings.Split(string(raw), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimRight(lines[i], "\r")
		if !isFieldLine([]byte(line)) {
			continue
		}
		v := strings.TrimSpace(line[strings.IndexByte(line, ':')+1:])
		for i+1 < len(lines) && (strings.HasPrefix(lines[i+1], " ") || strings.HasPrefix(lines[i+1], "\t")) {
			i++
			v += " " + strings.TrimSpace(lines[i])
		}
		out = append(out, v)
	}
	return out
}

func FuzzAddressFast(f *testing.F) {
	for _, s := range addressCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkAddressFast(t, in)
	})
}

func TestAddressFastTakes(t *testing.T) {
	for _, in := range []string{"a@b", "Name <a@b>", `"O'Neil, Sam" <sam@example.ie>, <c@d>`,
		"=?UTF-8?Q?J=C3=B6rg_M=C3=BCller?= <joerg@example.de>", `"Esc \"aped\" quote" <a@b>`} {
		if _, ok := addressListFast(in); !ok {
			t.Errorf("addressListFast(%q) leaves it to the slow path", in)
		}
	}
}
