package testvector

import (
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

// File is a recorded vector file, one case per file (style.md §5):
// "name: value" header lines, which must include "source:"; lines starting
// with "| " continue the previous value verbatim (klist output keeps its
// tabs and columns); a blank line; then the payload bytes in hex.
type File struct {
	Path   string
	Fields map[string]string
	Data   []byte
}

// LoadDir reads every *.txt vector file in dir, checking that there are
// exactly want — so that a lost file fails the test instead of shrinking it
// — and that each source field starts with sourcePrefix.
func LoadDir(t testing.TB, dir string, want int, sourcePrefix string) []File {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join(dir, "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	if len(paths) != want {
		t.Fatalf("%s holds %d vector files, want %d", dir, len(paths), want)
	}
	var fs []File
	for _, p := range paths {
		fs = append(fs, ReadFile(t, p, sourcePrefix))
	}
	return fs
}

// ReadFile reads one vector file.
func ReadFile(t testing.TB, path, sourcePrefix string) File {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, payload, ok := strings.Cut(string(b), "\n\n")
	if !ok {
		t.Fatalf("%s: no blank line between header and payload", path)
	}
	f := File{Path: path, Fields: map[string]string{}}
	last := ""
	for i, line := range strings.Split(head, "\n") {
		if rest, ok := strings.CutPrefix(line, "| "); ok {
			if last == "" {
				t.Fatalf("%s:%d: continuation with nothing to continue", path, i+1)
			}
			if f.Fields[last] != "" {
				f.Fields[last] += "\n"
			}
			f.Fields[last] += rest
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s:%d: want \"name: value\", got %q", path, i+1, line)
		}
		if _, dup := f.Fields[name]; dup {
			t.Fatalf("%s:%d: %s given twice", path, i+1, name)
		}
		last = name
		f.Fields[name] = strings.TrimSpace(value)
	}
	if !strings.HasPrefix(f.Fields["source"], sourcePrefix) {
		t.Fatalf("%s: no \"source: %s…\" line", path, sourcePrefix)
	}
	if f.Data, err = hex.DecodeString(strings.Join(strings.Fields(payload), "")); err != nil {
		t.Fatalf("%s: payload: %v", path, err)
	}
	return f
}

// WriteFile writes a vector file (for -update flags); fields are written in
// the order given.
func WriteFile(t testing.TB, path string, fields [][2]string, data []byte) {
	t.Helper()
	var b strings.Builder
	for _, f := range fields {
		lines := strings.Split(strings.TrimRight(f[1], "\n"), "\n")
		if len(lines) == 1 {
			fmt.Fprintf(&b, "%s: %s\n", f[0], lines[0])
			continue
		}
		fmt.Fprintf(&b, "%s:\n", f[0])
		for _, l := range lines {
			fmt.Fprintf(&b, "| %s\n", strings.TrimRight(l, " "))
		}
	}
	b.WriteString("\n")
	h := hex.EncodeToString(data)
	for len(h) > 64 {
		b.WriteString(h[:64] + "\n")
		h = h[64:]
	}
	b.WriteString(h + "\n")
	if err := os.WriteFile(path, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}
