package keytab_test

import (
	"flag"
	"fmt"
	"github.com/opengmsa/gmsa/internal/testvector"
	"path/filepath"
	"strings"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

var update = flag.Bool("update", false, "rewrite testdata/mit from a fresh MIT KDC (needs the MIT tools)")

// The vector files in testdata/mit are MIT-written files in the shared
// testvector.File format (header fields, klist output, the bytes in hex).
type vector = testvector.File

const mitSource = "written by MIT krb5 1.20 "

func loadVectors(t testing.TB, want int) []vector {
	t.Helper()
	return testvector.LoadDir(t, filepath.Join("testdata", "mit"), want, mitSource)
}

func writeVector(t testing.TB, path string, fields [][2]string, data []byte) {
	t.Helper()
	testvector.WriteFile(t, path, fields, data)
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
