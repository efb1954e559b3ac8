package message

import (
	"slices"
	"strings"

	"github.com/posta-mail/posta/mail"
)

// addressListFast parses the common forms of an address list without
// net/mail's parser, which is most of what decoding a header costs:
// comma-separated entries of "addr@domain", "<addr@domain>",
// "Name <addr@domain>" and "\"Quoted Name\" <addr@domain>", printable
// ASCII only, without comments, groups, domain literals, quoted local
// parts or white space inside the angle brackets. Encoded words in the
// name are decoded as net/mail decodes them. ok is false for anything
// else, and addressListSlow then gives the answer; when ok is true, the
// list is the one addressListSlow returns (TestAddressFastMatchesSlow,
// FuzzAddressFast).
//
// It follows net/mail's parseAddressList step by step, on the input
// that stripAddressComments leaves unchanged (no "(" or ")", no white
// space between "<" and ">"), so the comments it would find are none.
func addressListFast(raw string) (list []mail.Address, ok bool) {
	return addressListFastBuf(raw, nil)
}

// leftToSlow marks the bytes that leave an address field to the slow
// path: anything but ASCII, controls but the tab, and comments.
var leftToSlow = func() (t [256]uint8) {
	for c := range t {
		if c >= 0x80 || (c < 0x20 && c != '\t') || c == 0x7f || c == '(' || c == ')' {
			t[c] = 1
		}
	}
	return t
}()

// addressListFastBuf is addressListFast building the names it decodes in
// *names when names is not nil (a buffer used again, its bytes left
// for the next call), in a buffer of its own otherwise. Its names are
// slices of that buffer until compact copies them.
func addressListFastBuf(raw string, names *[]byte) (list []mail.Address, ok bool) {
	// What TrimSpace trims of ASCII; anything but ASCII is left to the
	// slow path (toUTF8 and TrimSpace see more in it).
	s := trimASCIISpace(raw)
	if s == "" {
		return nil, false
	}
	var left uint8
	for i := 0; i < len(s); i++ {
		left |= leftToSlow[s[i]]
	}
	if left != 0 {
		return nil, false
	}
	n := 1 + strings.Count(s, ",") // entries, at most
	p := fastParser{s: s}
	if names != nil {
		p.names = (*names)[:0]
		defer func() { *names = p.names[:0] }()
	}
	list = make([]mail.Address, 0, min(n, 64))
	for {
		p.skipSpace()
		if p.consume(',') {
			continue
		}
		a, ok := p.address()
		if !ok {
			return nil, false
		}
		list = append(list, a)
		p.skipSpace()
		if p.empty() {
			break
		}
		if p.s[p.i] != ',' {
			return nil, false
		}
		for p.consume(',') {
			p.skipSpace()
		}
		if p.empty() {
			break
		}
	}
	return compact(list), true
}

// compact copies the names and addresses of list into one string of
// their size: most are slices of the field's value, which the index
// would otherwise keep whole for as long as it keeps one of them.
func compact(list []mail.Address) []mail.Address {
	size := 0
	for _, a := range list {
		size += len(a.Name) + len(a.Addr)
	}
	var b strings.Builder
	b.Grow(size)
	for _, a := range list {
		b.WriteString(a.Name)
		b.WriteString(a.Addr)
	}
	all := b.String()
	for i := range list {
		n, a := len(list[i].Name), len(list[i].Addr)
		list[i].Name, list[i].Addr = all[:n], all[n:n+a]
		all = all[n+a:]
	}
	return list
}

// fastParser is the position of addressListFast in its input, and the
// buffer phrase builds names in: phrase only appends to it, so the
// names it returns stay good until addressListFast returns.
type fastParser struct {
	s     string
	i     int
	names []byte
}

func (p *fastParser) empty() bool { return p.i >= len(p.s) }

func (p *fastParser) skipSpace() {
	for p.i < len(p.s) && (p.s[p.i] == ' ' || p.s[p.i] == '\t') {
		p.i++
	}
}

func (p *fastParser) consume(c byte) bool {
	if p.i < len(p.s) && p.s[p.i] == c {
		p.i++
		return true
	}
	return false
}

// address is net/mail's parseAddress: an addr-spec, or a phrase and an
// angle-addr.
func (p *fastParser) address() (mail.Address, bool) {
	p.skipSpace()
	if p.empty() {
		return mail.Address{}, false
	}
	start := p.i
	if spec, ok := p.addrSpec(); ok {
		return mail.Address{Addr: spec}, true
	}
	p.i = start
	var name string
	if p.s[p.i] != '<' {
		phrase, ok := p.phrase()
		if !ok {
			return mail.Address{}, false
		}
		name = displayName(phrase)
	}
	p.skipSpace()
	if !p.consume('<') {
		return mail.Address{}, false // a group, or no angle-addr
	}
	spec, ok := p.addrSpec()
	if !ok || !p.consume('>') {
		return mail.Address{}, false
	}
	return mail.Address{Name: name, Addr: spec}, true
}

