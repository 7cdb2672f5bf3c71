package keytab_test

import (
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

// BenchmarkMarshalKeytab encodes the twelve-entry keytab MIT ktadd wrote
// (three key versions of four types).
func BenchmarkMarshalKeytab(b *testing.B) {
	v := readVector(b, "testdata/mit/ktadd-kvnos.txt")
	kt, err := keytab.Parse(v.data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v.data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kt.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseKeytab reads the same keytab.
func BenchmarkParseKeytab(b *testing.B) {
	v := readVector(b, "testdata/mit/ktadd-kvnos.txt")
	b.SetBytes(int64(len(v.data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keytab.Parse(v.data); err != nil {
			b.Fatal(err)
		}
	}
}
