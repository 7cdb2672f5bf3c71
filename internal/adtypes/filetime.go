package adtypes

import (
	"math"
	"strconv"
	"time"
)

// FileTime is a Windows FILETIME, also called NT time: the number of
// 100-nanosecond intervals since 1601-01-01 00:00:00 UTC, [MS-DTYP] 2.3.3.
// AD stores times this way (pwdLastSet, msKds-UseStartTime), and GKDI and the
// managed-password blob count in the same 100 ns intervals.
type FileTime uint64

const (
	// intervalsPerSecond is how many FILETIME intervals make a second.
	intervalsPerSecond = 10_000_000
	// epochDelta is the number of seconds from 1601-01-01 to 1970-01-01.
	epochDelta = 11_644_473_600
	// maxFileTimeSeconds is the whole seconds of the largest FILETIME.
	maxFileTimeSeconds = math.MaxUint64 / intervalsPerSecond
)

// FileTimeOf returns t as a FILETIME, truncated to 100 ns. It fails for times
// before 1601-01-01 and after 60056-05-28T05:36:10.9551615Z, the largest time
// a uint64 holds. (Windows treats FILETIMEs as signed and stops at
// 30828-09-14T02:48:05.4775807Z; AD uses that value, 0x7fffffffffffffff, to
// mean "never".)
func FileTimeOf(t time.Time) (FileTime, error) {
	secs := t.Unix()
	if secs < -epochDelta {
		return 0, newError("time", t.UTC().Format(time.RFC3339Nano), "is before 1601-01-01T00:00:00Z, the FILETIME epoch")
	}
	if secs > maxFileTimeSeconds-epochDelta {
		return 0, newError("time", t.UTC().Format(time.RFC3339Nano), "is after %s, the largest FILETIME", FileTime(math.MaxUint64).Time().Format(time.RFC3339Nano))
	}
	s := uint64(secs + epochDelta)
	frac := uint64(t.Nanosecond() / 100)
	if s == maxFileTimeSeconds && frac > math.MaxUint64%intervalsPerSecond {
		return 0, newError("time", t.UTC().Format(time.RFC3339Nano), "is after %s, the largest FILETIME", FileTime(math.MaxUint64).Time().Format(time.RFC3339Nano))
	}
	return FileTime(s*intervalsPerSecond + frac), nil
}

// Time returns f as a UTC time. It is exact for every uint64 value: it
// splits f into seconds and a remainder rather than going through int64
// nanoseconds, which overflow after the year 2262.
func (f FileTime) Time() time.Time {
	secs := int64(uint64(f)/intervalsPerSecond) - epochDelta
	nsec := int64(uint64(f)%intervalsPerSecond) * 100
	return time.Unix(secs, nsec).UTC()
}

// String returns f as a decimal integer, the form AD and the CLI print.
func (f FileTime) String() string { return strconv.FormatUint(uint64(f), 10) }

// Intervals returns d as a count of 100 ns intervals, truncated; negative
// durations give 0.
func Intervals(d time.Duration) uint64 {
	if d <= 0 {
		return 0
	}
	return uint64(d / 100)
}

// DurationOf returns a count of 100 ns intervals as a duration, saturating at
// the largest time.Duration (about 292 years) instead of overflowing.
func DurationOf(intervals uint64) time.Duration {
	if intervals > math.MaxInt64/100 {
		return math.MaxInt64
	}
	return time.Duration(intervals * 100)
}
