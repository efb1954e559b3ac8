package calendar

import (
	"strings"
	"time"

	ical "github.com/emersion/go-ical"
)

// vzone is a VTIMEZONE: its standard and daylight offsets and the yearly
// rules that switch between them (RFC 5545 3.6.5), for TZIDs that are
// not IANA names.
type vzone struct {
	name             string
	std, dst         int       // offsets east of UTC, seconds
	stdStart, dstAt  time.Time // DTSTART of each part, as a wall clock time (UTC location)
	stdRule, dstRule rule
	hasDST           bool
}

// vtimezones reads the object's VTIMEZONEs, keyed by TZID as written.
func vtimezones(cal *ical.Calendar) map[string]vzone {
	zones := map[string]vzone{}
	for _, c := range cal.Children {
		if c.Name != ical.CompTimezone || len(zones) > 20 {
			continue
		}
		p := c.Props.Get(ical.PropTimezoneID)
		if p == nil {
			continue
		}
		z := vzone{name: clean(p.Value)}
		hasStd := false
		for _, part := range c.Children {
			off, ok := 0, false
			if p := part.Props.Get("TZOFFSETTO"); p != nil {
				off, ok = parseOffset(p.Value)
			}
			if !ok {
				continue
			}
			var start time.Time
			if p := part.Props.Get(ical.PropDateTimeStart); p != nil {
				start, _ = time.Parse("20060102T150405", strings.TrimSpace(p.Value))
			}
			var r rule
			if p := part.Props.Get(ical.PropRecurrenceRule); p != nil {
				r, _ = parseRule(p.Value)
			}
			switch part.Name {
			case "STANDARD":
				if !hasStd {
					z.std, z.stdStart, z.stdRule, hasStd = off, start, r, true
				}
			case "DAYLIGHT":
				if !z.hasDST {
					z.dst, z.dstAt, z.dstRule, z.hasDST = off, start, r, true
				}
			}
		}
		if !hasStd && z.hasDST {
			z.std, z.hasDST = z.dst, false
		}
		if hasStd || z.hasDST {
			zones[strings.TrimSpace(p.Value)] = z
		}
	}
	return zones
}

// at returns the zone's offset at a wall clock time, as a fixed zone:
// daylight time between the year's switch to it and the switch back,
// when both follow a yearly rule by month (or the date of DTSTART).
func (z vzone) at(wall time.Time) *time.Location {
	off := z.std
	if z.hasDST {
		ds, ok1 := switchIn(wall.Year(), z.dstAt, z.dstRule)
		ss, ok2 := switchIn(wall.Year(), z.stdStart, z.stdRule)
		if ok1 && ok2 {
			inDST := !wall.Before(ds) && wall.Before(ss) // northern: spring to autumn
			if ss.Before(ds) {
				inDST = wall.Before(ss) || !wall.Before(ds) // southern: autumn to spring across the new year
			}
			if inDST {
				off = z.dst
			}
		}
	}
	return time.FixedZone(z.name, off)
}

// switchIn returns when a VTIMEZONE part begins in year, as a wall clock
// time: its RRULE's month and day (BYMONTH with BYDAY such as -1SU or
// 2SU, or BYMONTHDAY), else DTSTART's month and day.
func switchIn(year int, start time.Time, r rule) (time.Time, bool) {
	if start.IsZero() {
		return time.Time{}, false
	}
	month, day := start.Month(), start.Day()
	if r.freq == "YEARLY" && len(r.byMonth) == 1 && r.byMonth[0] >= 1 && r.byMonth[0] <= 12 {
		month = time.Month(r.byMonth[0])
		first := time.Date(year, month, 1, 0, 0, 0, 0, time.UTC)
		days := monthDaysOf(r, first, day)
		if len(days) == 0 {
			return time.Time{}, false
		}
		day = days[0].Day()
	}
	return time.Date(year, month, day, start.Hour(), start.Minute(), start.Second(), 0, time.UTC), true
}
