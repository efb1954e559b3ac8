package calendar

import (
	"sort"
	"time"
)

// Span is when an event takes place: its first occurrence and its
// recurrence rule, as kept to look for conflicts between invitations.
type Span struct {
	Start, End time.Time // first occurrence; End after or at Start
	Rule       string    // RRULE value; "" for a single occurrence
}

// Span returns the event's span.
func (e Event) Span() Span { return Span{Start: e.Start, End: e.End, Rule: e.Rule} }

const (
	maxPeriods     = 5000 // recurrence periods stepped through
	maxOccurrences = 1000 // occurrences listed in one window
	horizon        = 2 * 365 * 24 * time.Hour
)

// Occurrences returns the starts of the span's occurrences that begin
// before to and end after from, in order, at most max (0: 1000). Rules
// repeating more often than daily count as their first occurrence only,
// and a rule that cannot be read as well.
func (s Span) Occurrences(from, to time.Time, max int) []time.Time {
	if max <= 0 || max > maxOccurrences {
		max = maxOccurrences
	}
	dur := s.End.Sub(s.Start)
	var out []time.Time
	s.each(from.Add(-dur), to, func(t time.Time) bool {
		if t.Add(dur).After(from) || (dur == 0 && !t.Before(from)) {
			out = append(out, t)
		}
		return len(out) < max
	})
	return out
}

// each calls f with each occurrence starting before to, in order, until
// f returns false. Periods before from are skipped when the rule has no
// COUNT (which counts from the first occurrence), so an old recurring
// event still reaches the present within maxPeriods.
func (s Span) each(from, to time.Time, f func(time.Time) bool) {
	if s.Start.IsZero() || !s.Start.Before(to) {
		return
	}
	r, ok := parseRule(s.Rule)
	if s.Rule == "" || !ok || r.freq == "SECONDLY" || r.freq == "MINUTELY" || r.freq == "HOURLY" {
		f(s.Start)
		return
	}
	start := s.Start
	count := 0
	emit := func(days []time.Time) bool {
		sort.Slice(days, func(i, j int) bool { return days[i].Before(days[j]) })
		for _, d := range days {
			t := time.Date(d.Year(), d.Month(), d.Day(), start.Hour(), start.Minute(), start.Second(), 0, start.Location())
			if t.Before(start) || (r.freq != "DAILY" && !inMonths(r.byMonth, t.Month())) {
				continue
			}
			if !t.Before(to) || (!r.until.IsZero() && t.After(r.until)) {
				return false
			}
			count++
			if !f(t) || (r.count > 0 && count >= r.count) {
				return false
			}
		}
		return true
	}
	y, m, d := start.Date()
	loc := start.Location()
	first := 0
	if r.count == 0 && from.After(start) {
		first = skipPeriods(r, start, from)
	}
	for i := first; i < first+maxPeriods; i++ {
		var days []time.Time
		switch r.freq {
		case "DAILY":
			day := time.Date(y, m, d+i*r.interval, 0, 0, 0, 0, loc)
			if matchesDay(r.byDay, day) && inMonths(r.byMonth, day.Month()) {
				days = append(days, day)
			}
		case "WEEKLY":
			// Weeks start on Monday (WKST is not followed).
			monday := time.Date(y, m, d-(int(start.Weekday())+6)%7+7*i*r.interval, 0, 0, 0, 0, loc)
			if len(r.byDay) == 0 {
				days = append(days, monday.AddDate(0, 0, (int(start.Weekday())+6)%7))
			}
			for _, bd := range r.byDay {
				_, wd, _ := splitByDay(bd)
				days = append(days, monday.AddDate(0, 0, (int(wd)+6)%7))
			}
		case "MONTHLY":
			first := time.Date(y, m+time.Month(i*r.interval), 1, 0, 0, 0, 0, loc)
			days = monthDaysOf(r, first, d)
		case "YEARLY":
			months := r.byMonth
			if len(months) == 0 {
				months = []int{int(m)}
			}
			for _, mo := range months {
				if mo > 0 && mo <= 12 {
					first := time.Date(y+i*r.interval, time.Month(mo), 1, 0, 0, 0, 0, loc)
					days = append(days, monthDaysOf(r, first, d)...)
				}
			}
		}
		if len(days) > 0 && !emit(days) {
			return
		}
		if periodStart(r.freq, y, m, d, i, r.interval, loc).After(to) {
			return
		}
	}
}

