package adtypes

import (
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// readVector reads one test vector from testdata/: lines of "key: value",
// the first of which must be "source:", naming where the values come from.
func readVector(tb testing.TB, name string) map[string]string {
	tb.Helper()
	data, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		tb.Fatal(err)
	}
	v := map[string]string{}
	for i, line := range strings.Split(strings.TrimRight(string(data), "\n"), "\n") {
		key, value, ok := strings.Cut(line, ": ")
		if !ok {
			tb.Fatalf("%s:%d: want \"key: value\", got %q", name, i+1, line)
		}
		if i == 0 && key != "source" {
			tb.Fatalf("%s: first line must be \"source: …\", got %q", name, line)
		}
		v[key] = value
	}
	return v
}

// vectorFiles lists testdata files whose names match pattern.
func vectorFiles(tb testing.TB, pattern string) []string {
	tb.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil {
		tb.Fatal(err)
	}
	if len(paths) == 0 {
		tb.Fatalf("no testdata files match %s", pattern)
	}
	names := make([]string, len(paths))
	for i, p := range paths {
		names[i] = filepath.Base(p)
	}
	return names
}

func mustHex(tb testing.TB, s string) []byte {
	tb.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

// checkError asserts that err is an *Error for field whose message contains
// every one of want.
func checkError(t *testing.T, err error, field string, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("got no error; want one containing %q", want)
	}
	var e *Error
	if !errors.As(err, &e) {
		t.Fatalf("error %v (%T) is not an *adtypes.Error", err, err)
	}
	if e.Field != field {
		t.Errorf("error field = %q; want %q (error: %v)", e.Field, field, err)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not contain %q", err, w)
		}
	}
}
