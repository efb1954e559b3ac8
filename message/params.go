package message

import (
	"sort"
	"strconv"
	"strings"
)

const maxParamSections = 1000

// parseParams parses a Content-Type or Content-Disposition value. The type
// is lower case, parameter names too. It never fails: a malformed list
// gives the parameters that can be read. Values are decoded:
//
//   - RFC 2231 extended values in any charset the message package knows
//     (`filename*=iso-8859-1'de'Hasen%F6sche.txt`), language tags ignored,
//     with continuations (`name*0*=`, `name*1=`, …) joined in order; an
//     extended value wins over a plain one of the same name;
//   - quoted strings, with their quoted-pairs;
//   - RFC 2047 encoded words inside plain values, as many mailers send.
func parseParams(v string) (string, map[string]string) {
	params := map[string]string{}
	items := splitParams(v)
	if len(items) == 0 {
		return "", params
	}
	t := mediaType(items[0])
	type section struct {
		n        int
		extended bool
		value    string
	}
	sections := map[string][]section{}
	for _, item := range items[1:] {
		k, val, ok := strings.Cut(item, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		val = unquote(strings.TrimSpace(val))
		if k == "" {
			continue
		}
		base, rest, starred := strings.Cut(k, "*")
		switch {
		case !starred:
			if _, seen := params[k]; !seen {
				params[k] = decodeText(val)
			}
		case rest == "":
			sections[base] = append(sections[base], section{n: 0, extended: true, value: val})
		default:
			num, ext := strings.CutSuffix(rest, "*")
			n, err := strconv.Atoi(num)
			if err != nil || n < 0 || n >= maxParamSections {
				continue
			}
			sections[base] = append(sections[base], section{n: n, extended: ext, value: val})
		}
	}
	for name, secs := range sections {
		sort.SliceStable(secs, func(i, j int) bool { return secs[i].n < secs[j].n })
		var raw []byte
		cs := ""
		last := -1
		for i, s := range secs {
			if s.n == last {
				continue // a repeated section: the first one counts
			}
			last = s.n
			val := s.value
			if s.extended && i == 0 {
				// charset'language'value; a value without the quotes is
				// taken as it is.
				if c, rest, ok := strings.Cut(val, "'"); ok {
					if _, rest2, ok := strings.Cut(rest, "'"); ok {
						cs, val = c, rest2
					}
				}
			}
			if s.extended {
				raw = append(raw, percentDecode(val)...)
			} else {
				raw = append(raw, val...)
			}
		}
		if name == "boundary" {
			// Matched against the raw bytes of the body, not shown.
			params[name] = string(raw)
			continue
		}
		decoded, _ := charsetToUTF8(cs, raw)
		params[name] = decoded
	}
	return t, params
}

// mediaType is the type parseParams reads from the first item of a
// value: lower case, up to the first white space.
func mediaType(item string) string {
	t := strings.ToLower(strings.TrimSpace(item))
	if f := strings.Fields(t); len(f) > 0 {
		return f[0]
	}
	return ""
}

// contentTypeCharset returns what parseParams reads of a Content-Type
// value, its type and its charset parameter, without decoding the other
// parameters into a map when no parameter is an RFC 2231 one ("*" in
// its name, which parseParams joins and decodes after the plain ones).
func contentTypeCharset(v string) (t, charset string) {
	if strings.IndexByte(v, '*') >= 0 {
		t, params := parseParams(v)
		return t, params["charset"]
	}
	items := splitParams(v)
	if len(items) == 0 {
		return "", ""
	}
	t = mediaType(items[0])
	for _, item := range items[1:] {
		k, val, ok := strings.Cut(item, "=")
		if ok && strings.ToLower(strings.TrimSpace(k)) == "charset" {
			return t, decodeText(unquote(strings.TrimSpace(val)))
		}
	}
	return t, ""
}

// splitParams splits a header value at the semicolons outside quoted
// strings.
func splitParams(v string) []string {
	var items []string
	quoted, start := false, 0
	for i := 0; i < len(v); i++ {
		switch c := v[i]; {
		case c == '\\' && quoted:
			i++
		case c == '"':
			quoted = !quoted
		case c == ';' && !quoted:
			items = append(items, v[start:i])
			start = i + 1
		}
	}
	items = append(items, v[start:])
	if strings.TrimSpace(items[0]) == "" && len(items) == 1 {
		return nil
	}
	return items
}

// unquote removes the quotes of a quoted string and undoes its
// quoted-pairs; an unquoted value loses stray quotes around it.
func unquote(v string) string {
	if len(v) >= 2 && v[0] == '"' && v[len(v)-1] == '"' {
		v = v[1 : len(v)-1]
		if !strings.Contains(v, `\`) {
			return v
		}
		var b strings.Builder
		for i := 0; i < len(v); i++ {
			if v[i] == '\\' && i+1 < len(v) {
				i++
			}
			b.WriteByte(v[i])
		}
		return b.String()
	}
	return strings.Trim(v, `"'`)
}

// percentDecode undoes the %XX escapes of an RFC 2231 value, keeping a
// "%" that is not followed by two hex digits.
func percentDecode(s string) []byte {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s); i++ {
		if s[i] == '%' && i+2 < len(s) && isHex(s[i+1]) && isHex(s[i+2]) {
			out = append(out, unhex(s[i+1])<<4|unhex(s[i+2]))
			i += 2
			continue
		}
		out = append(out, s[i])
	}
	return out
}