// skipPeriods is how many whole periods of the rule lie between start
// and from, less one for safety.
func skipPeriods(r rule, start, from time.Time) int {
	var n int
	days := int(from.Sub(start).Hours() / 24)
	switch r.freq {
	case "DAILY":
		n = days
	case "WEEKLY":
		n = days / 7
	case "MONTHLY":
		n = (from.Year()-start.Year())*12 + int(from.Month()) - int(start.Month())
	case "YEARLY":
		n = from.Year() - start.Year()
	}
	return max(n/r.interval-1, 0)
}

func periodStart(freq string, y int, m time.Month, d, i, interval int, loc *time.Location) time.Time {
	switch freq {
	case "DAILY":
		return time.Date(y, m, d+i*interval, 0, 0, 0, 0, loc)
	case "WEEKLY":
		return time.Date(y, m, d+7*i*interval, 0, 0, 0, 0, loc)
	case "MONTHLY":
		return time.Date(y, m+time.Month(i*interval), 1, 0, 0, 0, 0, loc)
	}
	return time.Date(y+i*interval, 1, 1, 0, 0, 0, 0, loc)
}

// monthDaysOf lists the days of the month starting at first that the
// rule picks; day is the start's day of the month, used without BY parts.
func monthDaysOf(r rule, first time.Time, day int) []time.Time {
	last := first.AddDate(0, 1, -1).Day()
	var out []time.Time
	switch {
	case len(r.byMDay) > 0:
		for _, md := range r.byMDay {
			if md < 0 {
				md = last + 1 + md
			}
			if md >= 1 && md <= last {
				out = append(out, first.AddDate(0, 0, md-1))
			}
		}
	case len(r.byDay) > 0:
		var byWeekday [7][]time.Time // the month's days, by weekday
		for dd := 0; dd < last; dd++ {
			t := first.AddDate(0, 0, dd)
			byWeekday[t.Weekday()] = append(byWeekday[t.Weekday()], t)
		}
		for _, bd := range r.byDay {
			n, wd, _ := splitByDay(bd)
			all := byWeekday[wd]
			switch {
			case n == 0:
				out = append(out, all...)
			case n > 0 && n <= len(all):
				out = append(out, all[n-1])
			case n < 0 && -n <= len(all):
				out = append(out, all[len(all)+n])
			}
		}
	default:
		if day <= last {
			out = append(out, first.AddDate(0, 0, day-1))
		}
	}
	return out
}

func matchesDay(byDay []string, t time.Time) bool {
	if len(byDay) == 0 {
		return true
	}
	for _, bd := range byDay {
		if _, wd, _ := splitByDay(bd); wd == t.Weekday() {
			return true
		}
	}
	return false
}

func inMonths(months []int, m time.Month) bool {
	if len(months) == 0 {
		return true
	}
	for _, x := range months {
		if time.Month(x) == m {
			return true
		}
	}
	return false
}

// Overlap returns the starts of the first occurrence of a that overlaps
// an occurrence of b and of that occurrence of b, looking at most two
// years past the later start.
func Overlap(a, b Span) (atA, atB time.Time, ok bool) {
	if a.Start.IsZero() || b.Start.IsZero() {
		return time.Time{}, time.Time{}, false
	}
	// Both exist only from the later start on.
	later := a.Start
	if b.Start.After(later) {
		later = b.Start
	}
	from, to := later, later.Add(horizon)
	as, bs := a.Occurrences(from, to, 0), b.Occurrences(from, to, 0)
	da, db := a.End.Sub(a.Start), b.End.Sub(b.Start)
	i, j := 0, 0
	for i < len(as) && j < len(bs) {
		aEnd, bEnd := as[i].Add(da), bs[j].Add(db)
		if as[i].Before(bEnd) && bs[j].Before(aEnd) {
			return as[i], bs[j], true
		}
		if aEnd.After(bEnd) || (aEnd.Equal(bEnd) && as[i].After(bs[j])) {
			j++
		} else {
			i++
		}
	}
	return time.Time{}, time.Time{}, false
}
