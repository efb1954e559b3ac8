package sanitize

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/idna"
)

// Address returns addr ready to be shown, and a warning ("" when there is
// nothing to say) when it may imitate another address. It is the one place
// that decides how an address is shown, wherever that is (index, pager,
// command line output).
//
// A domain label that mixes scripts beyond what the "moderately
// restrictive" level of UTS #39 §5.2 allows (Latin with a Cyrillic or
// Greek letter, as "pаypal.com" with a Cyrillic а, or any mix with a
// script that is not recommended for identifiers) is shown in punycode
// ("xn--pypal-4ve.com"), as browsers do; a label in one script
// ("пример", "例え"), or Latin with Han and Japanese or Korean, is shown
// as it is. A local part that mixes scripts cannot be spelled another
// way: it is kept, with a warning. Invisible characters are shown as
// "<U+XXXX>" by [Line], with a warning.
//
// Scripts are those of the Unicode Script property; Common and Inherited
// characters (digits, hyphens, combining marks) go with any script.
func Address(addr string) (shown, warning string) {
	if isASCIIPrintable(addr) {
		return addr, ""
	}
	local, domain, hasAt := "", addr, false
	if at := strings.LastIndexByte(addr, '@'); at >= 0 {
		local, domain, hasAt = addr[:at], addr[at+1:], true
	}
	var warnings []string
	if hasInvisible(addr) {
		warnings = append(warnings, "holds invisible characters")
	}
	if hasAt {
		if mix := mixedScripts(local); mix != "" {
			warnings = append(warnings, "its name before @ has "+mix)
		}
	}
	labels := strings.Split(domain, ".")
	punycode := false
	for i, l := range labels {
		mix := mixedScripts(l)
		if mix == "" {
			continue
		}
		if w := "its domain has " + mix; !slices.Contains(warnings, w) {
			warnings = append(warnings, w)
		}
		if hasInvisible(l) {
			continue // shown with <U+XXXX>, not hidden in punycode
		}
		if a, err := idna.Punycode.ToASCII(l); err == nil {
			labels[i], punycode = a, true
		}
	}
	domain = strings.Join(labels, ".")
	if hasAt {
		shown = local + "@" + domain
	} else {
		shown = domain
	}
	if len(warnings) > 0 {
		warning = strings.Join(warnings, "; ")
		if punycode {
			warning += " (shown in punycode)"
		}
		warning += ": it may imitate another address"
	}
	return Line(shown), warning
}

func isASCIIPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] >= 0x7f {
			return false
		}
	}
	return true
}

func hasInvisible(s string) bool {
	for _, r := range s {
		if Invisible(r) {
			return true
		}
	}
	return false
}

// recommended are the scripts of UAX #31 table 5 (Recommended Scripts).
var recommended = map[string]bool{
	"Arabic": true, "Armenian": true, "Bengali": true, "Bopomofo": true,
	"Cyrillic": true, "Devanagari": true, "Ethiopic": true, "Georgian": true,
	"Greek": true, "Gujarati": true, "Gurmukhi": true, "Han": true,
	"Hangul": true, "Hebrew": true, "Hiragana": true, "Kannada": true,
	"Katakana": true, "Khmer": true, "Lao": true, "Latin": true,
	"Malayalam": true, "Myanmar": true, "Oriya": true, "Sinhala": true,
	"Tamil": true, "Telugu": true, "Thaana": true, "Thai": true, "Tibetan": true,
}

// highly lists the script sets UTS #39 allows at the highly restrictive
// level besides a single script.
var highly = [][]string{
	{"Latin", "Han", "Hiragana", "Katakana"},
	{"Latin", "Han", "Bopomofo"},
	{"Latin", "Han", "Hangul"},
}

// mixedScripts returns "" when s may be shown as it is, else the scripts
// what is wrong with it ("Latin and Cyrillic letters mixed").
func mixedScripts(s string) string {
	var scripts []string
	for _, r := range s {
		if r < utf8.RuneSelf && r != 0 {
			if unicode.IsLetter(r) {
				scripts = addScript(scripts, "Latin")
			}
			continue
		}
		if name := scriptOf(r); name != "" {
			scripts = addScript(scripts, name)
		}
	}
	if allowedScripts(scripts) {
		return ""
	}
	if len(scripts) == 1 {
		return scripts[0] + " letters, a script that may imitate others"
	}
	return strings.Join(scripts[:len(scripts)-1], ", ") + " and " + scripts[len(scripts)-1] + " letters mixed"
}

func addScript(list []string, name string) []string {
	for _, n := range list {
		if n == name {
			return list
		}
	}
	return append(list, name)
}

// allowedScripts applies UTS #39's moderately restrictive level.
func allowedScripts(scripts []string) bool {
	for _, s := range scripts {
		if !recommended[s] {
			return false
		}
	}
	if len(scripts) <= 1 {
		return true
	}
	for _, set := range highly {
		if subset(scripts, set) {
			return true
		}
	}
	if len(scripts) == 2 && (scripts[0] == "Latin" || scripts[1] == "Latin") {
		other := scripts[0]
		if other == "Latin" {
			other = scripts[1]
		}
		return other != "Cyrillic" && other != "Greek"
	}
	return false
}

func subset(list, of []string) bool {
	for _, s := range list {
		found := false
		for _, o := range of {
			found = found || s == o
		}
		if !found {
			return false
		}
	}
	return true
}

// common are the scripts looked at first: most letters in mail are in one
// of them.
var common = []string{"Latin", "Cyrillic", "Greek", "Han", "Hiragana", "Katakana", "Hangul", "Arabic", "Hebrew", "Armenian", "Georgian", "Thai", "Devanagari"}

// scriptOf returns the Script property of r, "" for Common, Inherited and
// unassigned characters.
func scriptOf(r rune) string {
	if unicode.Is(unicode.Common, r) || unicode.Is(unicode.Inherited, r) {
		return ""
	}
	for _, name := range common {
		if unicode.Is(unicode.Scripts[name], r) {
			return name
		}
	}
	for name, table := range unicode.Scripts {
		if name != "Common" && name != "Inherited" && unicode.Is(table, r) {
			return name
		}
	}
	return ""
}
