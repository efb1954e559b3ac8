package cache

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"unicode/utf8"

	postamail "github.com/posta-mail/posta/mail"
)

// jsonSamples are strings json.Marshal escapes in every way it can.
func jsonSamples() []string {
	s := []string{"", "plain", "Ann Example", "ann@example.org", `"quoted" \back\slash`,
		"<script>&amp;</script>", "tab\tnew\nline\rret\bback\fform\x00nul\x1f\x7fdel",
		"line\u2028sep\u2029para", "é ü 日本 🙂", "\xff", "\xc0\xaf", "\xed\xa0\x80", "\xe6\x97",
		"a\xf0\x9f\x99", "\xf4\x90\x80\x80", "\uFFFD", "x\u2027\u202a", strings.Repeat("ab<", 100)}
	for b := range 0x80 {
		s = append(s, string(rune(b)), "x"+string(rune(b))+"y")
	}
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := r.IntN(12)
		var sb strings.Builder
		for range n {
			switch r.IntN(4) {
			case 0: // any byte: invalid UTF-8 often
				sb.WriteByte(byte(r.IntN(256)))
			case 1: // ASCII
				sb.WriteByte(byte(r.IntN(128)))
			case 2: // any rune, some near U+2028
				sb.WriteRune(rune(0x2020 + r.IntN(16)))
			default:
				sb.WriteRune(rune(r.IntN(0x110000)))
			}
		}
		s = append(s, sb.String())
	}
	return s
}

func marshalOrEmpty[T any](t *testing.T, v []T) string {
	t.Helper()
	if len(v) == 0 {
		return ""
	}
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEncodersMatchJSONMarshal: the stored encoding of addresses and
// references is json.Marshal's, byte for byte.
func TestEncodersMatchJSONMarshal(t *testing.T) {
	samples := jsonSamples()
	r := rand.New(rand.NewPCG(5, 6))
	pick := func() string { return samples[r.IntN(len(samples))] }
	check := func(as []postamail.Address, ss []string) {
		t.Helper()
		if got, want := encodeAddresses(as), marshalOrEmpty(t, as); got != want {
			t.Fatalf("encodeAddresses(%q) = %q, json.Marshal %q", as, got, want)
		}
		if got, want := encodeStrings(ss), marshalOrEmpty(t, ss); got != want {
			t.Fatalf("encodeStrings(%q) = %q, json.Marshal %q", ss, got, want)
		}
	}
	check(nil, nil)
	check([]postamail.Address{}, []string{})
	for _, s := range samples {
		check([]postamail.Address{{Addr: s}}, []string{s})
		check([]postamail.Address{{Name: s, Addr: s}}, []string{s, s})
	}
	for range 5000 {
		as := make([]postamail.Address, r.IntN(5))
		for i := range as {
			if r.IntN(3) > 0 {
				as[i].Name = pick()
			}
			as[i].Addr = pick()
		}
		ss := make([]string, r.IntN(5))
		for i := range ss {
			ss[i] = pick()
		}
		check(as, ss)
	}
}

// FuzzEncodeAddresses holds the encoders to json.Marshal on any input.
func FuzzEncodeAddresses(f *testing.F) {
	for _, s := range jsonSamples()[:300] {
		f.Add(s, s+"@x")
	}
	f.Fuzz(func(t *testing.T, name, addr string) {
		as := []postamail.Address{{Name: name, Addr: addr}, {Addr: name}}
		if got, want := encodeAddresses(as), marshalOrEmpty(t, as); got != want {
			t.Fatalf("encodeAddresses(%q) = %q, json.Marshal %q", as, got, want)
		}
		ss := []string{name, addr}
		if got, want := encodeStrings(ss), marshalOrEmpty(t, ss); got != want {
			t.Fatalf("encodeStrings(%q) = %q, json.Marshal %q", ss, got, want)
		}
		if !utf8.ValidString(encodeStrings(ss)) {
			t.Fatalf("encodeStrings(%q) is not valid UTF-8", ss)
		}
	})
}

func BenchmarkEncodeAddresses(b *testing.B) {
	as := []postamail.Address{{Name: "Ann Example", Addr: "ann@example.org"}, {Addr: "bob@example.org"}}
	for b.Loop() {
		encodeAddresses(as)
	}
}

// TestEncodeFlags: encodeFlags is the flags without blanks, joined by
// spaces, as it was written before.
func TestEncodeFlags(t *testing.T) {
	was := func(f postamail.Flags) string {
		parts := make([]string, 0, len(f))
		for _, x := range f {
			if x != "" && !strings.ContainsAny(string(x), " \t\r\n") {
				parts = append(parts, string(x))
			}
		}
		return strings.Join(parts, " ")
	}
	pool := []postamail.Flag{"", postamail.FlagSeen, postamail.FlagFlagged, "$Junk", "a b", "tab\t", "\n", "x"}
	r := rand.New(rand.NewPCG(7, 8))
	for range 2000 {
		f := make(postamail.Flags, r.IntN(5))
		for i := range f {
			f[i] = pool[r.IntN(len(pool))]
		}
		if got, want := encodeFlags(f), was(f); got != want {
			t.Fatalf("encodeFlags(%q) = %q, want %q", f, got, want)
		}
	}
}
