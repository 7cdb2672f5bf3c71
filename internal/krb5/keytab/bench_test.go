package keytab_test

import (
	"github.com/opengmsa/gmsa/internal/testvector"
	"testing"

	"github.com/opengmsa/gmsa/internal/krb5/keytab"
)

// BenchmarkMarshalKeytab encodes the twelve-entry keytab MIT ktadd wrote
// (three key versions of four types).
func BenchmarkMarshalKeytab(b *testing.B) {
	v := testvector.ReadFile(b, "testdata/mit/ktadd-kvnos.txt", mitSource)
	kt, err := keytab.Parse(v.Data)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(v.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := kt.Marshal(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkParseKeytab reads the same keytab.
func BenchmarkParseKeytab(b *testing.B) {
	v := testvector.ReadFile(b, "testdata/mit/ktadd-kvnos.txt", mitSource)
	b.SetBytes(int64(len(v.Data)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := keytab.Parse(v.Data); err != nil {
			b.Fatal(err)
		}
	}
}
