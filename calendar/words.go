package calendar

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

var weekdays = map[string]time.Weekday{
	"SU": time.Sunday, "MO": time.Monday, "TU": time.Tuesday, "WE": time.Wednesday,
	"TH": time.Thursday, "FR": time.Friday, "SA": time.Saturday,
}

var ordinals = map[int]string{1: "first", 2: "second", 3: "third", 4: "fourth", 5: "fifth", -1: "last", -2: "second to last"}

// rule is an RRULE split into its parts, upper-cased.
type rule struct {
	freq     string
	interval int
	count    int
	until    time.Time
	byDay    []string
	byMonth  []int
	byMDay   []int
}

// parseRule reads an RRULE value; ok is false when FREQ is missing or a
// part cannot be read.
func parseRule(s string) (r rule, ok bool) {
	r.interval = 1
	if len(s) > 1000 {
		return r, false
	}
	for _, part := range strings.Split(strings.ToUpper(strings.TrimSpace(s)), ";") {
		k, v, found := strings.Cut(part, "=")
		if !found {
			continue
		}
		switch k {
		case "FREQ":
			r.freq = v
		case "INTERVAL":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 || n > 1000 {
				return r, false
			}
			r.interval = n
		case "COUNT":
			n, err := strconv.Atoi(v)
			if err != nil || n < 1 {
				return r, false
			}
			r.count = n
		case "UNTIL":
			t, err := parseUntil(v)
			if err != nil {
				return r, false
			}
			r.until = t
		case "BYDAY":
			r.byDay = strings.Split(v, ",")
			if len(r.byDay) > 7*6 {
				return r, false
			}
			for _, d := range r.byDay {
				if _, _, ok := splitByDay(d); !ok {
					return r, false
				}
			}
		case "BYMONTH", "BYMONTHDAY":
			var list []int
			for _, x := range strings.Split(v, ",") {
				n, err := strconv.Atoi(x)
				if err != nil || n == 0 || n < -31 || n > 31 || len(list) > 31 {
					return r, false
				}
				list = append(list, n)
			}
			if k == "BYMONTH" {
				r.byMonth = list
			} else {
				r.byMDay = list
			}
		}
	}
	switch r.freq {
	case "SECONDLY", "MINUTELY", "HOURLY", "DAILY", "WEEKLY", "MONTHLY", "YEARLY":
		return r, true
	}
	return r, false
}

func parseUntil(v string) (time.Time, error) {
	switch len(v) {
	case len("20060102"):
		return time.ParseInLocation("20060102", v, time.Local)
	case len("20060102T150405Z"):
		return time.Parse("20060102T150405Z", v)
	}
	return time.ParseInLocation("20060102T150405", v, time.Local)
}

// splitByDay reads a BYDAY entry: "MO", "2TU", "-1FR".
func splitByDay(d string) (n int, day time.Weekday, ok bool) {
	if len(d) < 2 {
		return 0, 0, false
	}
	day, ok = weekdays[d[len(d)-2:]]
	if !ok {
		return 0, 0, false
	}
	if d[:len(d)-2] != "" {
		var err error
		n, err = strconv.Atoi(d[:len(d)-2])
		if err != nil || n == 0 || n < -53 || n > 53 {
			return 0, 0, false
		}
	}
	return n, day, true
}

// RuleWords says an RRULE in words: "every week on Monday until
// 2027-03-01", "every 2 months on the last Friday, 10 times". start is
// the first occurrence, for the day a rule without BY parts repeats on.
// A rule it cannot read is shown as written.
func RuleWords(s string, start time.Time) string {
	r, ok := parseRule(s)
	if !ok {
		return "repeats (" + clean(s) + ")"
	}
	unit := map[string]string{"SECONDLY": "second", "MINUTELY": "minute", "HOURLY": "hour", "DAILY": "day",
		"WEEKLY": "week", "MONTHLY": "month", "YEARLY": "year"}[r.freq]
	var b strings.Builder
	if r.interval == 1 {
		b.WriteString("every " + unit)
	} else {
		fmt.Fprintf(&b, "every %d %ss", r.interval, unit)
	}
	switch r.freq {
	case "DAILY":
		if len(r.byDay) > 0 {
			b.WriteString(" on " + dayList(r.byDay))
		}
	case "WEEKLY":
		switch {
		case len(r.byDay) > 0:
			b.WriteString(" on " + dayList(r.byDay))
		case !start.IsZero():
			b.WriteString(" on " + start.Weekday().String())
		}
	case "MONTHLY":
		switch {
		case len(r.byDay) > 0:
			b.WriteString(" on the " + dayList(r.byDay))
		case len(r.byMDay) > 0:
			b.WriteString(" on " + monthDays(r.byMDay))
		case !start.IsZero():
			b.WriteString(" on day " + strconv.Itoa(start.Day()))
		}
	case "YEARLY":
		month, day := "", ""
		if len(r.byMonth) == 1 && r.byMonth[0] > 0 && r.byMonth[0] <= 12 {
			month = time.Month(r.byMonth[0]).String()
		} else if !start.IsZero() {
			month = start.Month().String()
		}
		if len(r.byMDay) == 1 && r.byMDay[0] > 0 {
			day = strconv.Itoa(r.byMDay[0])
		} else if len(r.byDay) > 0 {
			day = "the " + dayList(r.byDay) + " of"
		} else if !start.IsZero() {
			day = strconv.Itoa(start.Day())
		}
		if strings.HasPrefix(day, "the ") {
			b.WriteString(" on " + day + " " + month)
		} else if month != "" {
			b.WriteString(" on " + month + " " + day)
		}
	}
	if !r.until.IsZero() {
		b.WriteString(" until " + r.until.In(time.Local).Format("2006-01-02"))
	}
	if r.count > 0 {
		if r.count == 1 {
			b.WriteString(", once")
		} else {
			fmt.Fprintf(&b, ", %d times", r.count)
		}
	}
	return clean(b.String())
}

// dayList says BYDAY entries: "Monday and Wednesday", "second Tuesday".
func dayList(days []string) string {
	if len(days) == 5 && allWeekdays(days) {
		return "weekdays"
	}
	var words []string
	for _, d := range days {
		n, day, _ := splitByDay(d)
		w := day.String()
		if n != 0 {
			ord, ok := ordinals[n]
			if !ok {
				ord = fmt.Sprintf("%dth", n)
			}
			w = ord + " " + w
		}
		words = append(words, w)
	}
	return andList(words)
}

func allWeekdays(days []string) bool {
	seen := map[string]bool{}
	for _, d := range days {
		seen[d] = true
	}
	return seen["MO"] && seen["TU"] && seen["WE"] && seen["TH"] && seen["FR"]
}

func monthDays(days []int) string {
	var words []string
	for _, d := range days {
		if d == -1 {
			words = append(words, "the last day")
		} else {
			words = append(words, "day "+strconv.Itoa(d))
		}
	}
	return andList(words)
}

func andList(words []string) string {
	switch len(words) {
	case 0:
		return ""
	case 1:
		return words[0]
	}
	return strings.Join(words[:len(words)-1], ", ") + " and " + words[len(words)-1]
}