// addrSpec takes a dot-atom, "@" and a dot-atom, each without a leading,
// trailing or double dot (net/mail's consumeAddrSpec). A quoted local
// part, a domain literal or white space after the "@" is left to the
// slow path: ok is false for them as for a malformed address.
func (p *fastParser) addrSpec() (string, bool) {
	start := p.i
	if !p.dotAtom() || !p.consume('@') || !p.dotAtom() {
		return "", false
	}
	return p.s[start:p.i], true
}

func (p *fastParser) dotAtom() bool {
	s, start := p.s, p.i
	i := start
	double := false // ".." in the atom
	for ; i < len(s); i++ {
		if c := s[i]; c == '.' {
			double = double || (i > start && s[i-1] == '.')
		} else if !atextASCII[c] {
			break
		}
	}
	p.i = i
	atom := s[start:i]
	return atom != "" && atom[0] != '.' && atom[len(atom)-1] != '.' && !double
}

// trimASCIISpace is strings.TrimSpace for ASCII: it trims the bytes
// TrimSpace trims of ASCII text.
func trimASCIISpace(s string) string {
	isSpace := func(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }
	i, j := 0, len(s)
	for i < j && isSpace(s[i]) {
		i++
	}
	for j > i && isSpace(s[j-1]) {
		j--
	}
	return s[i:j]
}

// phrase is net/mail's consumePhrase on the input that comes before an
// angle-addr: words (atoms, dots allowed, or quoted strings) joined by
// one space, a run of encoded words joined without one. Whatever else
// would end the phrase makes ok false.
func (p *fastParser) phrase() (string, bool) {
	// Atoms apart by one space are their own slice of the input, from
	// from to to: most names are read without copying. Once a word does
	// not continue that slice, the phrase is built in out, at the end
	// of p.names; a name is no longer than the input it is read from,
	// nearly always.
	plain, from, to := true, p.i, p.i
	if cap(p.names)-len(p.names) < len(p.s)-p.i {
		p.names = slices.Grow(p.names, len(p.s)-p.i)
	}
	out := p.names
	start := len(out)
	defer func() { p.names = out }()
	words := 0     // the words in out, a run of encoded words counted when it ends
	inRun := false // out ends with a run of encoded words, decoded
	for {
		gap := p.i
		p.skipSpace()
		if p.empty() || p.s[p.i] == '<' {
			break
		}
		oneSpace := p.i-gap == 1 && p.s[gap] == ' '
		var word string
		quoted, encoded := false, false
		if p.s[p.i] == '"' {
			w, ok := p.quotedString()
			if !ok {
				return "", false
			}
			word, quoted = w, true
		} else {
			start, i := p.i, p.i
			for i < len(p.s) && isAtextASCII(p.s[i], true) {
				i++
			}
			p.i = i
			if p.i == start {
				return "", false // a special, as ":" of a group
			}
			word = p.s[start:p.i]
			encoded = strings.HasPrefix(word, "=?")
		}
		if plain {
			if !quoted && !encoded && (to == from || oneSpace) {
				to = p.i
				continue
			}
			plain = false
			if to > from {
				out = append(out, p.s[from:to]...) // its atoms, joined by one space
				words++
			}
		}
		if encoded {
			mark := len(out)
			if !inRun && words > 0 {
				out = append(out, ' ')
			}
			text := len(out)
			var ok bool
			if out, ok = appendMIMEWord(out, word); !ok {
				w, err := addressParser.WordDecoder.Decode(word)
				if err != nil {
					return "", false // net/mail keeps it or fails on its charset
				}
				out = append(out, w...)
			}
			if len(out) == text {
				out = out[:mark] // an empty word: nothing, in a run or not
			} else {
				inRun = true
			}
			continue
		}
		if inRun {
			words++
			inRun = false
		}
		if words > 0 {
			out = append(out, ' ')
		}
		out = append(out, word...)
		words++
	}
	if plain {
		return p.s[from:to], to > from
	}
	if inRun {
		words++
	}
	if words == 0 {
		return "", false
	}
	// A slice of the buffer, which later names are appended after:
	// compact copies it.
	return stringView(out[start:]), true
}

// quotedString is net/mail's consumeQuotedString on printable ASCII: the
// text between the quotes with its quoted pairs undone.
func (p *fastParser) quotedString() (string, bool) {
	start := p.i + 1
	var b []byte // nil while the text has no quoted pair
	for i := start; i < len(p.s); i++ {
		switch c := p.s[i]; c {
		case '"':
			p.i = i + 1
			if b == nil {
				return p.s[start:i], true
			}
			return string(b), true
		case '\\':
			if i+1 >= len(p.s) {
				return "", false
			}
			if b == nil {
				b = append(make([]byte, 0, i-start+16), p.s[start:i]...)
			}
			i++
			b = append(b, p.s[i])
		default:
			if b != nil {
				b = append(b, c)
			}
		}
	}
	return "", false // unclosed
}

// isAtextASCII is net/mail's isAtext for a printable ASCII byte.
func isAtextASCII(c byte, dot bool) bool {
	return atextASCII[c] || (dot && c == '.')
}

// atextASCII holds the bytes of isAtextASCII but the dot: printable
// ASCII but for the specials and the space.
var atextASCII = func() (t [256]bool) {
	for c := '!'; c <= '~'; c++ {
		t[c] = !strings.ContainsRune(`().<>[]:;@\,"`, c)
	}
	return t
}()
