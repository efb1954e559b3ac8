package message

import "time"

// parseDateFast reads from the bytes the form of a date nearly every
// mailer writes, "Mon, 2 Jan 2006 15:04:05 -0700" with or without its
// day name: single spaces, the day and month names as RFC 5322 spells
// them, a one- or two-digit day and hour, a four-digit year. It gives
// what parseDate gives for it (parseDateStrict's time.Parse of the same
// text); ok is false for anything else, which parseDate then reads
// (TestDateFast, FuzzDateFast).
func parseDateFast(b []byte) (t time.Time, ok bool) {
	if len(b) >= 5 && b[3] == ',' && b[4] == ' ' {
		if !isDayName(b[:3]) {
			return time.Time{}, false
		}
		b = b[5:]
	}
	day, b, ok := fastNum(b, 1, 2)
	if !ok || len(b) < 5 || b[0] != ' ' || b[4] != ' ' {
		return time.Time{}, false
	}
	month := monthOf(b[1:4])
	if month == 0 {
		return time.Time{}, false
	}
	year, b, ok := fastNum(b[5:], 4, 4)
	if !ok || len(b) < 1 || b[0] != ' ' {
		return time.Time{}, false
	}
	hh, b, ok := fastNum(b[1:], 1, 2)
	if !ok || len(b) != len(":04:05 -0700") || b[0] != ':' || b[3] != ':' || b[6] != ' ' || (b[7] != '+' && b[7] != '-') {
		return time.Time{}, false
	}
	mm, _, ok1 := fastNum(b[1:3], 2, 2)
	ss, _, ok2 := fastNum(b[4:6], 2, 2)
	zh, _, ok3 := fastNum(b[8:10], 2, 2)
	zm, _, ok4 := fastNum(b[10:12], 2, 2)
	if !ok1 || !ok2 || !ok3 || !ok4 || hh > 23 || mm > 59 || ss > 59 || zh > 23 || zm > 59 ||
		day < 1 || day > daysIn(month, year) {
		return time.Time{}, false
	}
	offset := (zh*60 + zm) * 60
	if b[7] == '-' {
		offset = -offset
	}
	return time.Date(year, month, day, hh, mm, ss, 0, time.FixedZone("", offset)), true
}

// fastNum reads a number of lo to hi digits at the start of b (as many
// as there are, up to hi) and returns it and what follows.
func fastNum(b []byte, lo, hi int) (n int, rest []byte, ok bool) {
	i := 0
	for i < len(b) && i < hi && b[i] >= '0' && b[i] <= '9' {
		n = n*10 + int(b[i]-'0')
		i++
	}
	return n, b[i:], i >= lo
}

// isDayName reports whether b is a day name as RFC 5322 spells it.
func isDayName(b []byte) bool {
	switch string(b) {
	case "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun":
		return true
	}
	return false
}

// monthOf returns the month b names as RFC 5322 spells it, 0 for
// anything else.
func monthOf(b []byte) time.Month {
	switch string(b) {
	case "Jan":
		return time.January
	case "Feb":
		return time.February
	case "Mar":
		return time.March
	case "Apr":
		return time.April
	case "May":
		return time.May
	case "Jun":
		return time.June
	case "Jul":
		return time.July
	case "Aug":
		return time.August
	case "Sep":
		return time.September
	case "Oct":
		return time.October
	case "Nov":
		return time.November
	case "Dec":
		return time.December
	}
	return 0
}
