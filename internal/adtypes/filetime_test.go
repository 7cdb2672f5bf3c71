package adtypes

import (
	"math"
	"testing"
	"time"
)

func TestFileTime(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		ft   FileTime
		want string // RFC 3339 with nanoseconds
	}{
		{"zero is the FILETIME epoch", 0, "1601-01-01T00:00:00Z"},
		{"a time from the gMSA tests keeps its 100 ns digits", 133387453261266352, "2023-09-09T15:02:06.1266352Z"},
		{"the Unix epoch is 116444736000000000", 116444736000000000, "1970-01-01T00:00:00Z"},
		{"the largest signed FILETIME, AD's never, is in the year 30828", math.MaxInt64, "30828-09-14T02:48:05.4775807Z"},
		{"the largest FILETIME is in the year 60056", math.MaxUint64, "60056-05-28T05:36:10.9551615Z"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			got := tc.ft.Time()
			if s := got.Format(time.RFC3339Nano); s != tc.want {
				t.Errorf("FileTime(%d).Time() = %s; want %s", tc.ft, s, tc.want)
			}
			if got.Location() != time.UTC {
				t.Errorf("Time() location = %v; want UTC", got.Location())
			}
			back, err := FileTimeOf(got)
			if err != nil || back != tc.ft {
				t.Errorf("FileTimeOf(%s) = %d, %v; want %d", tc.want, back, err, tc.ft)
			}
		})
	}
}

func TestFileTimeOfTruncatesToIntervals(t *testing.T) {
	t.Parallel()
	in := time.Date(2023, 9, 9, 15, 2, 6, 126635299, time.FixedZone("x", 3600))
	got, err := FileTimeOf(in)
	if err != nil {
		t.Fatal(err)
	}
	if got != 133387417261266352 {
		t.Errorf("FileTimeOf(%v) = %d; want 133387417261266352", in, got)
	}
}

func TestFileTimeOfRejectsTimesOutsideItsRange(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		in   time.Time
		want string
	}{
		{"a time before 1601 is rejected", time.Date(1600, 12, 31, 23, 59, 59, 999999999, time.UTC), `time "1600-12-31T23:59:59.999999999Z": is before 1601-01-01`},
		{"the zero time is rejected", time.Time{}, `time "0001-01-01T00:00:00Z": is before 1601-01-01`},
		{"100 ns after the largest FILETIME is rejected", FileTime(math.MaxUint64).Time().Add(100), `time "60056-05-28T05:36:10.9551616Z": is after 60056-05-28T05:36:10.9551615Z, the largest FILETIME`},
		{"a second after the largest FILETIME is rejected", FileTime(math.MaxUint64).Time().Add(time.Second), "is after 60056"},
		{"a time far beyond the range is rejected", time.Unix(math.MaxInt64/2, 0), "is after 60056"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := FileTimeOf(tc.in)
			checkError(t, err, "time", tc.want)
		})
	}
}

func TestFileTimeString(t *testing.T) {
	t.Parallel()
	if got := FileTime(math.MaxUint64).String(); got != "18446744073709551615" {
		t.Errorf("String() = %q", got)
	}
}

func TestIntervalsAndDurationOf(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name      string
		d         time.Duration
		intervals uint64
	}{
		{"a second is ten million intervals", time.Second, 10_000_000},
		{"ten hours is the GKDI key cycle", 10 * time.Hour, 360_000_000_000},
		{"a negative duration is zero intervals", -time.Second, 0},
		{"less than 100 ns is zero intervals", 99, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			if got := Intervals(tc.d); got != tc.intervals {
				t.Errorf("Intervals(%v) = %d; want %d", tc.d, got, tc.intervals)
			}
		})
	}
	if got := DurationOf(10_000_000); got != time.Second {
		t.Errorf("DurationOf(1e7) = %v; want 1s", got)
	}
	if got := DurationOf(math.MaxInt64 / 100); got != time.Duration(math.MaxInt64/100*100) {
		t.Errorf("DurationOf(MaxInt64/100) = %v; want no saturation", got)
	}
	if got := DurationOf(math.MaxInt64/100 + 1); got != math.MaxInt64 {
		t.Errorf("DurationOf just past the limit = %v; want saturation", got)
	}
	if got := DurationOf(math.MaxUint64); got != math.MaxInt64 {
		t.Errorf("DurationOf(MaxUint64) = %v; want saturation", got)
	}
}
