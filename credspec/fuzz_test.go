package credspec

import (
	"bytes"
	"os"
	"path/filepath"
	"reflect"
	"testing"
)

// The fuzz targets are seeded from testdata and the table tests. FuzzParse
// asserts that an accepted document re-marshals, re-parses to an equal Spec
// (unknown members included), and re-marshals to the same bytes; that a
// rejected one returns nothing partial; and that Validate does not panic.
// FuzzParseReference asserts that an accepted reference's String parses to
// the same Reference and that file:// paths never leave the directory.

func parseSeeds(t testing.TB) [][]byte {
	names, err := filepath.Glob("testdata/*.json")
	if err != nil {
		t.Fatal(err)
	}
	var seeds [][]byte
	for _, n := range names {
		b, err := os.ReadFile(n)
		if err != nil {
			t.Fatal(err)
		}
		seeds = append(seeds, b, utf16Bytes(string(b), false, true))
	}
	for _, s := range []string{"", "{}", "[1]", `{"CmsPlugins": null}`, `{"cmsplugins": ["x"], "CmsPlugins": []}`,
		`{"ActiveDirectoryConfig": {"HostAccountConfig": {"PluginInput": {"a": [1, {"b": null}]}}}}`,
		`{"DomainJoinConfig": {"Sid": "\u00e9\ud800"}}`} {
		seeds = append(seeds, []byte(s))
	}
	return seeds
}

func TestFuzzSeedCorporaAreNotEmpty(t *testing.T) {
	t.Parallel()
	if n := len(parseSeeds(t)); n < 10 {
		t.Errorf("FuzzParse has %d seeds", n)
	}
	if len(referenceCases) < 10 {
		t.Errorf("FuzzParseReference has %d seeds", len(referenceCases))
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range parseSeeds(f) {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, findings, err := Parse(b)
		if err != nil {
			if s != nil || findings != nil {
				t.Fatalf("Parse returned a partial result with %v", err)
			}
			return
		}
		_ = Validate(s)
		out, err := Marshal(s)
		if err != nil {
			t.Fatalf("Marshal of an accepted spec: %v", err)
		}
		again, findings2, err := Parse(out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(again, s) {
			t.Fatalf("round trip changed the spec:\n%#v\n%#v", s, again)
		}
		var unknown, unknown2 int
		for _, f := range findings {
			if f.Message == "unknown member; kept as is" {
				unknown++
			}
		}
		for _, f := range findings2 {
			if f.Message == "unknown member; kept as is" {
				unknown2++
			}
		}
		if unknown != unknown2 {
			t.Fatalf("unknown members: %d before, %d after", unknown, unknown2)
		}
		out2, err := Marshal(again)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("Marshal is not stable: %v\n%s\n%s", err, out, out2)
		}
	})
}

func FuzzParseReference(f *testing.F) {
	for _, tt := range referenceCases {
		f.Add(tt.in)
	}
	f.Fuzz(func(t *testing.T, s string) {
		r, err := ParseReference(s)
		if err != nil {
			if r != (Reference{}) {
				t.Fatalf("partial result %v with %v", r, err)
			}
			return
		}
		again, err := ParseReference(r.String())
		if err != nil || again != r {
			t.Fatalf("ParseReference(%q) = %v, %v; want %v", r.String(), again, err, r)
		}
		if r.Kind == File {
			joined := filepath.ToSlash(filepath.Join("/dir", r.Value))
			if len(joined) <= len("/dir/") || joined[:len("/dir/")] != "/dir/" {
				t.Fatalf("%q resolves to %q, outside the directory", s, joined)
			}
		}
	})
}
