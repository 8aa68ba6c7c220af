package main

import (
	"testing"
	"time"
)

// TestParseDateOrTime: a date is read in China time, at the given point of its day (the start
// for --invalidity-date, the last second for --valid-until); an RFC 3339 time keeps its own
// zone and is not moved.
func TestParseDateOrTime(t *testing.T) {
	for _, tc := range []struct {
		in      string
		intoDay time.Duration
		want    string // RFC 3339 in UTC; "" for an error
	}{
		{"2030-05-01", 0, "2030-04-30T16:00:00Z"},
		{"2030-05-01", lastSecondOfDay, "2030-05-01T15:59:59Z"},
		{"2030-05-01T08:30:00+02:00", lastSecondOfDay, "2030-05-01T06:30:00Z"},
		{"tomorrow", 0, ""},
		{"2030-13-01", 0, ""},
	} {
		got, err := parseDateOrTime(tc.in, tc.intoDay)
		if tc.want == "" {
			if err == nil {
				t.Errorf("%q: no error, got %v", tc.in, got)
			}
			continue
		}
		if err != nil || got.UTC().Format(time.RFC3339) != tc.want {
			t.Errorf("%q +%v: got %v, %v; want %s", tc.in, tc.intoDay, got, err, tc.want)
		}
	}
}
