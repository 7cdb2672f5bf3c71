package keytab_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

// FuzzParseKeytab feeds arbitrary bytes to Parse, seeded with the keytabs
// MIT wrote (testdata/mit), the variants and malformed cases of the table
// tests. Parse must never panic and fails with an *Error and no keytab;
// what it accepts must marshal, parse back to the same entries, and marshal
// again to the same bytes.
func FuzzParseKeytab(f *testing.F) {
	for _, v := range loadVectors(f, 2) {
		f.Add(v.Data)
	}
	base := malformedBase(f)
	f.Add(base)
	f.Add(v1(f, validKeytab(f), 2))
	f.Add(zeroKVNO32(f, validKeytab(f)))
	f.Add(padded(f, validKeytab(f)))
	f.Add(unknownEnctype(f))
	f.Add(concat(base[:2], []byte{0xff, 0xff, 0xff, 0xfc, 0, 0, 0, 0}, base[2:]))
	f.Add(base[:40])
	f.Fuzz(func(t *testing.T, b []byte) {
		kt, err := keytab.Parse(b)
		if err != nil {
			var ke *keytab.Error
			if !errors.As(err, &ke) || kt != nil {
				t.Fatalf("Parse: %T %v with a keytab %v", err, err, kt != nil)
			}
			return
		}
		m, err := kt.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed keytab: %v", err)
		}
		back, err := keytab.Parse(m)
		if err != nil {
			t.Fatalf("Parse of our own encoding: %v", err)
		}
		if got, want := dump(back), dump(kt); got != want {
			t.Fatalf("round trip changed the entries:\n%s\nwant:\n%s", got, want)
		}
		again, err := back.Marshal()
		if err != nil || !bytes.Equal(again, m) {
			t.Fatalf("second Marshal differs (%v)", err)
		}
	})
}

// TestFuzzSeedsPresent guards the seed corpus: losing testdata/mit would
// otherwise leave the fuzz target with table seeds only.
func TestFuzzSeedsPresent(t *testing.T) {
	t.Parallel()
	for _, v := range loadVectors(t, 2) {
		if len(v.Data) < 100 {
			t.Errorf("%s: %d bytes, too small to be an MIT keytab", v.Path, len(v.Data))
		}
	}
}
