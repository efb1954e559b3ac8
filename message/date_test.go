package message

import (
	"strings"
	"testing"
	"time"
)

func TestParseDate(t *testing.T) {
	tests := []struct {
		in   string
		want string // RFC 3339 in UTC; "" means unreadable
	}{
		{"Wed, 15 Jan 92 16:24:40 EST", "1992-01-15T21:24:40Z"},
		{"Wed, 15 Jan 1992 16:24:40 EDT", "1992-01-15T20:24:40Z"},
		{"Mon, 2 Jun 2003 08:00:00 PDT", "2003-06-02T15:00:00Z"},
		{"Mon, 2 Jun 2003 08:00:00 CST", "2003-06-02T14:00:00Z"},
		{"Mon, 2 Jun 2003 08:00:00 MDT", "2003-06-02T14:00:00Z"},
		{"Mon, 2 Jun 2003 08:00:00 GMT", "2003-06-02T08:00:00Z"},
		{"Mon, 2 Jun 2003 08:00:00 UT", "2003-06-02T08:00:00Z"},
		{"Mon, 2 Jun 2003 08:00:00 Q", "2003-06-02T08:00:00Z"}, // military: -0000
		{"Fri, 21 Nov 1997 00:19:00 (EDT) -0400", "1997-11-21T04:19:00Z"},
		{"Fri, 21 Nov 1997 00:19:00 -0400 (EDT)", "1997-11-21T04:19:00Z"},
		{"Fri, 21 Nov 97 09:55:06 -0600", "1997-11-21T15:55:06Z"},
		{"Thu, 13 Feb 03 09:55:06 +0100", "2003-02-13T08:55:06Z"},
		{"13 Feb 103 09:55 +0000", "2003-02-13T09:55:00Z"},
		{"Thu Feb 13 09:55:06 2003", "2003-02-13T09:55:06Z"},
		{"Tue, 1 Jul 2003 10:52:37 +0200", "2003-07-01T08:52:37Z"},
		{"01 Jan 2001 00:01+0000", "2001-01-01T00:01:00Z"},
		{"Fri, 21 Nov 1997 09(comment):   55  :  06 -0600", "1997-11-21T15:55:06Z"},
		{"yesterday", ""},
		{"31 Feb 2003 10:00 +0000", ""},
		{"1 Jan 2003 25:00 +0000", ""},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			d, err := parseDate(tt.in)
			if tt.want == "" {
				if err == nil {
					t.Errorf("parseDate(%q) = %v, want an error", tt.in, d)
				}
				return
			}
			if err != nil {
				t.Fatalf("parseDate(%q) error = %v", tt.in, err)
			}
			if got := d.UTC().Format(time.RFC3339); got != tt.want {
				t.Errorf("parseDate(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

func TestDateObsoleteZoneShown(t *testing.T) {
	raw := crlf("From: a@example.com\nDate: Wed, 15 Jan 92 16:24:40 EST\nSubject: s\n\nbody\n")
	h, err := ParseHeader(strings.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	if want := time.Date(1992, 1, 15, 21, 24, 40, 0, time.UTC); !h.Date.Equal(want) {
		t.Errorf("ParseHeader().Date = %v, want %v", h.Date.UTC(), want)
	}
	res := render(t, raw, Options{})
	if got, want := header(res, "Date"), "Wed, 15 Jan 1992 16:24:40 -0500"; got != want {
		t.Errorf("Date shown = %q, want %q", got, want)
	}
}

func TestDateCorpus(t *testing.T) {
	for _, tt := range []struct {
		file string
		want time.Time
	}{
		{"jwz-mailcore2/100", time.Date(1992, 1, 15, 21, 24, 40, 0, time.UTC)},                  // "Wed, 15 Jan 92 16:24:40 EST"
		{"flanker/disposition-notification.eml", time.Date(1995, 9, 20, 4, 19, 0, 0, time.UTC)}, // "00:19:00 (EDT) -0400"
	} {
		t.Run(tt.file, func(t *testing.T) {
			h, err := ParseHeader(strings.NewReader(corpusMessage(t, tt.file)))
			if err != nil {
				t.Fatal(err)
			}
			if !h.Date.Equal(tt.want) {
				t.Errorf("Date = %v, want %v", h.Date.UTC(), tt.want)
			}
		})
	}
}
