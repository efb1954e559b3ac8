// Package when reads the send times people type ("in 2h", "tomorrow
// 8:00", "mon 9:00", "2026-12-24 09:00", "8:00") into a time, in the
// local time zone of the clock it is given.
//
// # Forms
//
//   - in DURATION: "in 2h", "in 90m", "in 1h30m", "in 3 days", "in 2 hours"
//   - a time of day, the next one to come: "8:00", "20:30", "8am", "8:30pm"
//   - today / tomorrow TIME: "tomorrow 8:00", "today at 17:00"
//   - WEEKDAY TIME, the next such day (today if the time is still ahead):
//     "mon 9:00", "friday 16:30"
//   - DATE TIME: "2026-12-24 09:00" (or with a T), RFC 3339 for scripts
//
// A time that has passed is an error: mail cannot be sent in the past.
package when

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ErrPast is wrapped by Parse's error for a time that has passed.
var ErrPast = errors.New("in the past")

// Layout is how times are written back to the user.
const Layout = "Mon 2006-01-02 15:04"

// Parse reads s as a time after now, in now's location.
func Parse(s string, now time.Time) (time.Time, error) {
	t, err := parse(strings.ToLower(strings.Join(strings.Fields(s), " ")), now)
	if err != nil {
		return time.Time{}, fmt.Errorf("%q: %w (try \"in 2h\", \"tomorrow 8:00\", \"mon 9:00\", \"8:00\" or \"2026-12-24 09:00\")", s, err)
	}
	if !t.After(now) {
		return time.Time{}, fmt.Errorf("%s is %w (it is %s now)", t.Format(Layout), ErrPast, now.Format(Layout))
	}
	return t, nil
}

var errUnknown = errors.New("not a time posta understands")

func parse(s string, now time.Time) (time.Time, error) {
	loc := now.Location()
	if s == "" {
		return time.Time{}, errors.New("no time given")
	}
	if rest, ok := strings.CutPrefix(s, "in "); ok {
		d, err := duration(rest)
		if err != nil {
			return time.Time{}, err
		}
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, strings.ToUpper(s)); err == nil {
		return t.In(loc), nil
	}
	if len(s) > 10 && s[10] == 't' && s[4] == '-' { // 2026-12-24t09:00
		s = s[:10] + " " + s[11:]
	}
	day, clock, _ := strings.Cut(s, " ")
	clock = strings.TrimPrefix(clock, "at ")
	if clock == "" {
		// A time of day alone: the next one to come.
		h, m, err := timeOfDay(day)
		if err != nil {
			return time.Time{}, err
		}
		t := time.Date(now.Year(), now.Month(), now.Day(), h, m, 0, 0, loc)
		if !t.After(now) {
			t = time.Date(now.Year(), now.Month(), now.Day()+1, h, m, 0, 0, loc)
		}
		return t, nil
	}
	h, m, err := timeOfDay(clock)
	if err != nil {
		return time.Time{}, err
	}
	at := func(y int, mo time.Month, d int) time.Time { return time.Date(y, mo, d, h, m, 0, 0, loc) }
	switch day {
	case "today":
		return at(now.Year(), now.Month(), now.Day()), nil
	case "tomorrow":
		return at(now.Year(), now.Month(), now.Day()+1), nil
	}
	if wd, ok := weekday(day); ok {
		ahead := (int(wd) - int(now.Weekday()) + 7) % 7
		t := at(now.Year(), now.Month(), now.Day()+ahead)
		if !t.After(now) {
			t = at(now.Year(), now.Month(), now.Day()+ahead+7)
		}
		return t, nil
	}
	if d, err := time.ParseInLocation("2006-01-02", day, loc); err == nil {
		return at(d.Year(), d.Month(), d.Day()), nil
	}
	return time.Time{}, errUnknown
}

// duration reads "2h", "1h30m", "90 minutes", "3 days", "1 week".
func duration(s string) (time.Duration, error) {
	compact := strings.ReplaceAll(s, " ", "")
	if d, err := time.ParseDuration(compact); err == nil && d > 0 {
		return d, nil
	}
	f := strings.Fields(s)
	if len(f) == 1 { // "3d", "2w"
		i := strings.IndexFunc(f[0], func(r rune) bool { return r < '0' || r > '9' })
		if i <= 0 {
			return 0, errUnknown
		}
		f = []string{f[0][:i], f[0][i:]}
	}
	if len(f) != 2 {
		return 0, errUnknown
	}
	n, err := strconv.Atoi(f[0])
	if err != nil || n <= 0 {
		return 0, errUnknown
	}
	unit := map[string]time.Duration{
		"m": time.Minute, "min": time.Minute, "mins": time.Minute, "minute": time.Minute, "minutes": time.Minute,
		"h": time.Hour, "hour": time.Hour, "hours": time.Hour,
		"d": 24 * time.Hour, "day": 24 * time.Hour, "days": 24 * time.Hour,
		"w": 7 * 24 * time.Hour, "week": 7 * 24 * time.Hour, "weeks": 7 * 24 * time.Hour,
	}[f[1]]
	if unit == 0 {
		return 0, errUnknown
	}
	return time.Duration(n) * unit, nil
}

// timeOfDay reads "8:00", "08:30", "20:30", "8", "8am", "8:30pm", "8.30".
func timeOfDay(s string) (h, m int, err error) {
	pm, am := strings.HasSuffix(s, "pm"), strings.HasSuffix(s, "am")
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSuffix(s, "pm"), "am"))
	hs, ms, hasMin := strings.Cut(strings.Replace(s, ".", ":", 1), ":")
	if h, err = strconv.Atoi(hs); err != nil || len(hs) > 2 {
		return 0, 0, errUnknown
	}
	if hasMin {
		if m, err = strconv.Atoi(ms); err != nil || len(ms) != 2 {
			return 0, 0, errUnknown
		}
	} else if !am && !pm {
		return 0, 0, errUnknown // a bare number is not clearly a time
	}
	switch {
	case (am || pm) && (h < 1 || h > 12):
		return 0, 0, errUnknown
	case pm && h != 12:
		h += 12
	case am && h == 12:
		h = 0
	}
	if h > 23 || m > 59 {
		return 0, 0, errUnknown
	}
	return h, m, nil
}

func weekday(s string) (time.Weekday, bool) {
	for d := time.Sunday; d <= time.Saturday; d++ {
		name := strings.ToLower(d.String())
		if s == name || s == name[:3] {
			return d, true
		}
	}
	return 0, false
}
