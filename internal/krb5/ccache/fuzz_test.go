package ccache_test

import (
	"bytes"
	"errors"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/ccache"
)

// FuzzParseCCache feeds arbitrary bytes to Parse, seeded with the caches
// MIT wrote in every format version (testdata/mit) and the table tests'
// bases. Parse must never panic and fails with an *Error and no cache;
// what it accepts must marshal (as version 4), parse back to the same
// credentials, and marshal again to the same bytes; a version 4 input
// without unknown header fields re-encodes to itself.
func FuzzParseCCache(f *testing.F) {
	for _, v := range loadVectors(f, 4) {
		f.Add(v.Data)
	}
	base := malformedBase(f)
	f.Add(base)
	f.Add(unknownEnctype(f))
	f.Add(append([]byte{5, 3}, base[4:]...))
	f.Add(append([]byte{5, 4, 0, 12, 0, 1, 0, 8, 0xff, 0xff, 0xff, 0xff, 0, 0, 0, 1}, base[4:]...))
	if b, err := validCache(f).Marshal(); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		c, err := ccache.Parse(b)
		if err != nil {
			var ce *ccache.Error
			if !errors.As(err, &ce) || c != nil {
				t.Fatalf("Parse: %T %v with a cache %v", err, err, c != nil)
			}
			return
		}
		m, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed cache: %v", err)
		}
		back, err := ccache.Parse(m)
		if err != nil {
			t.Fatalf("Parse of our own encoding: %v", err)
		}
		back.Version = c.Version
		if got, want := dump(back), dump(c); got != want {
			t.Fatalf("round trip changed the cache:\n%s\nwant:\n%s", got, want)
		}
		again, err := back.Marshal()
		if err != nil || !bytes.Equal(again, m) {
			t.Fatalf("second Marshal differs (%v)", err)
		}
		if canonicalV4(b) && !bytes.Equal(m, b) {
			t.Fatalf("a version 4 file with a canonical header re-encodes differently:\n got %x\nwant %x", m, b)
		}
	})
}

// canonicalV4 reports whether b is version 4 with a header Marshal would
// write: empty, or exactly one KDC offset field whose microseconds have
// the sign of the seconds and are below 10^6.
func canonicalV4(b []byte) bool {
	if len(b) < 4 || b[1] != 4 {
		return false
	}
	switch {
	case b[2] == 0 && b[3] == 0:
		return true
	case b[2] == 0 && b[3] == 12 && len(b) >= 16 && b[4] == 0 && b[5] == 1 && b[6] == 0 && b[7] == 8:
		sec := int32(uint32(b[8])<<24 | uint32(b[9])<<16 | uint32(b[10])<<8 | uint32(b[11]))
		usec := int32(uint32(b[12])<<24 | uint32(b[13])<<16 | uint32(b[14])<<8 | uint32(b[15]))
		return usec > -1e6 && usec < 1e6 && (sec == 0 || usec == 0 || (sec < 0) == (usec < 0))
	}
	return false
}

// TestFuzzSeedsPresent guards the seed corpus: losing testdata/mit would
// otherwise leave the fuzz target with table seeds only.
func TestFuzzSeedsPresent(t *testing.T) {
	t.Parallel()
	versions := map[byte]bool{}
	for _, v := range loadVectors(t, 4) {
		versions[v.Data[1]] = true
	}
	if len(versions) != 4 {
		t.Errorf("testdata/mit covers versions %v, want 1 to 4", versions)
	}
}
