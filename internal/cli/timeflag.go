package cli

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/opengmsa/gmsa/internal/adtypes"
)

// parseTime reads a time in any of the three forms the project accepts:
// RFC 3339 (2024-01-31T10:00:00Z, any offset), a FILETIME integer (100 ns
// since 1601, as AD stores msKds-UseStartTime), or a signed duration from now
// (-10h, +30m; "d" is a day of 24 hours: -31d). The result is UTC.
func parseTime(flag, s string, now time.Time) (time.Time, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return time.Time{}, usageError("", "--%s: empty time", flag)
	}
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if n, err := strconv.ParseUint(s, 10, 64); err == nil {
		return adtypes.FileTime(n).Time(), nil
	}
	if s[0] == '+' || s[0] == '-' {
		d, err := parseDuration(s)
		if err == nil {
			return now.Add(d).UTC(), nil
		}
	}
	return time.Time{}, usageError("times are RFC 3339 (2024-01-31T10:00:00Z), a FILETIME integer, or a signed duration such as -10h or +31d",
		"--%s %q: not a time", flag, s)
}

// parseDuration is time.ParseDuration plus a "d" (24 h) unit.
func parseDuration(s string) (time.Duration, error) {
	if rest, ok := strings.CutSuffix(s, "d"); ok {
		n, err := strconv.ParseFloat(rest, 64)
		if err != nil {
			return 0, err
		}
		d := n * float64(24*time.Hour)
		if d > float64(1<<63-1) || d < -float64(1<<63-1) {
			return 0, fmt.Errorf("out of range")
		}
		return time.Duration(d), nil
	}
	return time.ParseDuration(s)
}

// fileTime converts a parsed time for the derivation code.
func fileTime(flag string, t time.Time) (adtypes.FileTime, error) {
	ft, err := adtypes.FileTimeOf(t)
	if err != nil {
		return 0, usageError("", "--%s %s: %v", flag, t.Format(time.RFC3339), err)
	}
	return ft, nil
}

// rfc3339 formats a time for output.
func rfc3339(t time.Time) string { return t.UTC().Format(time.RFC3339) }
