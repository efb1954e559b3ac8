package when

import (
	"errors"
	"strings"
	"testing"
	"time"
)

func TestParse(t *testing.T) {
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Skip("no time zone database:", err)
	}
	// Wednesday 2026-12-02 19:30 in Berlin.
	now := time.Date(2026, 12, 2, 19, 30, 0, 0, berlin)
	tests := []struct {
		in   string
		want time.Time
	}{
		{"in 2h", now.Add(2 * time.Hour)},
		{"in 90m", now.Add(90 * time.Minute)},
		{"in 1h30m", now.Add(90 * time.Minute)},
		{"In 3 days", now.Add(72 * time.Hour)},
		{"in 2 hours", now.Add(2 * time.Hour)},
		{"in 1w", now.Add(7 * 24 * time.Hour)},
		{"tomorrow 8:00", time.Date(2026, 12, 3, 8, 0, 0, 0, berlin)},
		{"tomorrow at 8am", time.Date(2026, 12, 3, 8, 0, 0, 0, berlin)},
		{"today 21:15", time.Date(2026, 12, 2, 21, 15, 0, 0, berlin)},
		{"8:00", time.Date(2026, 12, 3, 8, 0, 0, 0, berlin)},   // passed today: tomorrow
		{"20:00", time.Date(2026, 12, 2, 20, 0, 0, 0, berlin)}, // still ahead today
		{"8:30pm", time.Date(2026, 12, 2, 20, 30, 0, 0, berlin)},
		{"12am", time.Date(2026, 12, 3, 0, 0, 0, 0, berlin)},
		{"mon 9:00", time.Date(2026, 12, 7, 9, 0, 0, 0, berlin)},
		{"wed 20:00", time.Date(2026, 12, 2, 20, 0, 0, 0, berlin)}, // today, still ahead
		{"wednesday 9:00", time.Date(2026, 12, 9, 9, 0, 0, 0, berlin)},
		{"2026-12-24 09:00", time.Date(2026, 12, 24, 9, 0, 0, 0, berlin)},
		{"2026-12-24T09:00", time.Date(2026, 12, 24, 9, 0, 0, 0, berlin)},
		{"2027-03-28 02:30", time.Date(2027, 3, 28, 2, 30, 0, 0, berlin)}, // a DST gap: as time.Date normalises it
		{"2026-12-24T09:00:00Z", time.Date(2026, 12, 24, 10, 0, 0, 0, berlin)},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in, now)
			if err != nil || !got.Equal(tt.want) || got.Location() != berlin {
				t.Errorf("Parse(%q) = %v, %v; want %v in Berlin", tt.in, got, err, tt.want)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	now := time.Date(2026, 12, 2, 19, 30, 0, 0, time.UTC)
	for _, in := range []string{"", "soon", "in", "in -2h", "in 0m", "tomorrow", "tomorrow 25:00", "13pm", "8", "mon", "2026-12-24", "2026-13-01 09:00", "yesterday 8:00"} {
		if _, err := Parse(in, now); err == nil || errors.Is(err, ErrPast) {
			t.Errorf("Parse(%q) error = %v, want one saying it is not understood", in, err)
		}
	}
	for _, in := range []string{"2026-12-01 09:00", "today 8:00", "2020-01-01T00:00:00Z"} {
		_, err := Parse(in, now)
		if !errors.Is(err, ErrPast) || !strings.Contains(err.Error(), "in the past") {
			t.Errorf("Parse(%q) error = %v, want ErrPast", in, err)
		}
	}
}
