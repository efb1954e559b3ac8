package message

import (
	"errors"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var (
	spaceAroundColon = regexp.MustCompile(`[ \t\r\n]*:[ \t\r\n]*`)
	zoneAfterTime    = regexp.MustCompile(`(:[0-9]{2})([+-][0-9]{4})`)
)

var errBadDate = errors.New("message: unreadable date")

// obsoleteZones are the zone names of RFC 5322 §4.3. Go's time.Parse gives
// an unknown abbreviation the offset 0, so they are looked up here.
var obsoleteZones = map[string]int{
	"UT": 0, "UTC": 0, "GMT": 0, "Z": 0,
	"EST": -5, "EDT": -4, "CST": -6, "CDT": -5,
	"MST": -7, "MDT": -6, "PST": -8, "PDT": -7,
}

var monthNames = map[string]time.Month{
	"jan": time.January, "feb": time.February, "mar": time.March, "apr": time.April,
	"may": time.May, "jun": time.June, "jul": time.July, "aug": time.August,
	"sep": time.September, "oct": time.October, "nov": time.November, "dec": time.December,
}

// parseDate reads an RFC 5322 date-time, obsolete syntax included: comments
// anywhere (`-0400 (EDT)`, `00:19:00 (EDT) -0400`), two- and three-digit
// years (§4.3: 00-49 are 2000-2049, 50-999 are 1900 + year), zone names
// (EST is -0500) and military letters (-0000, as §4.3 advises). The day of
// the week is ignored. It also accepts the asctime order (`Jan 15 16:24:40
// 1992`) and a missing seconds field.
func parseDate(s string) (time.Time, error) {
	s = stripComments(s)
	if t, ok := parseDateStrict(strings.TrimSpace(s)); ok {
		return t, nil
	}
	return parseDateLenient(s)
}

// parseDateLenient is parseDate's reading of any form, comments removed.
func parseDateLenient(s string) (time.Time, error) {
	if strings.Contains(s, ":") {
		s = spaceAroundColon.ReplaceAllString(s, ":")  // "09 :   55  :  06"
		s = zoneAfterTime.ReplaceAllString(s, "$1 $2") // "00:01+0000"
	}
	var (
		day, year, hh, mm, ss = -1, -1, -1, 0, 0
		month                 time.Month
		offset                = 0 // seconds east of UTC
		zoneName              = ""
		zoneSeen              bool
	)
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\t' || r == ',' || r == '\r' || r == '\n' }) {
		switch {
		case strings.Contains(tok, ":") && hh < 0:
			parts := strings.Split(tok, ":")
			if len(parts) < 2 || len(parts) > 3 {
				return time.Time{}, errBadDate
			}
			var err error
			if hh, err = smallInt(parts[0], 0, 23); err != nil {
				return time.Time{}, err
			}
			if mm, err = smallInt(parts[1], 0, 59); err != nil {
				return time.Time{}, err
			}
			if len(parts) == 3 {
				if ss, err = smallInt(parts[2], 0, 60); err != nil {
					return time.Time{}, err
				}
			}
		case (tok[0] == '+' || tok[0] == '-') && len(tok) == 5 && isDigits(tok[1:]) && !zoneSeen:
			h, _ := strconv.Atoi(tok[1:3])
			m, _ := strconv.Atoi(tok[3:5])
			if m > 59 {
				return time.Time{}, errBadDate
			}
			offset = (h*60 + m) * 60
			if tok[0] == '-' {
				offset = -offset
			}
			zoneSeen = true
		case isDigits(tok):
			n, _ := strconv.Atoi(tok)
			switch {
			case len(tok) > 4:
				return time.Time{}, errBadDate
			case day < 0 && len(tok) <= 2 && month == 0 && year < 0:
				day = n
			case day < 0 && month != 0 && len(tok) <= 2 && hh < 0:
				day = n // asctime: "Jan 15"
			case year < 0:
				year = n
				switch {
				case len(tok) == 2 && n < 50:
					year += 2000
				case len(tok) <= 3:
					year += 1900
				}
			default:
				return time.Time{}, errBadDate
			}
		default:
			lower := strings.ToLower(strings.TrimRight(tok, "."))
			if len(lower) >= 3 {
				if m, ok := monthNames[lower[:3]]; ok && month == 0 {
					month = m
					continue
				}
			}
			upper := strings.ToUpper(tok)
			if h, ok := obsoleteZones[upper]; ok && !zoneSeen && hh >= 0 {
				offset, zoneName, zoneSeen = h*3600, upper, true
				continue
			}
			if len(upper) == 1 && upper[0] >= 'A' && upper[0] <= 'Z' && upper != "J" && !zoneSeen && hh >= 0 {
				zoneSeen = true // military zone: -0000
				continue
			}
			// A day name, or an unknown zone name: ignored.
		}
	}
	if day < 1 || month == 0 || year < 0 || hh < 0 {
		return time.Time{}, errBadDate
	}
	if day > daysIn(month, year) {
		return time.Time{}, errBadDate
	}
	loc := time.FixedZone(zoneName, offset)
	if zoneName == "" {
		loc = time.FixedZone("", offset)
	}
	if ss == 60 {
		ss = 59 // a leap second
	}
	return time.Date(year, month, day, hh, mm, ss, 0, loc), nil
}

// strictLayouts are the RFC 5322 forms nearly every message uses.
var strictLayouts = []string{"Mon, 2 Jan 2006 15:04:05 -0700", "2 Jan 2006 15:04:05 -0700"}

// parseDateStrict reads the common RFC 5322 forms with time.Parse, the
// fast path of parseDate (a header sync reads 10,000 dates; the lenient
// reading's regular expressions were a fifth of decoding a header). What
// it accepts, the lenient reading reads the same: the day name ignored,
// the zone a fixed offset; anything else (comments, obsolete zones,
// two-digit years, leap seconds, odd spacing) is left to it.
func parseDateStrict(s string) (time.Time, bool) {
	if len(s) < 5 || (s[len(s)-5] != '+' && s[len(s)-5] != '-') || !isDigits(s[len(s)-4:]) || s[len(s)-2] > '5' {
		return time.Time{}, false
	}
	for _, layout := range strictLayouts {
		t, err := time.Parse(layout, s)
		if err != nil {
			continue
		}
		_, offset := t.Zone()
		y, m, d := t.Date()
		hh, mm, ss := t.Clock()
		return time.Date(y, m, d, hh, mm, ss, 0, time.FixedZone("", offset)), true
	}
	return time.Time{}, false
}

func daysIn(m time.Month, year int) int {
	return time.Date(year, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

func smallInt(s string, lo, hi int) (int, error) {
	if len(s) == 0 || len(s) > 2 || !isDigits(s) {
		return 0, errBadDate
	}
	n, _ := strconv.Atoi(s)
	if n < lo || n > hi {
		return 0, errBadDate
	}
	return n, nil
}

func isDigits(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// stripComments removes RFC 5322 comments (nested, with quoted-pairs)
// from s, leaving a space in their place. An unclosed comment runs to
// the end.
func stripComments(s string) string {
	if !strings.Contains(s, "(") {
		return s
	}
	var b strings.Builder
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '\\' && depth > 0:
			i++
		case c == '(':
			if depth == 0 {
				b.WriteByte(' ')
			}
			depth++
		case c == ')' && depth > 0:
			depth--
		case depth == 0:
			b.WriteByte(c)
		}
	}
	return b.String()
}
