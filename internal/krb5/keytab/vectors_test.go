package keytab_test

import (
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

var update = flag.Bool("update", false, "rewrite testdata/mit from a fresh MIT KDC (needs the MIT tools)")

// A vector file (testdata/mit/*.txt) is one keytab MIT wrote: "name: value"
// header lines, which must include "source:"; lines starting with "| "
// continue the previous value verbatim (klist output keeps its columns);
// a blank line; then the file's bytes in hex.
type vector struct {
	path   string
	fields map[string]string
	data   []byte
}

// loadVectors reads every vector in testdata/mit and checks there are
// exactly want, so that a lost file fails instead of shrinking the test.
func loadVectors(t testing.TB, want int) []vector {
	t.Helper()
	paths, err := filepath.Glob(filepath.Join("testdata", "mit", "*.txt"))
	if err != nil {
		t.Fatal(err)
	}
	sort.Strings(paths)
	if len(paths) != want {
		t.Fatalf("testdata/mit holds %d vector files, want %d", len(paths), want)
	}
	var vs []vector
	for _, p := range paths {
		vs = append(vs, readVector(t, p))
	}
	return vs
}

func readVector(t testing.TB, path string) vector {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	head, payload, ok := strings.Cut(string(b), "\n\n")
	if !ok {
		t.Fatalf("%s: no blank line between header and payload", path)
	}
	v := vector{path: path, fields: map[string]string{}}
	last := ""
	for i, line := range strings.Split(head, "\n") {
		if rest, ok := strings.CutPrefix(line, "| "); ok {
			if last == "" {
				t.Fatalf("%s:%d: continuation with nothing to continue", path, i+1)
			}
			if v.fields[last] != "" {
				v.fields[last] += "\n"
			}
			v.fields[last] += rest
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("%s:%d: want \"name: value\", got %q", path, i+1, line)
		}
		if _, dup := v.fields[name]; dup {
			t.Fatalf("%s:%d: %s given twice", path, i+1, name)
		}
		last = name
		v.fields[name] = strings.TrimSpace(value)
	}
	if !strings.HasPrefix(v.fields["source"], "written by MIT krb5 1.20 ") {
		t.Fatalf("%s: no \"source: written by MIT krb5 1.20 …\" line", path)
	}
	if v.data, err = hex.DecodeString(strings.Join(strings.Fields(payload), "")); err != nil {
		t.Fatalf("%s: payload: %v", path, err)
	}
	return v
}

// writeVector writes a vector file; fields are written in the order given.
func writeVector(t testing.TB, path string, fields [][2]string, data []byte) {
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

// klistLines renders a keytab as MIT `klist -k -t -e -K` lists its entries
// (without the header lines, trailing blanks trimmed, times in UTC), so
// that a parse can be compared with MIT's own reading of the same file.
func klistLines(kt *keytab.Keytab) string {
	var b strings.Builder
	for _, e := range kt.Entries {
		fmt.Fprintf(&b, "%4d %s %s (%s)  (0x%x)\n", e.KVNO, e.Timestamp.UTC().Format("01/02/06 15:04:05"), e.Principal, e.Key.Type, e.Key.Bytes())
	}
	return b.String()
}

// klistEntries keeps the entry lines of klist -k output: those after the
// "----" rule, trailing blanks trimmed.
func klistEntries(out string) string {
	var b strings.Builder
	seen := false
	for _, l := range strings.Split(out, "\n") {
		if strings.HasPrefix(l, "----") {
			seen = true
			continue
		}
		if seen && strings.TrimSpace(l) != "" {
			b.WriteString(strings.TrimRight(l, " ") + "\n")
		}
	}
	return b.String()
}
