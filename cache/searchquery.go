package cache

import (
	"errors"
	"fmt"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	postamail "github.com/posta-mail/posta/mail"
)

// ErrBadQuery is wrapped by the errors Search returns for a query it cannot
// parse (an unknown operator, a malformed date, an empty query).
var ErrBadQuery = errors.New("cache: bad search query")

// searchTerm is one element of a query: a bare word or "phrase" (key ""),
// or key:value.
type searchTerm struct {
	key, value string
}

// searchPlan is a parsed query: an FTS5 MATCH expression (empty for none)
// and SQL conditions on messages with their bound arguments. The MATCH
// expression only ever contains our own column names and quoted strings;
// every user value reaches SQL as a bound parameter.
type searchPlan struct {
	match   []string
	where   []string
	args    []any
	dropped bool // a term had no searchable characters and was ignored
}

// parseSearch turns posta's query syntax into a searchPlan. Dates are
// days in loc.
func parseSearch(text string, loc *time.Location) (searchPlan, error) {
	var p searchPlan
	terms := splitSearch(text)
	if len(terms) == 0 {
		return p, fmt.Errorf("%w: empty query", ErrBadQuery)
	}
	for _, t := range terms {
		if err := p.add(t, loc); err != nil {
			return searchPlan{}, err
		}
	}
	return p, nil
}

// add adds one term to the plan.
func (p *searchPlan) add(t searchTerm, loc *time.Location) error {
	if t.key != "" && t.value == "" {
		return fmt.Errorf("%w: %s: needs a value", ErrBadQuery, t.key)
	}
	switch t.key {
	case "":
		p.addMatch("", t.value)
	case "from":
		p.addMatch("from_text", t.value)
	case "to":
		p.addMatch("{to_text cc_text}", t.value)
	case "subject":
		p.addMatch("subject", t.value)
	case "before", "after":
		day, err := time.ParseInLocation(time.DateOnly, t.value, loc)
		if err != nil {
			return fmt.Errorf("%w: %s: want YYYY-MM-DD, got %q", ErrBadQuery, t.key, t.value)
		}
		if t.key == "before" { // strictly before that day
			p.addWhere(`date < ?`, day.Unix())
		} else { // that day or later
			p.addWhere(`date >= ?`, day.Unix())
		}
	case "has":
		if !strings.EqualFold(t.value, "attachment") {
			return fmt.Errorf("%w: has:%s: only has:attachment is known", ErrBadQuery, t.value)
		}
		p.addWhere(`has_attachment = 1`)
	case "is":
		switch strings.ToLower(t.value) {
		case "unread":
			p.addWhere(`seen = 0`)
		case "read":
			p.addWhere(`seen = 1`)
		case "flagged":
			p.addWhere(`instr(' ' || flags || ' ', ?) > 0`, " "+string(postamail.FlagFlagged)+" ")
		default:
			return fmt.Errorf("%w: is:%s: want is:unread, is:read or is:flagged", ErrBadQuery, t.value)
		}
	case "folder":
		p.addWhere(`folder = ?`, t.value)
	case "account":
		p.addWhere(`account = ?`, t.value)
	default:
		return fmt.Errorf("%w: unknown operator %q", ErrBadQuery, t.key+":")
	}
	return nil
}

// addMatch adds a quoted FTS5 phrase, restricted to column (an FTS5 column
// filter of ours) unless column is empty. A value without any letter or
// digit would be an empty phrase for the tokenizer: it is dropped.
func (p *searchPlan) addMatch(column, value string) {
	if !strings.ContainsFunc(value, isWordRune) {
		p.dropped = true
		return
	}
	phrase := `"` + strings.ReplaceAll(value, `"`, `""`) + `"`
	if column != "" {
		phrase = column + ` : ` + phrase
	}
	p.match = append(p.match, phrase)
}

func (p *searchPlan) addWhere(cond string, args ...any) {
	p.where = append(p.where, cond)
	p.args = append(p.args, args...)
}

func isWordRune(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }

// splitSearch splits a query into terms: whitespace separates them,
// "double quotes" make one term of a phrase (also after key:, as in
// from:"Ann Smith"), and a word whose part before the first colon is
// letters only is key:value. An unclosed quote runs to the end. NUL
// characters are treated as spaces.
func splitSearch(text string) []searchTerm {
	text = strings.ToValidUTF8(strings.ReplaceAll(text, "\x00", " "), "\uFFFD")
	var terms []searchTerm
	for i := 0; i < len(text); {
		r, n := utf8.DecodeRuneInString(text[i:])
		if unicode.IsSpace(r) {
			i += n
			continue
		}
		if r == '"' {
			value, next := readQuoted(text, i+1)
			terms = append(terms, searchTerm{value: value})
			i = next
			continue
		}
		start := i
		for i < len(text) {
			r, n := utf8.DecodeRuneInString(text[i:])
			if unicode.IsSpace(r) {
				break
			}
			i += n
		}
		word := text[start:i]
		colon := strings.IndexByte(word, ':')
		if colon <= 0 || !isKey(word[:colon]) {
			terms = append(terms, searchTerm{value: word})
			continue
		}
		key, value := strings.ToLower(word[:colon]), word[colon+1:]
		if strings.HasPrefix(value, `"`) {
			value, i = readQuoted(text, start+colon+2)
		}
		terms = append(terms, searchTerm{key: key, value: value})
	}
	return terms
}

// readQuoted returns the text from i up to the next double quote and the
// index after that quote (or the end of text).
func readQuoted(text string, i int) (string, int) {
	end := strings.IndexByte(text[i:], '"')
	if end < 0 {
		return text[i:], len(text)
	}
	return text[i : i+end], i + end + 1
}

func isKey(s string) bool {
	for _, r := range s {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') {
			return false
		}
	}
	return s != ""
}

// TextTerms returns the words and phrases of a query when it has nothing
// else (no key:value operator), for searching a server's copy too; ok is
// false when the query uses operators, which only the local index knows.
func TextTerms(query string) (terms []string, ok bool) {
	for _, t := range splitSearch(query) {
		if t.key != "" {
			return nil, false
		}
		if strings.TrimSpace(t.value) != "" {
			terms = append(terms, t.value)
		}
	}
	return terms, len(terms) > 0
}
